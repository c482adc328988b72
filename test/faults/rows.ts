/**
 * What a fault-matrix row is, and how the doc names what a row injects and how it calls the service:
 * shared by matrix.ts (the rows by code) and shapes.ts (the rows of every other shape and route).
 */
import type { OutcomeKind, QueryResultKind } from '../../functions/authorizations/outcome.ts'
import type { Endpoint, Fault, FaultRule } from '../../infra/local/wechatpay-simulator.ts'
import type { NotificationOutcome } from './deliveries.ts'
import type { Call, Harness, Observation } from './harness.ts'

export type Source =
  | 'WeChat Pay'
  | 'WeChat Pay sandbox code'
  | 'WeChat Pay notification'
  | 'Secrets Manager'
  | 'EventBridge'
  | 'Lambda'
  | 'Key rotation'

/** Requests WeChat Pay receives for the code: exact, or a range where timing decides. */
export type Count = number | readonly [min: number, max: number]

export interface FaultRow {
  /** Unique, stable: the test name and the doc's first column. */
  id: string
  source: Source
  fault: string
  /** How the stand-ins are told to fail. */
  injected: string
  /** How the row calls the service (callLabel); default: terminate by code, partner mode. */
  call?: string
  /** A termination's outcome, a query's result, or what the notification function reported. */
  outcome: OutcomeKind | QueryResultKind | NotificationOutcome
  /** The HTTP status; null for a queue record. */
  status: number | null
  sent: { terminate: Count; query: Count }
  /** Events EventBridge accepted for the call; by default what the rule says (expectedEvents). */
  events?: number
  notes: string
  /** Run in its own process (a fresh Lambda container) with this environment. */
  container?: { env: Record<string, string> }
  run(h: Harness): Promise<Observation>
  /** Checks beyond outcome, status and requests. */
  check?(observation: Observation, h: Harness): Promise<void> | void
}

export interface InjectOptions {
  endpoint?: Endpoint | 'any'
  times?: number
  /** A second rule, e.g. a business refusal on terminate that makes the query run. */
  also?: Omit<FaultRule, 'code'>
  /** For 'altered_answer': what the signed answer says instead. */
  patch?: Record<string, unknown>
}

export function injected(fault: Fault, options: InjectOptions = {}) {
  const endpoint = options.endpoint ?? 'terminate'
  const parts = [`fault: '${fault}'`]
  if (endpoint !== 'terminate') parts.push(`endpoint: '${endpoint}'`)
  if (options.times) parts.push(`times: ${options.times}`)
  if (options.patch) {
    const fields = Object.entries(options.patch).map(
      ([field, value]) => `${field}: ${value === undefined ? 'undefined' : JSON.stringify(value)}`,
    )
    parts.push(`patch: { ${fields.join(', ')} }`)
  }
  const also = options.also
    ? ` + \`inject({ fault: '${options.also.fault}', endpoint: '${options.also.endpoint ?? 'terminate'}' })\``
    : ''
  return `\`inject({ ${parts.join(', ')} })\`${also}`
}

/** How the doc's Call column names a call: "terminate by openid", "query by code, direct mode". */
export function callLabel({
  operation = 'terminate',
  mode = 'partner',
  by = 'authorization_code',
}: Omit<Call, 'name'>) {
  const name = by === 'authorization_code' ? 'code' : by
  return `${operation} by ${name}${mode === 'direct' ? ', direct mode' : ''}`
}

/** The doc's HTTP column for a row without an HTTP answer (a queue record). */
export const NO_STATUS = '—'

/** Outcomes that end a termination: each puts one event (issue 10); `retryable` puts none. */
const ENDED: ReadonlySet<string> = new Set(['terminated', 'already_terminated', 'rejected', 'failed'])

/**
 * The events a row's call must have put on the bus: as the row says, else by the rule (a
 * termination that ended puts one, from any entry point; a query none).
 */
export function expectedEvents(row: Pick<FaultRow, 'events' | 'call' | 'outcome'>): number {
  if (row.events !== undefined) return row.events
  if (row.call?.startsWith('query')) return 0
  return ENDED.has(row.outcome) ? 1 : 0
}
