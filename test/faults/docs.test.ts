import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { FAULT_MATRIX, formatSent, renderFaultTable } from './matrix.ts'
import { DOC_END, DOC_START, DOC_URL, tableCells, withTable } from './render.ts'

const doc = readFileSync(DOC_URL, 'utf8')
const REGENERATE = 'run node test/faults/render.ts'

describe('docs/FAULTS.md', () => {
  it('lists every row of the fault matrix with its outcome, status and requests', () => {
    const rows = tableCells(doc)
    for (const row of FAULT_MATRIX) {
      const cells = rows.find((candidate) => candidate[0] === `\`${row.id}\``)
      assert.ok(cells, `docs/FAULTS.md has no row ${row.id}: ${REGENERATE}`)
      assert.deepEqual(
        [cells[4], cells[5], cells[6]],
        [row.outcome, String(row.status), formatSent(row.sent)],
        `${row.id}: ${REGENERATE}`,
      )
    }
  })

  it('holds exactly the table the matrix renders, row for row and cell for cell', () => {
    const rendered = tableCells(withTable(`${DOC_START}\n${DOC_END}`, renderFaultTable()))
    assert.deepEqual(tableCells(doc), rendered, REGENERATE)
  })
})
