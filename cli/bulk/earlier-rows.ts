/**
 * What earlier runs wrote to RESULTS.csv, read back when a run starts (and before compacting it):
 * each row's latest outcome and line, by the row's values as written (InputRow.written), streamed.
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs'
import { parse } from 'csv-parse'
import { UsageError } from '../usage.ts'
import { notValidCsv } from './input-file.ts'
import { RESULT_COLUMNS } from './results-file.ts'
import { createRowBook, ROW_OUTCOMES, type RowBook, type RowOutcome, rowKey } from './row-book.ts'

export interface EarlierRows {
  book: RowBook
  /** Bytes of the file that are whole rows (0: start the file anew). */
  whole: number
  /** The last row was cut short by a crash during its write (its input row is tried again). */
  torn: boolean
  /** Rows that are not results of this input's shape (edited by hand?), ignored. */
  unreadable: number
  /** The file was written with other fill flags and holds only `invalid` rows: it is started anew. */
  restarted: boolean
}

interface Parsed {
  record: string[]
  info: { bytes: number }
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0)
const list = (fields: readonly string[]) => fields.join(', ') || 'none'

/**
 * Reads RESULTS.csv. Its header must be this input's columns, the fields the flags fill (`filled`),
 * and the result columns. One written with a fill flag more or less is taken only when all its rows
 * are `invalid` (no call was made; a flag was added to fix them, say): the file starts anew.
 * Otherwise it is refused. A write cut short leaves a last row without its line end, or an open
 * quote that runs to the end of the file.
 */
export async function readEarlierRows(
  path: string,
  header: readonly string[],
  filled: readonly string[] = [],
): Promise<EarlierRows> {
  const book = createRowBook()
  const size = sizeOf(path)
  const found: EarlierRows = { book, whole: 0, torn: false, unreadable: 0, restarted: false }
  if (size === 0) return found
  const expected = [...header, ...filled, ...RESULT_COLUMNS]
  let columns = header.length + filled.length
  let otherFills: string[] | undefined
  let called = 0
  const records = createReadStream(path).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  )
  try {
    for await (const { record, info } of records as AsyncIterable<Parsed>) {
      if (info.bytes === size && !endsWithLineFeed(path, size)) break
      if (found.whole === 0 && record.join('\u0000') !== expected.join('\u0000')) {
        otherFills = fillsOf(record, header)
        if (otherFills === undefined) throw new UsageError(otherInput(path, filled))
        columns = record.length - RESULT_COLUMNS.length
      } else if (found.whole > 0) {
        const outcome = record[columns] as RowOutcome
        const readable = record.length === columns + RESULT_COLUMNS.length && ROW_OUTCOMES.includes(outcome)
        if (otherFills !== undefined) called += readable && outcome === 'invalid' ? 0 : 1
        else if (!readable) found.unreadable += 1
        else
          book.set(rowKey(record.slice(0, columns)), outcome, {
            offset: found.whole,
            length: info.bytes - found.whole,
          })
      }
      found.whole = info.bytes
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED') throw notValidCsv(path, error)
  }
  const rest = readFrom(path, found.whole, size)
  if (rest.includes('\n') && rest.trim() !== '') {
    throw new UsageError(
      `${path} ends with an unreadable part after its byte ${found.whole}: remove it (or use another --output)`,
    )
  }
  if (otherFills === undefined) return { ...found, torn: rest.trim() !== '' }
  if (called > 0) {
    throw new UsageError(
      `${path} was written with flags that filled ${list(otherFills)}; this run's fill ${list(filled)}: a fill flag was added or dropped. Run with the same flags, or use another --output`,
    )
  }
  return { ...found, whole: 0, restarted: true }
}

/** The fields an earlier run's flags filled, when `found` is this input's header with other fills. */
function fillsOf(found: readonly string[], header: readonly string[]): string[] | undefined {
  const sameInput = header.every((column, index) => found[index] === column)
  const sameResults = RESULT_COLUMNS.every((column, index, all) => found.at(index - all.length) === column)
  if (!sameInput || !sameResults || found.length < header.length + RESULT_COLUMNS.length) return undefined
  return found.slice(header.length, found.length - RESULT_COLUMNS.length)
}

const otherInput = (path: string, filled: readonly string[]) =>
  `${path} was not written for this input: its columns are not the input's, then the fields the flags fill (${list(filled)}), then ${RESULT_COLUMNS.join(', ')}. Use another --output`

/** The file's text from a byte on; a row cut short is at most one line. */
function readFrom(path: string, from: number, size: number): string {
  const length = Math.min(size - from, 1 << 20)
  if (length <= 0) return ''
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    readSync(fd, buffer, 0, length, from)
    return buffer.toString('utf8')
  } finally {
    closeSync(fd)
  }
}

const endsWithLineFeed = (path: string, size: number) => readFrom(path, size - 1, size) === '\n'
