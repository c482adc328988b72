/**
 * The EventBridge stand-in's wire rules: PutEvents input checked the way the real service checks it
 * (whole-call ValidationException for the request, per-entry InvalidArgument / MalformedDetail),
 * awsJson1_1 replies, and the masked line the sandbox prints for each event.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
import { entrySummary } from '../../functions/events/summary.ts'
import { AwsError } from './aws-json.ts'

const MAX_ENTRIES = 10
const MAX_REQUEST_BYTES = 256 * 1024

export interface Entry {
  Source: string
  DetailType: string
  Detail: string
  EventBusName?: string
}

/** An entry that passed the checks (with its parsed Detail), or the per-entry error the service gives. */
export type CheckedEntry = { entry: Entry; detail: unknown } | { ErrorCode: string; ErrorMessage: string }

/** Throws ValidationException for a request the service refuses whole; else one result per entry. */
export function checkEntries(entries: unknown): CheckedEntry[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw validation(
      "Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )
  }
  if (entries.length > MAX_ENTRIES) {
    throw validation(
      `Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
    )
  }
  const size = entries.reduce<number>((total, entry) => total + entrySize(entry), 0)
  if (size > MAX_REQUEST_BYTES) {
    throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.')
  }
  return entries.map(checkEntry)
}

function checkEntry(raw: unknown): CheckedEntry {
  const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
  for (const field of ['Source', 'DetailType', 'Detail']) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      }
    }
  }
  let detail: unknown
  try {
    detail = JSON.parse(entry.Detail as string)
  } catch {
    detail = undefined
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  }
  return { entry: entry as unknown as Entry, detail }
}

/** The size EventBridge counts: the UTF-8 bytes of Source, DetailType and Detail (and Time, 14). */
function entrySize(raw: unknown): number {
  const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
  const text = ['Source', 'DetailType', 'Detail'].map((field) => String(entry[field] ?? '')).join('')
  return Buffer.byteLength(text) + (entry.Time === undefined ? 0 : 14)
}

function validation(constraint: string) {
  return new AwsError('ValidationException', `1 validation error detected: ${constraint}`)
}

/**
 * One readable line per event: its DetailType, bus and what a log line may say of it
 * (functions/events/summary.ts: named fields only, ids masked as every log line masks them, never
 * the Detail itself, which may hold a decrypted notification).
 */
export function maskedLine(event: { detailType: string; eventBusName: string; detail: unknown }): string {
  const entry = {
    Source: '',
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    EventBusName: event.eventBusName,
  }
  const { detail_type: _named, ...fields } = entrySummary(entry)
  return `eventbridge: ${event.detailType} on ${event.eventBusName} ${JSON.stringify(fields)}`
}
