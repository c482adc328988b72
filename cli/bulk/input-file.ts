/**
 * The input CSV, streamed: a header naming input fields, then one authorization per row. Columns the
 * CLI does not know are kept (they come back in RESULTS.csv) but never sent.
 */
import { createReadStream } from 'node:fs'
import { pipeline, Transform } from 'node:stream'
import { CsvError, parse } from 'csv-parse'
import {
  IDENTIFICATIONS,
  INPUT_FIELDS,
  type InputField,
  type InputFields,
  type InputIssue,
  type Mode,
  requiredFields,
} from '../input.ts'
import { UsageError } from '../usage.ts'
import { RESULT_COLUMNS } from './results-file.ts'

/** Flags that fill a field the file has no column for. */
export type Fill = Partial<Record<InputField, string>>

export interface InputRow {
  /**
   * The row's values, one per header column (missing ones empty, extra ones dropped): what
   * RESULTS.csv repeats, and the row's identity when a run resumes (the values the flags fill are
   * the run record's: run-record.ts). A row with extra fields has the identity of the row without
   * them; the extra fields make it invalid (shape).
   */
  values: string[]
  fields: InputFields
  /** Problems of the row's shape, found before the service's rules are asked. */
  shape: InputIssue[]
}

/**
 * Streams the file's records as arrays of strings; a broken CSV rejects naming the line, and a file
 * that is not UTF-8 (a GBK export from Excel, say) rejects before its rows could reach WeChat garbled.
 */
export async function* readRecords(path: string): AsyncGenerator<string[]> {
  try {
    yield* pipeline(
      createReadStream(path),
      utf8Text(path),
      parse({ bom: true, skip_empty_lines: true, relax_column_count: true }),
      () => {},
    ) as AsyncIterable<string[]>
  } catch (error) {
    throw notValidCsv(path, error)
  }
}

const CSV_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_INVALID_CLOSING_QUOTE: 'text right after a closing quote',
  CSV_QUOTE_NOT_CLOSED: 'a quote that is never closed',
}

/**
 * csv-parse's error as a usage error naming the file, the line and the problem. Never its message:
 * that quotes the field, an authorization code or openid the terminal must not show unmasked.
 */
export function notValidCsv(path: string, error: unknown): unknown {
  if (!(error instanceof CsvError)) return error
  return new UsageError(
    `${path} is not valid CSV at line ${error.lines}: ${CSV_PROBLEMS[error.code] ?? error.code} (${error.code})`,
  )
}

/** Bytes -> text, refusing any byte sequence that is not UTF-8 (csv-parse would put U+FFFD instead). */
function utf8Text(path: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const decode = (chunk: Buffer | undefined, callback: (error: Error | null, text?: string) => void) => {
    try {
      callback(null, chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode())
    } catch {
      callback(new UsageError(`${path} is not UTF-8: save it as UTF-8 (CSV UTF-8 in Excel) and run again`))
    }
  }
  return new Transform({
    transform: (chunk: Buffer, _encoding, callback) => decode(chunk, callback),
    flush: (callback) => decode(undefined, callback),
  })
}

/** The records after the header. */
export async function* dataRecords(input: string): AsyncGenerator<string[]> {
  let header = true
  for await (const record of readRecords(input)) {
    if (!header) yield record
    header = false
  }
}

export async function readHeader(input: string): Promise<string[]> {
  for await (const record of readRecords(input)) return record
  throw new UsageError(`${input} is empty: it needs a header row`)
}

/** The flag that fills a field: service_id -> --service-id. */
export const flagOf = (field: string) => `--${field.replaceAll('_', '-')}`

/** The header must name fields the CLI can send, once each, and cover what every row needs. */
export function checkHeader(header: readonly string[], fill: Fill, mode: Mode): void {
  const seen = new Set<string>()
  for (const column of header) {
    if (column.trim() === '') throw new UsageError('the input header has an empty column name')
    if (seen.has(column)) throw new UsageError(`the input header names ${column} twice`)
    if ((RESULT_COLUMNS as readonly string[]).includes(column)) {
      throw new UsageError(`the input has a column ${column}: is it a results file? Give the original input`)
    }
    seen.add(column)
  }
  if (!IDENTIFICATIONS.some((field) => seen.has(field))) {
    throw new UsageError(`the input header must name one of ${IDENTIFICATIONS.join(', ')}`)
  }
  for (const field of Object.keys(fill) as InputField[]) {
    if (seen.has(field)) {
      throw new UsageError(`${flagOf(field)} fills a column the file lacks, but it has ${field}`)
    }
  }
  for (const field of requiredFields('terminate', mode)) {
    if (!seen.has(field) && fill[field] === undefined) {
      throw new UsageError(`${field} is required: add a ${field} column or ${flagOf(field)}`)
    }
  }
}

export function inputRow(header: readonly string[], record: readonly string[], fill: Fill): InputRow {
  const values = header.map((_, index) => record[index] ?? '')
  const shape =
    record.length === header.length
      ? []
      : [{ path: '', message: `the row has ${record.length} fields, the header ${header.length}` }]
  const fields: InputFields = { ...fill }
  header.forEach((column, index) => {
    if ((INPUT_FIELDS as readonly string[]).includes(column) && values[index] !== '') {
      fields[column as InputField] = values[index]
    }
  })
  return { values, fields, shape }
}
