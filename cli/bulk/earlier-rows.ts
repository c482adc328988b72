/**
 * What earlier runs wrote to RESULTS.csv, read back when a run starts (and before compacting it):
 * each row's latest outcome and line, by the row's values as written (InputRow.values), streamed.
 * A row's `invalid` result never replaces the result of a call for it (RowBook.set).
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs'
import { pipeline } from 'node:stream'
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
  /** Rows with the result of a call (any outcome but `invalid`). */
  called: number
}

interface Parsed {
  record: string[]
  info: { bytes: number }
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0)

/**
 * Reads RESULTS.csv. Its header must be this input's columns, then the result columns; otherwise
 * it is refused. A write cut short leaves a last row without its line end, or an open quote that
 * runs to the end of the file.
 */
export async function readEarlierRows(path: string, header: readonly string[]): Promise<EarlierRows> {
  const book = createRowBook()
  const size = sizeOf(path)
  const found: EarlierRows = { book, whole: 0, torn: false, unreadable: 0, called: 0 }
  if (size === 0) return found
  const expected = [...header, ...RESULT_COLUMNS]
  const columns = header.length
  // pipeline, not pipe: a read error (EACCES, say) rejects the loop instead of crashing the process.
  const records = pipeline(
    createReadStream(path),
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
    () => {},
  )
  try {
    for await (const { record, info } of records as AsyncIterable<Parsed>) {
      if (info.bytes === size && !endsWithLineFeed(path, size)) break
      if (found.whole === 0 && record.join('\u0000') !== expected.join('\u0000')) {
        throw new UsageError(otherInput(path))
      } else if (found.whole > 0) {
        const outcome = record[columns] as RowOutcome
        const readable = record.length === columns + RESULT_COLUMNS.length && ROW_OUTCOMES.includes(outcome)
        if (!readable) found.unreadable += 1
        else {
          if (outcome !== 'invalid') found.called += 1
          book.set(rowKey(record.slice(0, columns)), outcome, {
            offset: found.whole,
            length: info.bytes - found.whole,
          })
        }
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
  return { ...found, torn: rest.trim() !== '' }
}

const otherInput = (path: string) =>
  `${path} was not written for this input: its columns are not the input's, then ${RESULT_COLUMNS.join(', ')}. Use another --output`

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
