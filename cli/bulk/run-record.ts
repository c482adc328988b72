/**
 * The run record, `RESULTS.csv.run`: what RESULTS.csv's results were written against (the function,
 * region, AWS account and endpoint) and with (the mode, the values the fill flags gave). A row is
 * known by its values in the input alone, so a result only counts for a run with the same record:
 * `terminated` for the staging function is not done for prod, nor for prod of another account (one
 * stage name is deployed in several), nor under another --sub-mchid.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { LambdaClient } from '@aws-sdk/client-lambda'
import { INPUT_FIELDS, type Mode } from '../input.ts'
import { callerAccount } from '../target.ts'
import { UsageError } from '../usage.ts'
import type { Fill } from './input-file.ts'
import { flagOf } from './input-file.ts'

export interface RunRecord {
  function: string
  region: string
  /**
   * The AWS account of the operator's credentials; none when the endpoint is set (it names the
   * target), unless AWS_ENDPOINT_URL_STS names an STS to ask.
   */
  account?: string
  /** The Lambda endpoint, when one was set instead of AWS's for the region (the sandbox, a stand-in). */
  endpoint?: string
  mode: Mode
  fill: Fill
}

export const recordPath = (output: string) => `${output}.run`

/**
 * This run's record. The endpoint is the client's when the CLI set one (--stage local), else the
 * one the SDK takes from the environment (AWS_ENDPOINT_URL_LAMBDA, else AWS_ENDPOINT_URL). The
 * account is asked of STS (callerAccount: an error when it does not answer, before anything is sent)
 * when the endpoint is AWS's, or when AWS_ENDPOINT_URL_STS names an STS (a stand-in's tests).
 */
export async function runRecordOf(
  client: LambdaClient,
  functionName: string,
  mode: Mode,
  fill: Fill,
): Promise<RunRecord> {
  const configured = await client.config.endpoint?.()
  const set = configured
    ? `${configured.protocol}//${configured.hostname}${configured.port ? `:${configured.port}` : ''}${configured.path}`
    : process.env.AWS_ENDPOINT_URL_LAMBDA || process.env.AWS_ENDPOINT_URL
  const endpoint = set ? new URL(set).href : undefined
  const account = !endpoint || process.env.AWS_ENDPOINT_URL_STS ? await callerAccount(client) : undefined
  const filled = Object.fromEntries(
    INPUT_FIELDS.filter((field) => fill[field] !== undefined).map((field) => [field, fill[field]]),
  )
  return {
    function: functionName,
    region: await client.config.region(),
    ...(account ? { account } : {}),
    ...(endpoint ? { endpoint } : {}),
    mode,
    fill: filled,
  }
}

/** What tells one record from another, as `name value` pairs. */
function entries(record: RunRecord): Array<[string, string]> {
  return [
    ['function', record.function],
    ['region', record.region],
    // A record without one (against an endpoint, or from before accounts were recorded) differs
    // from one with: results of an unknown account are not done for a known one.
    ['account', record.account ?? '(none)'],
    ['endpoint', record.endpoint ?? '(AWS)'],
    ['--mode', record.mode],
    ...INPUT_FIELDS.map((field): [string, string] => [flagOf(field), record.fill[field] ?? '(none)']),
  ]
}

/** Each difference, as `name earlier` and `name now`. */
function differences(earlier: RunRecord, now: RunRecord): { was: string[]; is: string[] } {
  const before = new Map(entries(earlier))
  const changed = entries(now).filter(([name, value]) => before.get(name) !== value)
  return {
    was: changed.map(([name]) => `${name} ${before.get(name)}`),
    is: changed.map(([name, value]) => `${name} ${value}`),
  }
}

function readRecord(output: string): RunRecord | 'missing' | 'unreadable' {
  let text: string
  try {
    text = readFileSync(recordPath(output), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const record = JSON.parse(text) as RunRecord
    if (typeof record?.function !== 'string' || typeof record.fill !== 'object') return 'unreadable'
    return record
  } catch {
    return 'unreadable'
  }
}

/**
 * Checks this run against the record of the results RESULTS.csv holds. Results of another record
 * are refused, unless every one of them is `invalid` (no call was made; the flag or mode that made
 * them invalid was corrected, say): then the file is started anew and this returns true.
 */
export function checkRunRecord(
  output: string,
  now: RunRecord,
  earlier: { results: number; called: number; unreadable: number },
): boolean {
  if (earlier.results + earlier.unreadable === 0) return false
  const record = readRecord(output)
  if (typeof record === 'object') {
    const { was, is } = differences(record, now)
    if (was.length === 0) return false
    if (earlier.called + earlier.unreadable === 0) return true
    throw new UsageError(
      `--output ${output} holds results written with ${was.join(', ')}; this run has ${is.join(', ')}: use another --output (or the target and flags of that run)`,
    )
  }
  if (earlier.called + earlier.unreadable === 0) return true
  throw new UsageError(
    `--output ${output} holds results but its run record ${basename(recordPath(output))} is ${record}: which function, region, account, mode and fill flags they were written with is unknown. Use another --output`,
  )
}

/** Writes the record beside RESULTS.csv, whole or not at all (a file beside it, then renamed). */
export function writeRunRecord(output: string, record: RunRecord): void {
  const temp = `${recordPath(output)}.writing`
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`)
  renameSync(temp, recordPath(output))
}
