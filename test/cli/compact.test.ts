/**
 * RESULTS.csv compacted at the end of a run (cli/bulk/compact.ts), in process: one row per input
 * row, in input order, the latest result winning; a file that compacting would lose a result from
 * is left as it is.
 */
import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { compactResults } from '../../cli/bulk/compact.ts'
import { openResults, RESULT_COLUMNS, type RowResult } from '../../cli/bulk/results-file.ts'
import { type RowOutcome, rowKey } from '../../cli/bulk/row-book.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-compact-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const header = ['authorization_code', 'user_ref', 'reason']
const result = (outcome: RowOutcome, attempts: string): RowResult => ({
  ...(Object.fromEntries(RESULT_COLUMNS.map((column) => [column, ''])) as RowResult),
  outcome,
  attempts,
})
/** The input rows' identities, in input order, as the run streams them. */
async function* keys(rows: string[][]) {
  for (const row of rows) yield rowKey(row)
}
/** `code outcome attempts` per data line. */
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => {
      const cells = line.split(',')
      return `${cells[0]} ${cells[3]} ${cells[9]}`
    })

function appended(name: string, rows: Array<[string[], RowOutcome, string]>) {
  const path = join(dir, name)
  const writer = openResults(path, header, 0)
  for (const [written, outcome, attempts] of rows) writer.append(written, result(outcome, attempts))
  writer.close()
  return path
}

const row = (code: string) => [code, `u_${code}`, 'r']
const [a, b, c, d] = [row('a'), row('b'), row('c'), row('d')]

describe('compacting RESULTS.csv', () => {
  it('one row per input row, in input order, the latest result winning; rows not reached have none', async () => {
    const path = appended('order.csv', [
      [c, 'retryable', '3'],
      [a, 'terminated', '1'],
      [c, 'failed', '1'],
      [c, 'terminated', '2'],
    ])
    assert.deepEqual(await compactResults(path, header, keys([a, b, c, a])), { compacted: true })
    assert.equal(readFileSync(path, 'utf8').split('\n')[0], [...header, ...RESULT_COLUMNS].join(','))
    assert.deepEqual(lines(path), ['a terminated 1', 'c terminated 2', 'a terminated 1'])
    assert.equal(existsSync(`${path}.compacting`), false)
  })

  it('an invalid result never replaces the result of a call for the same values', async () => {
    const path = appended('invalid-after.csv', [
      [c, 'terminated', '1'],
      [a, 'retryable', '3'],
      [c, 'invalid', '0'],
      [a, 'invalid', '0'],
      [b, 'invalid', '0'],
      [b, 'invalid', '0'],
    ])
    assert.deepEqual(await compactResults(path, header, keys([c, a, b])), { compacted: true })
    assert.deepEqual(lines(path), ['c terminated 1', 'a retryable 3', 'b invalid 0'])
  })

  it('copies lines of any length: one longer than its 1 MiB buffer, between short ones', async () => {
    const long = ['l', 'u'.repeat(1_500_000), 'r']
    const path = appended('long.csv', [
      [a, 'terminated', '1'],
      [long, 'terminated', '1'],
      [b, 'terminated', '1'],
    ])
    const before = readFileSync(path, 'utf8').split('\n')
    assert.deepEqual(await compactResults(path, header, keys([b, long, a])), { compacted: true })
    assert.deepEqual(readFileSync(path, 'utf8').split('\n'), [before[0], before[3], before[2], before[1], ''])
  })

  it('drops invalid results of rows the input no longer has (corrected since)', async () => {
    const path = appended('corrected.csv', [
      [['bad/code', 'u_x', 'r'], 'invalid', '0'],
      [a, 'terminated', '1'],
    ])
    assert.deepEqual(await compactResults(path, header, keys([a])), { compacted: true })
    assert.deepEqual(lines(path), ['a terminated 1'])
  })

  it('replaces what a crash left of an earlier compaction', async () => {
    const path = appended('crashed.csv', [
      [b, 'terminated', '1'],
      [a, 'rejected', '1'],
    ])
    writeFileSync(`${path}.compacting`, 'authorization_code,user_ref,reason,outc')
    assert.deepEqual(await compactResults(path, header, keys([a, b])), { compacted: true })
    assert.deepEqual(lines(path), ['a rejected 1', 'b terminated 1'])
    assert.equal(existsSync(`${path}.compacting`), false)
  })

  it('leaves the file as it is when it would lose a result: a row of another shape, a settled row the input lacks', async () => {
    const edited = appended('edited.csv', [[a, 'terminated', '1']])
    appendFileSync(edited, 'd,u_d,r,TERMINATED by hand\n')
    const before = readFileSync(edited, 'utf8')
    assert.deepEqual(await compactResults(edited, header, keys([a, d])), {
      compacted: false,
      why: 'it has 1 rows of another shape',
    })
    assert.equal(readFileSync(edited, 'utf8'), before)

    const changed = appended('changed.csv', [
      [d, 'terminated', '1'],
      [a, 'terminated', '1'],
    ])
    const kept = readFileSync(changed, 'utf8')
    assert.deepEqual(await compactResults(changed, header, keys([a])), {
      compacted: false,
      why: '1 results belong to no row of the input (was it changed during the run?)',
    })
    assert.equal(readFileSync(changed, 'utf8'), kept)
    assert.equal(existsSync(`${changed}.compacting`), false)
  })
})
