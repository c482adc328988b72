/** The CSV files of bulk-terminate, in process: the input's header rules, RESULTS.csv's writes and reads. */
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { readEarlierRows } from '../../cli/bulk/earlier-rows.ts'
import { checkHeader, inputRow } from '../../cli/bulk/input-file.ts'
import { openResults, RESULT_COLUMNS, type RowResult } from '../../cli/bulk/results-file.ts'
import { rowKey } from '../../cli/bulk/row-book.ts'
import { inputIssues, invokeEvent, requiredFields } from '../../cli/input.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-files-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const result = (outcome: RowResult['outcome'], error = ''): RowResult => ({
  ...(Object.fromEntries(RESULT_COLUMNS.map((column) => [column, ''])) as RowResult),
  outcome,
  error,
})

describe('the input rules come from the service', () => {
  it('a terminate needs service_id, sub_mchid and reason besides the identification; a query no reason', () => {
    assert.deepEqual(requiredFields('terminate', 'partner'), ['service_id', 'sub_mchid', 'reason'])
    assert.deepEqual(requiredFields('query', 'partner'), ['service_id', 'sub_mchid'])
  })

  it('the event carries the given fields only, and operation for a query', () => {
    const fields = { authorization_code: 'c1', service_id: '500001', sub_mchid: '', reason: 'r' }
    assert.deepEqual(invokeEvent(fields, 'terminate'), {
      authorization_code: 'c1',
      service_id: '500001',
      reason: 'r',
    })
    assert.deepEqual(invokeEvent(fields, 'query'), {
      operation: 'query',
      authorization_code: 'c1',
      service_id: '500001',
      reason: 'r',
    })
  })

  it('a query ignores a reason; the mode decides which fields belong', () => {
    const event = { authorization_code: 'c1', service_id: '500001', sub_mchid: '1900000109' }
    assert.deepEqual(inputIssues({ ...event, reason: ' ' }, 'query', 'partner'), [])
    assert.deepEqual(
      inputIssues(event, 'terminate', 'partner').map((issue) => issue.path),
      ['reason'],
    )
    assert.deepEqual(
      inputIssues({ ...event, reason: 'r' }, 'terminate', 'direct').map((issue) => issue.path),
      ['sub_mchid'],
    )
    assert.deepEqual(requiredFields('terminate', 'direct'), ['service_id', 'reason'])
  })
})

describe('the input file', () => {
  it('a row: values per header column, fields from known columns and the flags, unknown columns not sent', () => {
    const row = inputRow(['authorization_code', 'user_ref', 'reason'], ['c1', 'u1', ''], { service_id: '5' })
    assert.deepEqual(row.values, ['c1', 'u1', ''])
    assert.deepEqual(row.fields, { service_id: '5', authorization_code: 'c1' })
    assert.deepEqual(row.shape, [])
    const long = inputRow(['authorization_code'], ['c1', 'extra'], {})
    assert.deepEqual(long.values, ['c1'])
    assert.match(long.shape[0]!.message, /2 fields, the header 1/)
  })

  it('the header: duplicates and empty names refused; an openid header with the other fields as flags passes', () => {
    assert.throws(
      () => checkHeader(['authorization_code', 'authorization_code'], {}, 'partner'),
      /names authorization_code twice/,
    )
    assert.throws(() => checkHeader(['authorization_code', ''], {}, 'partner'), /empty column name/)
    assert.doesNotThrow(() =>
      checkHeader(
        ['openid', 'appid', 'user_ref'],
        { service_id: '1', sub_mchid: '2', reason: 'r' },
        'partner',
      ),
    )
  })
})

describe('RESULTS.csv', () => {
  const header = ['authorization_code', 'reason']

  it('is written with its header once, one line per row, and read back with the latest row winning', async () => {
    const path = join(dir, 'latest.csv')
    const first = openResults(path, header, 0)
    first.append(['c1', 'r, with comma'], result('retryable', 'Throttled: "slow down"'))
    first.append(['c2', 'r'], result('invalid', 'reason: bad'))
    first.close()
    const second = openResults(path, header, (await readEarlierRows(path, header)).whole)
    second.append(['c1', 'r, with comma'], result('terminated'))
    second.close()
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    assert.equal(lines[0], [...header, ...RESULT_COLUMNS].join(','))
    assert.equal(lines.length, 4)
    const { book, torn, unreadable } = await readEarlierRows(path, header)
    assert.deepEqual([torn, unreadable], [false, 0])
    assert.equal(book.get(rowKey(['c1', 'r, with comma'])), 'terminated')
    assert.equal(book.get(rowKey(['c2', 'r'])), 'invalid')
  })

  for (const [shape, tail] of [
    ['mid-field', 'c2,r,termin'],
    ['inside an open quote', 'c2,"r, wi'],
  ]) {
    it(`a last row cut short by a crash (${shape}) is removed before the next row is appended`, async () => {
      const path = join(dir, `torn-${shape}.csv`)
      const writer = openResults(path, header, 0)
      writer.append(['c1', 'r'], result('terminated'))
      writer.close()
      appendFileSync(path, tail!)
      const earlier = await readEarlierRows(path, header)
      assert.equal(earlier.torn, true)
      assert.equal(earlier.book.size, 1)
      const resumed = openResults(path, header, earlier.whole)
      resumed.append(['c3', 'r'], result('terminated'))
      resumed.close()
      const lines = readFileSync(path, 'utf8').split('\n')
      assert.deepEqual(
        lines.map((line) => line.split(',')[0]),
        ['authorization_code', 'c1', 'c3', ''],
      )
      const again = await readEarlierRows(path, header)
      assert.deepEqual([again.torn, again.unreadable, again.book.size], [false, 0, 2])
    })
  }

  it('an open quote with lines after it is no torn row: refused, the file left alone', async () => {
    const path = join(dir, 'edited.csv')
    const writer = openResults(path, header, 0)
    writer.append(['c1', '"quoted'], result('terminated'))
    writer.close()
    appendFileSync(path, 'c2,"r\nc3,r,terminated,,,,,,,\n')
    const before = readFileSync(path, 'utf8')
    await assert.rejects(readEarlierRows(path, header), { name: 'UsageError', message: /unreadable part/ })
    assert.equal(readFileSync(path, 'utf8'), before)
  })

  it('is refused when its columns are not the input header plus the result columns', async () => {
    const path = join(dir, 'other.csv')
    writeFileSync(path, `openid,reason,${RESULT_COLUMNS.join(',')}\n`)
    await assert.rejects(readEarlierRows(path, header), {
      name: 'UsageError',
      message: /not written for this input/,
    })
  })
})
