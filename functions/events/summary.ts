import { loggedIdentity } from '../runtime/mask.ts'
import type { EventEntry } from './entries.ts'
import type { EntryResult } from './publisher.ts'

/** Detail fields a log line may show as they are: kinds, counts and our own merchant id. */
const SHOWN = ['notification_id', 'event_type', 'outcome', 'entry_point', 'receive_count', 'mchid'] as const

/**
 * What a log line may say about an event (and its result): the published Detail holds openids and
 * authorization codes in full (consumers need them), and other event types a decrypted resource;
 * a log line gets named fields only, those masked, never the Detail itself.
 */
export function entrySummary(entry: EventEntry, result?: EntryResult): Record<string, string | number> {
  const summary: Record<string, string | number> = { detail_type: entry.DetailType }
  let detail: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(entry.Detail)
    if (typeof parsed === 'object' && parsed !== null) detail = parsed as Record<string, unknown>
  } catch {
    // Our own entries are always JSON; anything else is summarized by its DetailType alone.
  }
  for (const field of SHOWN) {
    const value = detail[field]
    if (typeof value === 'string' || typeof value === 'number') summary[field] = value
  }
  // The identifying fields by the one rule every log line follows (mask.ts).
  for (const [field, value] of Object.entries(loggedIdentity(detail))) {
    if (value !== undefined && value !== null) summary[field] = value
  }
  if (result?.accepted) summary.event_id = result.eventId
  if (result && !result.accepted) {
    summary.error_code = result.errorCode
    summary.error_message = result.errorMessage
  }
  return summary
}
