import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { AwsError, reply, serveAwsJson } from './aws-json.ts'
import { checkEntries, type Entry, maskedLine } from './eventbridge-wire.ts'

/**
 * A local Amazon EventBridge for tests and `npm start`. It speaks the real awsJson1_1 wire protocol
 * (`POST /`, `X-Amz-Target: AWSEvents.PutEvents`), so the real `@aws-sdk/client-eventbridge` talks
 * to it through `endpoint` or `AWS_ENDPOINT_URL_EVENTBRIDGE`. SigV4 is not verified; any bus name is
 * accepted, as the real service does.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */

/** Whole-call errors our code must survive; the SDK surfaces each as an exception with this `name`. */
export type EventBridgeErrorName =
  | 'ThrottlingException'
  | 'InternalException'
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'

/** Status and message of each injectable error, worded like the real service. */
const ERRORS: Record<EventBridgeErrorName, { status: number; message: string }> = {
  ThrottlingException: { status: 400, message: 'Rate exceeded.' },
  InternalException: { status: 500, message: 'An internal error occurred.' },
  AccessDeniedException: { status: 400, message: 'User is not authorized to perform: events:PutEvents' },
  ResourceNotFoundException: { status: 400, message: 'Event bus does not exist.' },
}

export interface CallFault {
  error: EventBridgeErrorName
  /** How many calls fail before the fault clears itself; until `clearFaults()` when absent. */
  times?: number
}

export interface EntryFault {
  /** EventBridge's per-entry code, e.g. `InternalFailure` or `ThrottlingException`. */
  errorCode: string
  errorMessage?: string
  /** Only entries of this DetailType fail; any entry when absent. */
  detailType?: string
  /** How many entries fail before the fault clears itself; until `clearFaults()` when absent. */
  times?: number
}

export interface RecordedEvent {
  eventId: string
  source: string
  detailType: string
  /** The Detail, parsed. */
  detail: unknown
  eventBusName: string
  /** Epoch milliseconds when it was accepted. */
  at: number
}

export interface RecordedCall {
  operation: string
  /** Entries in the request. */
  entries: number
  /** Epoch milliseconds when the request arrived, before any `delayMs`. */
  at: number
  /** The SDK's `amz-sdk-request` header, e.g. `attempt=2; max=2`, which shows its retries. */
  attempt: string | undefined
}

export interface EventBridgeStandIn {
  url: string
  /** Every request in arrival order; `calls.length = 0` resets it. */
  calls: RecordedCall[]
  /** Every accepted entry, in order; `events.length = 0` resets it. */
  events: RecordedEvent[]
  /** Added before every reply; `Infinity` never replies (until `close()`). Settable at any time. */
  delayMs: number
  fail(fault: CallFault): void
  failEntries(fault: EntryFault): void
  clearFaults(): void
  /** Closes the server and every open socket, ending requests still waiting on `delayMs`. */
  close(): Promise<void>
}

export interface EventBridgeOptions {
  /** 0 (the default) picks a free port; read the result from `url`. */
  port?: number
  host?: string
  /** Told one readable line per accepted event, openids and codes masked (the sandbox prints them). */
  print?: (line: string) => void
}

const TARGET = 'AWSEvents.PutEvents'

export async function startEventBridge(options: EventBridgeOptions = {}): Promise<EventBridgeStandIn> {
  const { port = 0, host = '127.0.0.1' } = options
  let callFaults: CallFault[] = []
  let entryFaults: EntryFault[] = []
  const closing = new AbortController()

  function takeCallFault(): CallFault | undefined {
    const fault = callFaults[0]
    if (fault?.times !== undefined && --fault.times <= 0) callFaults = callFaults.slice(1)
    return fault
  }

  function takeEntryFault(entry: Entry): EntryFault | undefined {
    const fault = entryFaults.find((f) => f.detailType === undefined || f.detailType === entry.DetailType)
    if (fault?.times !== undefined && --fault.times <= 0) entryFaults = entryFaults.filter((f) => f !== fault)
    return fault
  }

  function putEvents(input: Record<string, unknown>) {
    const results = checkEntries(input.Entries).map((checked) => {
      if ('ErrorCode' in checked) return checked
      const fault = takeEntryFault(checked.entry)
      if (fault)
        return { ErrorCode: fault.errorCode, ErrorMessage: fault.errorMessage ?? 'Internal failure.' }
      const { entry, detail } = checked
      const event: RecordedEvent = {
        eventId: randomUUID(),
        source: entry.Source,
        detailType: entry.DetailType,
        detail,
        eventBusName: entry.EventBusName ?? 'default',
        at: Date.now(),
      }
      standIn.events.push(event)
      options.print?.(maskedLine(event))
      return { EventId: event.eventId }
    })
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = Buffer.concat(await request.toArray()).toString('utf8')
    const target = String(request.headers['x-amz-target'] ?? '')
    let input: Record<string, unknown>
    try {
      input = JSON.parse(body || '{}')
    } catch {
      return reply(response, new AwsError('SerializationException', 'Request body is not valid JSON.'))
    }
    const entries = Array.isArray(input.Entries) ? input.Entries.length : 0
    const attempt = request.headers['amz-sdk-request'] as string | undefined
    standIn.calls.push({ operation: target.replace(/^AWSEvents\./, ''), entries, at: Date.now(), attempt })
    if (standIn.delayMs === Number.POSITIVE_INFINITY) await once(closing.signal, 'abort')
    else if (standIn.delayMs > 0) await sleep(standIn.delayMs, undefined, { signal: closing.signal })

    if (target !== TARGET) {
      return reply(response, new AwsError('UnknownOperationException', `Unknown operation ${target}`))
    }
    const fault = takeCallFault()
    if (fault) {
      const { status, message } = ERRORS[fault.error]
      return reply(response, new AwsError(fault.error, message, status))
    }
    try {
      reply(response, putEvents(input))
    } catch (error) {
      if (!(error instanceof AwsError)) throw error
      reply(response, error)
    }
  }

  const server = await serveAwsJson({ port, host, closing, internalError: 'InternalException', handle })

  const standIn: EventBridgeStandIn = {
    url: server.url,
    calls: [],
    events: [],
    delayMs: 0,
    fail: (fault) => {
      callFaults.push({ ...fault })
    },
    failEntries: (fault) => {
      entryFaults.push({ ...fault })
    },
    clearFaults: () => {
      callFaults = []
      entryFaults = []
    },
    close: server.close,
  }
  return standIn
}
