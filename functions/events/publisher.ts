import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge'
import type { EventEntry } from './entries.ts'

/** Kept back from Lambda's remaining time when publishing, so that the function still answers. */
export const PUBLISH_MARGIN_MS = 250

/** PutEvents takes at most 10 entries a call (and an SQS batch holds at most 10 records). */
export const MAX_ENTRIES_PER_CALL = 10

/**
 * What became of one entry, in the order given. `errorCode` is EventBridge's per-entry code
 * (`InternalFailure`, `ThrottlingException`, `MalformedDetail`, ...) or, when the whole call failed,
 * the error's name (`ThrottlingException`, `TimeoutError`, ...) or `DeadlineExceeded`.
 * `errorMessage` never holds the entry's Detail.
 */
export type EntryResult =
  | { accepted: true; eventId: string }
  | { accepted: false; errorCode: string; errorMessage: string }

export interface Publisher {
  /**
   * Puts `entries` (one PutEvents call per 10) and says, per entry, whether EventBridge accepted
   * it. Never throws for EventBridge's sake: a call that fails, times out or outlasts `deadline`
   * (epoch ms) fails each of its entries, and the answer comes by the deadline whatever the network does.
   */
  publish(entries: readonly EventEntry[], deadline: number): Promise<EntryResult[]>
}

/**
 * The container's EventBridge client, bounded like the Secrets Manager one: two attempts of at
 * most 1.5 s each (PutEvents answers in tens of ms), so that an EventBridge that hangs is a failed
 * put, not a Lambda timeout. Without throwOnRequestTimeout the SDK only warns and waits on.
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` points it at a stand-in.
 */
export function eventBridgeClient(overrides: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
    ...overrides,
  })
}

export interface PublisherDeps {
  client?: Pick<EventBridgeClient, 'send'>
  clock?: () => number
}

export function createPublisher(deps: PublisherDeps = {}): Publisher {
  const clock = deps.clock ?? Date.now
  let client = deps.client
  // Made on first use: a container that never publishes never builds a client.
  const eventBridge = () => {
    client ??= eventBridgeClient()
    return client
  }

  async function put(entries: readonly EventEntry[], deadline: number): Promise<EntryResult[]> {
    const remaining = deadline - clock()
    if (remaining <= 0)
      return entries.map(() => failed('DeadlineExceeded', 'no time was left to put the event'))
    const abort = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort()
        reject(
          Object.assign(new Error('PutEvents did not answer before the deadline'), {
            name: 'DeadlineExceeded',
          }),
        )
      }, remaining)
    })
    let answer: PutEventsCommandOutput
    try {
      const sent = eventBridge().send(new PutEventsCommand({ Entries: [...entries] }), {
        abortSignal: abort.signal,
      })
      sent.catch(() => {}) // settled by the race below; a late rejection is not unhandled
      answer = await Promise.race([sent, late])
    } catch (error) {
      // The error's name only: an AWS validation message may quote the entries it refused.
      const name = error instanceof Error ? error.name : 'Error'
      return entries.map(() => failed(name, `PutEvents failed (${name})`))
    } finally {
      clearTimeout(timer)
    }
    return entries.map((_, index) => {
      const result = answer.Entries?.[index]
      if (result?.EventId && !result.ErrorCode) return { accepted: true, eventId: result.EventId }
      return failed(
        result?.ErrorCode ?? 'MissingResult',
        (result?.ErrorMessage ?? 'EventBridge gave no result for this entry').slice(0, 200),
      )
    })
  }

  return {
    async publish(entries, deadline) {
      const calls: Array<Promise<EntryResult[]>> = []
      for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_CALL) {
        calls.push(put(entries.slice(start, start + MAX_ENTRIES_PER_CALL), deadline))
      }
      return (await Promise.all(calls)).flat()
    },
  }
}

function failed(errorCode: string, errorMessage: string): EntryResult {
  return { accepted: false, errorCode, errorMessage }
}
