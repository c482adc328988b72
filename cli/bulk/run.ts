/**
 * bulk-terminate: every row of a CSV through the invoke function, at most `concurrency` calls in
 * flight and `rate` calls started per second, each result appended to RESULTS.csv as it arrives.
 * The input is read as a stream, three times (header, survey, run), never held in memory.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import { inputIssues, invokeEvent, type Mode } from '../input.ts'
import { invoke } from '../invoke.ts'
import { UsageError } from '../usage.ts'
import { checkHeader, type Fill, inputRow, readRecords } from './input-file.ts'
import { createPool } from './pool.ts'
import { createProgress } from './progress.ts'
import { createRateLimiter } from './rate.ts'
import { openResults, type RowResult, readEarlierRows } from './results-file.ts'
import type { RowBook } from './row-book.ts'
import { rowKey } from './row-book.ts'
import { invalidRow, resultRow } from './row-result.ts'
import { createTally, SETTLED, type Tally } from './tally.ts'

export interface BulkOptions {
  input: string
  output: string
  fill: Fill
  mode: Mode
  concurrency: number
  rate: number
  client: LambdaClient
  functionName: string
  /** Aborted (Ctrl-C): take no new row, let the calls in flight finish and write their rows. */
  stop: AbortSignal
  progress: NodeJS.WriteStream
}

export interface BulkReport {
  tally: Tally
  total: number
  /** What was wrong with RESULTS.csv before this run: a last row cut short, rows of another shape. */
  earlier: { torn: boolean; unreadable: number }
  /** Why the run stopped before the end, when it did. */
  stoppedBy?: 'interrupt' | { error: string }
}

/** The records after the header. */
async function* dataRecords(input: string): AsyncGenerator<string[]> {
  let header = true
  for await (const record of readRecords(input)) {
    if (!header) yield record
    header = false
  }
}

async function readHeader(input: string): Promise<string[]> {
  for await (const record of readRecords(input)) return record
  throw new UsageError(`${input} is empty: it needs a header row`)
}

/**
 * Counts the rows (for the ETA) and checks the whole file parses before anything is sent. With
 * earlier results, also checks that each of them belongs to a row of this input.
 */
async function survey(input: string, header: string[], book: RowBook, output: string): Promise<number> {
  let rows = 0
  try {
    for await (const record of dataRecords(input)) {
      rows += 1
      if (book.size > 0) book.mark(rowKey(inputRow(header, record, {}).values))
    }
  } catch (error) {
    throw new UsageError(`${input} is not valid CSV: ${error instanceof Error ? error.message : error}`)
  }
  // Rows that were invalid may have been corrected in the input since; any other must be there.
  const strangers = [...book.unmarked()].filter(([outcome]) => outcome !== 'invalid')
  if (strangers.length > 0) {
    const count = strangers.reduce((sum, [, n]) => sum + n, 0)
    throw new UsageError(
      `${output} has results for ${count} rows that are not in ${input}: was it written for another input? Use another --output`,
    )
  }
  return rows
}

export async function runBulk(options: BulkOptions): Promise<BulkReport> {
  const { input, output, fill, mode } = options
  if (!existsSync(input)) throw new UsageError(`--input: ${input} does not exist`)
  if (!existsSync(dirname(resolve(output))))
    throw new UsageError(`--output: the folder of ${output} does not exist`)
  if (resolve(input) === resolve(output)) throw new UsageError('--output must not be the --input file')
  const header = await readHeader(input)
  checkHeader(header, fill, mode)
  const earlier = await readEarlierRows(output, header)
  const { book } = earlier
  const total = await survey(input, header, book, output)

  const tally = createTally()
  const progress = createProgress({ total, stream: options.progress })
  const writer = openResults(output, header, earlier.whole)
  const take = createRateLimiter(options.rate)
  const pool = createPool(options.concurrency)
  // Stops taking rows: Ctrl-C, or a failure every further call would share.
  const halt = new AbortController()
  const onStop = () => halt.abort()
  options.stop.addEventListener('abort', onStop)
  let fatal: string | undefined
  let failure: unknown
  const write = (values: string[], result: RowResult, called: boolean) => {
    writer.append(values, result)
    tally.record(result.outcome, called)
    progress.update(tally)
  }
  const call = async (values: string[], event: Record<string, string>) => {
    try {
      const result = await invoke(options.client, options.functionName, event)
      if (result.kind === 'error' && result.fatal) {
        fatal ??= result.message
        halt.abort()
      }
      write(values, resultRow(result), true)
    } catch (error) {
      // RESULTS.csv could not be written (disk full?): stop rather than call without a record.
      failure ??= error
      halt.abort()
    }
  }
  try {
    for await (const record of dataRecords(input)) {
      if (halt.signal.aborted) break
      const row = inputRow(header, record, fill)
      const settled = book.size > 0 ? book.get(rowKey(row.values)) : undefined
      if (settled !== undefined && SETTLED.has(settled)) {
        tally.skip(settled)
        progress.update(tally)
        continue
      }
      const event = invokeEvent(row.fields, 'terminate')
      const issues = row.shape.length > 0 ? row.shape : inputIssues(event, 'terminate', mode)
      if (issues.length > 0) {
        write(row.values, invalidRow(issues), false)
        continue
      }
      await pool.free()
      if (halt.signal.aborted) break
      try {
        await take(halt.signal)
      } catch {
        break
      }
      pool.add(call(row.values, event))
    }
  } finally {
    await pool.drain()
    writer.close()
    progress.stop(tally)
    options.stop.removeEventListener('abort', onStop)
  }
  if (failure !== undefined) throw failure
  const stoppedBy =
    fatal !== undefined ? { error: fatal } : options.stop.aborted ? ('interrupt' as const) : undefined
  const { torn, unreadable } = earlier
  return { tally, total, earlier: { torn, unreadable }, ...(stoppedBy ? { stoppedBy } : {}) }
}
