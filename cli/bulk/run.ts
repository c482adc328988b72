/**
 * bulk-terminate: every row of a CSV through the invoke function, at most `concurrency` calls in
 * flight and `rate` calls started per second, each result appended to RESULTS.csv as it arrives,
 * and the file compacted to one row per input row at the end. The input is read as a stream, four
 * times (header, survey, run, compaction), never held in memory. RESULTS.csv is locked for the run
 * (output-lock.ts) and its results belong to the run record beside it (run-record.ts).
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import { inputIssues, invokeEvent, type Mode } from '../input.ts'
import { invoke } from '../invoke.ts'
import { UsageError } from '../usage.ts'
import { type Compaction, compactResults } from './compact.ts'
import { readEarlierRows } from './earlier-rows.ts'
import { checkHeader, dataRecords, type Fill, inputRow, readHeader } from './input-file.ts'
import { lockOutput } from './output-lock.ts'
import { createPool } from './pool.ts'
import { createProgress } from './progress.ts'
import { createRateLimiter } from './rate.ts'
import { openResults, type RowResult } from './results-file.ts'
import { createRowBook, type RowOutcome, rowKey } from './row-book.ts'
import { invalidRow, resultRow } from './row-result.ts'
import { checkRunRecord, runRecordOf, writeRunRecord } from './run-record.ts'
import { inputKeys, survey } from './survey.ts'
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
  /**
   * What was wrong with RESULTS.csv before this run: a last row cut short, rows of another shape,
   * only invalid rows written under another run record (the file was started anew).
   */
  earlier: { torn: boolean; unreadable: number; restarted: boolean }
  /** Why the run stopped before the end, when it did: Ctrl-C, or a failure every call would share. */
  stoppedBy?: 'interrupt' | { error: string; unreachable?: true }
  /** Whether RESULTS.csv was compacted to one row per input row at the end (compact.ts). */
  compaction: Compaction
}

/**
 * Runs the rows, then compacts RESULTS.csv (unless writing it failed: then the error is thrown),
 * holding the lock of RESULTS.csv throughout.
 */
export async function runBulk(options: BulkOptions): Promise<BulkReport> {
  const { input, output, fill } = options
  if (!existsSync(input)) throw new UsageError(`--input: ${input} does not exist`)
  if (!existsSync(dirname(resolve(output))))
    throw new UsageError(`--output: the folder of ${output} does not exist`)
  if (resolve(input) === resolve(output)) throw new UsageError('--output must not be the --input file')
  if (existsSync(output) && !statSync(output).isFile())
    throw new UsageError(`--output: ${output} is not a file`)
  const unlock = lockOutput(output)
  try {
    const { header, ...report } = await runRows(options)
    let compaction: Compaction
    try {
      compaction = await compactResults(output, header, inputKeys(input, header, fill))
    } catch (error) {
      compaction = { compacted: false, why: error instanceof Error ? error.message : String(error) }
    }
    return { ...report, compaction }
  } finally {
    unlock()
  }
}

/** Everything but the compaction; its earlier results (the row book) are garbage once it returns. */
async function runRows(options: BulkOptions): Promise<Omit<BulkReport, 'compaction'> & { header: string[] }> {
  const { input, output, fill, mode } = options
  const header = await readHeader(input)
  checkHeader(header, fill, mode)
  const record = await runRecordOf(options.client, options.functionName, mode, fill)
  const earlier = await readEarlierRows(output, header)
  const restarted = checkRunRecord(output, record, { results: earlier.book.size, ...earlier })
  const book = restarted ? createRowBook() : earlier.book
  const total = await survey(options, header, fill, book)

  const tally = createTally()
  const progress = createProgress({ total, stream: options.progress })
  writeRunRecord(output, record)
  const writer = openResults(output, header, restarted ? 0 : earlier.whole)
  const take = createRateLimiter(options.rate)
  const pool = createPool(options.concurrency)
  // Stops taking rows: Ctrl-C, or a failure every further call would share.
  const halt = new AbortController()
  const onStop = () => halt.abort()
  options.stop.addEventListener('abort', onStop)
  // A Ctrl-C during the client check or the survey (seconds for a large file) aborted it already.
  if (options.stop.aborted) halt.abort()
  let fatal: Exclude<BulkReport['stoppedBy'], 'interrupt'>
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
        fatal ??= { error: result.message, ...(result.unreachable ? { unreachable: true as const } : {}) }
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
      const key = rowKey(row.values)
      const settled = book.get(key)
      const skip = (outcome?: RowOutcome) => {
        if (outcome === undefined) tally.duplicate()
        else tally.skip(outcome)
        progress.update(tally)
      }
      if (settled !== undefined && SETTLED.has(settled) && settled !== 'invalid') {
        skip(settled)
        continue
      }
      // An earlier invalid result holds only while the row is still invalid: checked again (no call).
      const event = invokeEvent(row.fields, 'terminate')
      const issues = row.shape.length > 0 ? row.shape : inputIssues(event, 'terminate', mode)
      const met = book.met(key)
      if (issues.length > 0) {
        if (settled === 'invalid') skip('invalid')
        else if (met !== undefined) skip()
        else {
          book.meet(key, 'invalid')
          write(row.values, invalidRow(issues), false)
        }
        continue
      }
      // Identical rows are sent once; one this run found invalid may have a valid twin.
      if (met === 'sent') {
        skip()
        continue
      }
      await pool.free()
      if (halt.signal.aborted) break
      try {
        await take(halt.signal)
      } catch {
        break
      }
      book.meet(key, 'sent')
      pool.add(call(row.values, event))
    }
  } finally {
    await pool.drain()
    writer.close()
    progress.stop(tally)
    options.stop.removeEventListener('abort', onStop)
  }
  if (failure !== undefined) throw failure
  const stoppedBy = fatal !== undefined ? fatal : options.stop.aborted ? ('interrupt' as const) : undefined
  const { torn, unreadable } = earlier
  return {
    header,
    tally,
    total,
    earlier: { torn, unreadable, restarted },
    ...(stoppedBy ? { stoppedBy } : {}),
  }
}
