/**
 * RESULTS.csv: the input columns, then what happened to the row. A row is appended with one write
 * as soon as its result is known, so a crash loses nothing already written; a run over the same
 * output appends the rows it tries again, and the latest row for an input row wins.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { parse } from 'csv-parse'
import { stringify } from 'csv-stringify/sync'
import { UsageError } from '../usage.ts'
import { createRowBook, ROW_OUTCOMES, type RowBook, type RowOutcome, rowKey } from './row-book.ts'

export const RESULT_COLUMNS = [
  'outcome',
  'wechatpay_status',
  'wechatpay_code',
  'wechatpay_message',
  'request_id',
  'authorization_state',
  'attempts',
  'error',
] as const

export type RowResult = Record<(typeof RESULT_COLUMNS)[number], string> & { outcome: RowOutcome }

const csvLine = (values: readonly string[]) => stringify([values])
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0)

export interface ResultsWriter {
  append(values: readonly string[], result: RowResult): void
  close(): void
}

/**
 * Opens RESULTS.csv for appending. `whole` is where its last whole row ends (readEarlierRows):
 * anything after it is a row cut short by a crash, removed so the next row starts clean. The
 * header is written only when the file is new or empty.
 */
export function openResults(path: string, header: readonly string[], whole: number): ResultsWriter {
  if (sizeOf(path) > whole) truncateSync(path, whole)
  const fresh = sizeOf(path) === 0
  const fd = openSync(path, 'a')
  if (fresh) writeSync(fd, csvLine([...header, ...RESULT_COLUMNS]))
  return {
    append: (values, result) => {
      writeSync(fd, csvLine([...values, ...RESULT_COLUMNS.map((column) => result[column])]))
    },
    close: () => closeSync(fd),
  }
}

export interface EarlierRows {
  book: RowBook
  /** Bytes of the file that are whole rows. */
  whole: number
  /** The last row was cut short by a crash during its write (its input row is tried again). */
  torn: boolean
  /** Rows that are not results of this input's shape (edited by hand?), ignored. */
  unreadable: number
}

interface Parsed {
  record: string[]
  info: { bytes: number }
}

/**
 * Reads what earlier runs wrote, streamed: each row's latest outcome by its input values. Refuses a
 * file whose header is not this input's columns followed by the result columns. A write cut short
 * leaves a last row without its line end, or an open quote that runs to the end of the file.
 */
export async function readEarlierRows(path: string, header: readonly string[]): Promise<EarlierRows> {
  const book = createRowBook()
  const size = sizeOf(path)
  if (size === 0) return { book, whole: 0, torn: false, unreadable: 0 }
  const expected = [...header, ...RESULT_COLUMNS]
  let whole = 0
  let unreadable = 0
  const records = createReadStream(path).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  )
  try {
    for await (const { record, info } of records as AsyncIterable<Parsed>) {
      if (info.bytes === size && !endsWithLineFeed(path, size)) break
      if (whole === 0 && record.join('\u0000') !== expected.join('\u0000')) {
        throw new UsageError(
          `${path} was not written for this input: its columns are not the input's plus ${RESULT_COLUMNS.join(', ')}. Use another --output`,
        )
      }
      if (whole > 0) {
        const outcome = record[header.length] as RowOutcome
        if (record.length === expected.length && ROW_OUTCOMES.includes(outcome)) {
          book.set(rowKey(record.slice(0, header.length)), outcome)
        } else {
          unreadable += 1
        }
      }
      whole = info.bytes
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED') {
      if (error instanceof UsageError || !(error instanceof Error)) throw error
      throw new UsageError(`${path} is not valid CSV: ${error.message}`)
    }
  }
  const rest = readFrom(path, whole, size)
  if (rest.includes('\n') && rest.trim() !== '') {
    throw new UsageError(
      `${path} ends with an unreadable part after its byte ${whole}: remove it (or use another --output)`,
    )
  }
  return { book, whole, torn: rest.trim() !== '', unreadable }
}

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
