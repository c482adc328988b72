/**
 * docs/FAULTS.md's behaviour columns (outcome, HTTP, requests sent) are checked against what the
 * service does by matrix.test.ts, row by row, as each row runs. This file checks, without running
 * anything, what that check relies on: the doc has a claim for every row that runs and none for a
 * row that does not, its claims are read back as written, and its other columns are current.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { FAULT_MATRIX, type FaultRow, formatSent, renderFaultTable } from './matrix.ts'
import { DOC_END, DOC_START, DOC_URL, docClaims, parseSent, tableCells, withTable } from './render.ts'
import { expectedEvents } from './rows.ts'

const doc = readFileSync(DOC_URL, 'utf8')
const REGENERATE = 'run npm run docs:faults'
const expectation = (row: FaultRow) => ({
  outcome: row.outcome,
  status: row.status,
  sent: row.sent,
  events: expectedEvents(row),
})

describe('docs/FAULTS.md', () => {
  it('states what every row that matrix.test.ts runs does, and nothing about a row that never runs', () => {
    assert.deepEqual(
      [...docClaims(doc).keys()],
      FAULT_MATRIX.map((row) => row.id),
      `a row the doc lists is not run, or a row that runs is not listed: ${REGENERATE}`,
    )
  })

  it('reads its claims back exactly as the matrix renders them (else matrix.test.ts checks a misreading)', () => {
    const rendered = docClaims(withTable(`${DOC_START}\n${DOC_END}`, renderFaultTable()))
    for (const row of FAULT_MATRIX) {
      assert.deepEqual(parseSent(formatSent(row.sent)), row.sent, row.id)
      assert.deepEqual(rendered.get(row.id), expectation(row), row.id)
    }
    assert.throws(() => parseSent('3 terminates'), /cannot read "3 terminates"/)
  })

  it('is the current rendering of test/faults/matrix.ts, so its descriptions and notes are the rows’', () => {
    const rendered = tableCells(withTable(`${DOC_START}\n${DOC_END}`, renderFaultTable()))
    assert.deepEqual(tableCells(doc), rendered, REGENERATE)
  })
})
