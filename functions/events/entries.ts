/**
 * What this service puts on the merchant's EventBridge bus (README, "Events"): the outcome of every
 * termination that ended, and WeChat's notifications. One Source for all, the DetailType says which.
 * Detail is JSON text, as PutEvents takes it.
 */
import type { Notification } from '../notifications/normalize.ts'

export const SOURCE = 'payscore-terminate'
export const TERMINATION = 'PayScore Authorization Termination'

/** The fields of a PutEvents request entry that this service sets. */
export interface EventEntry {
  Source: string
  DetailType: string
  Detail: string
  /** The bus name or ARN (the `EVENT_BUS` variable). */
  EventBusName: string
}

/** Where a termination came from; the queue adds how many times SQS had delivered its record. */
export type EntryPoint =
  | { entryPoint: 'http' }
  | { entryPoint: 'invoke' }
  | { entryPoint: 'queue'; receiveCount: number }

/** Outcomes that end a termination, and so put an event. `retryable` is not an end: SQS or the caller tries again. */
export const FINAL_OUTCOMES: ReadonlySet<string> = new Set([
  'terminated',
  'already_terminated',
  'rejected',
  'failed',
])

/**
 * The event for `outcome` (the outcome JSON, echoed as it is, plus `entry_point` and, for the queue,
 * `receive_count`), or undefined when the outcome puts none (`retryable`).
 */
export function outcomeEntry<O extends { outcome: string }>(
  outcome: O,
  from: EntryPoint,
  eventBusName: string,
): EventEntry | undefined {
  if (!FINAL_OUTCOMES.has(outcome.outcome)) return undefined
  const detail = {
    ...outcome,
    entry_point: from.entryPoint,
    ...(from.entryPoint === 'queue' ? { receive_count: from.receiveCount } : {}),
  }
  return entry(TERMINATION, detail, eventBusName)
}

/** The event for a verified, decrypted, normalized notification: its DetailType and Detail as they are. */
export function notificationEntry(notification: Notification, eventBusName: string): EventEntry {
  return entry(notification.detailType, notification.detail, eventBusName)
}

function entry(detailType: string, detail: object, eventBusName: string): EventEntry {
  if (eventBusName === '') throw new TypeError('an event needs a bus name or ARN')
  return {
    Source: SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    EventBusName: eventBusName,
  }
}
