/**
 * RESULTS.csv: the input columns, then what happened to the row (issue 11's columns exactly). A row
 * is appended with one write as soon as its result is known, so a crash loses nothing already
 * written; a run over the same output appends the rows it tries again, the latest row for an input
 * row wins, and the run ends by compacting the file to one row per input row (compact.ts). Read
 * back by earlier-rows.ts.
 */
import { closeSync, existsSync, openSync, statSync, truncateSync, writeSync } from 'node:fs'
import { stringify } from 'csv-stringify/sync'
import type { RowOutcome } from './row-book.ts'

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

export const csvLine = (values: readonly string[]) => stringify([values])
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0)

export interface ResultsWriter {
  /** Appends a row (its input values and its result) with one write. */
  append(values: readonly string[], result: RowResult): void
  close(): void
}

/**
 * Opens RESULTS.csv for appending. `columns` are the input's; `whole` is where its last whole row
 * ends (readEarlierRows): anything after it is a row cut short by a crash, removed so the next row
 * starts clean. The header is written only when the file is new or empty.
 */
export function openResults(path: string, columns: readonly string[], whole: number): ResultsWriter {
  if (sizeOf(path) > whole) truncateSync(path, whole)
  const fresh = sizeOf(path) === 0
  const fd = openSync(path, 'a')
  if (fresh) writeSync(fd, csvLine([...columns, ...RESULT_COLUMNS]))
  return {
    append: (values, result) => {
      writeSync(fd, csvLine([...values, ...RESULT_COLUMNS.map((column) => result[column])]))
    },
    close: () => closeSync(fd),
  }
}
