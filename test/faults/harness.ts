import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { OutcomeKind, QueryResultKind } from '../../functions/authorizations/outcome.ts'
import { TERMINATION } from '../../functions/events/entries.ts'
import { STATUS_BY_QUERY_RESULT } from '../../functions/runtime/http.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { httpEvent, lambdaContext, routeEvent } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'
import { readSent } from '../helpers/wechatpay-requests.ts'
import {
  type Delivery,
  deliverNotification,
  deliverRecord,
  type Notification,
  type NotificationOutcome,
  type NotificationRequest,
  wechatNotification,
} from './deliveries.ts'
import { expectedEvents, type FaultRow } from './rows.ts'

/** What one call (HTTP, a queue record, or a notification) under a fault came to. */
export interface Observation {
  /** The HTTP status; null for a queue record (no HTTP answer). */
  status: number | null
  /**
   * Terminate: the outcome, from the body, or for a 500 (no detail in the body) or a queue record
   * from the `termination finished` log line. Query: the result its status stands for.
   * Notification: the `result` of its `notification finished` line, or `unexpected_error`.
   */
  outcome: OutcomeKind | QueryResultKind | NotificationOutcome | undefined
  attempts: number | undefined
  body: Record<string, unknown>
  headers: Record<string, unknown>
  /** Requests WeChat Pay (the simulator) received naming the call's authorization, as it named it. */
  terminate: number
  query: number
  /**
   * Events EventBridge accepted for the call: terminations naming its authorization as it named
   * it, or the notification's (by notification_id).
   */
  events: number
  /**
   * The function's log lines for this invocation, by its request id; for a notification every line
   * written meanwhile, its metrics included (those rows run one at a time).
   */
  logs: Array<Record<string, unknown>>
  elapsedMs: number
}

/**
 * One HTTP call: terminate (POST) or query (GET) an authorization named by its code (in the path)
 * or by a user's openid / sub_openid (in the body or the query string), in partner or direct mode.
 */
export interface Call {
  operation?: 'terminate' | 'query'
  mode?: 'partner' | 'direct'
  by?: 'authorization_code' | 'openid' | 'sub_openid'
  name: string
  /** With an openid or sub_openid: default the simulator's appid. Beside a code: sent as given. */
  appid?: string
  /** Required with a sub_openid (default SUB_APPID). */
  sub_appid?: string
  remainingMs?: number
}

export const SUB_APPID = 'wx5678efh567hg6786'

export interface Harness {
  stack: Stack
  /** A code nobody used, behind a sandbox magic prefix if given. */
  code(prefix?: string): string
  /** An openid (or sub_openid) nobody used, behind a sandbox magic prefix if given. */
  openid(prefix?: string): string
  /** Every code and openid handed out, for the leak scan. */
  readonly codes: ReadonlySet<string>
  readonly openids: ReadonlySet<string>
  /** POST /v1/authorizations/{code}/terminate through the real handler (partner mode). */
  post(code: string, options?: { remainingMs?: number }): Promise<Observation>
  /** Any route, either mode, through the real handler. */
  call(call: Call): Promise<Observation>
  /** A notification WeChat makes now for a fresh code and openid (all of it known to the leak scan). */
  notification(request?: NotificationRequest): Notification
  /** Delivers a notification to the notification function (of `container`, default the partner one). */
  notify(sent: Notification, delivery?: Delivery & { container?: Container }): Promise<Observation>
  /** One SQS record terminating `code` through the partner container's queue handler. */
  queue(code: string, options?: { receiveCount?: number }): Promise<Observation>
  /** A fresh container (a cold start) with `env` over the shared one's; its logs are scanned too. */
  container(env?: Record<string, string>): Container
  /** Values no log line may hold (APIv3 keys, ciphertexts, plaintexts), for the leak scan. */
  readonly secrets: string[]
  /** GetSecretValue calls so far, for every secret or for `secretId`. */
  secretReads(secretId?: string): number
  /** The containers' log lines so far. */
  logLines(): string[]
  close(): Promise<void>
}

/**
 * A query's result, read from its status (the query answer has no `outcome` field). Not from the
 * `query finished` log line: rows run at the same time in one container, whose logger carries the
 * request id of whichever invocation started last.
 */
const RESULT_BY_STATUS: Record<number, QueryResultKind> = Object.fromEntries(
  Object.entries(STATUS_BY_QUERY_RESULT).map(([result, status]) => [status, result as QueryResultKind]),
)

type HttpHandler = (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>

/** The route, and the event API Gateway builds for it, that `call` makes. */
function eventOf({ operation = 'terminate', mode = 'partner', by = 'authorization_code', ...call }: Call) {
  const fields: Record<string, string | undefined> = {
    service_id: VALID.service_id,
    ...(mode === 'partner' ? { sub_mchid: VALID.sub_mchid } : {}),
    ...(by === 'authorization_code' ? {} : { [by]: call.name, appid: call.appid ?? DEFAULT_APPID }),
    ...(by === 'authorization_code' && call.appid ? { appid: call.appid } : {}),
    ...(call.sub_appid || by === 'sub_openid' ? { sub_appid: call.sub_appid ?? SUB_APPID } : {}),
  }
  const path = by === 'authorization_code' ? { authorization_code: call.name } : undefined
  if (operation === 'query') {
    const query = new URLSearchParams(fields as Record<string, string>).toString()
    const route = path ? 'GET /v1/authorizations/{authorization_code}' : 'GET /v1/authorizations'
    return routeEvent(route, { query, ...(path ? { path } : {}) })
  }
  const body = { ...fields, reason: VALID.reason }
  return path ? httpEvent(call.name, body) : routeEvent('POST /v1/authorizations/terminate', { body })
}

/**
 * The stand-ins plus the real HTTP handlers of two Lambda containers configured with `env`: one in
 * partner mode (the default) and one in direct mode.
 */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const stack = await startStack()
  const containers: Record<'partner' | 'direct', Container> = {
    partner: stack.container({ ...env }),
    direct: stack.container({ ...env, WECHATPAY_MODE: 'direct' }),
  }
  const others: Container[] = []
  const requestsFor = (call: Call, endpoint: 'terminate' | 'query') =>
    stack.simulator.requests
      .map(readSent)
      .filter(
        (sent) =>
          sent.endpoint === endpoint &&
          sent.name === call.name &&
          sent.by === (call.by ?? 'authorization_code'),
      ).length

  const terminationEvents = (by: string, name: string) =>
    stack.eventBridge.events.filter(
      (event) => event.detailType === TERMINATION && (event.detail as Record<string, unknown>)[by] === name,
    ).length

  const codes = new Set<string>()
  const openids = new Set<string>()
  const secrets: string[] = []
  async function call(request: Call): Promise<Observation> {
    const container = containers[request.mode ?? 'partner']
    const context = lambdaContext(request.remainingMs ?? 15_000)
    const started = performance.now()
    const handler = container.http as unknown as HttpHandler
    const response = await handler(eventOf(request) as APIGatewayProxyEventV2, context)
    const elapsedMs = performance.now() - started
    const logs = container.logs.of(context.awsRequestId)
    const body = JSON.parse(String(response.body)) as Record<string, unknown>
    const finished = logs.find((line) => line.message === 'termination finished')
    const status = Number(response.statusCode)
    return {
      status,
      outcome: (body.outcome ??
        (request.operation === 'query'
          ? RESULT_BY_STATUS[status]
          : finished?.outcome)) as Observation['outcome'],
      attempts: (body.attempts ?? finished?.attempts) as number | undefined,
      body,
      headers: response.headers ?? {},
      terminate: requestsFor(request, 'terminate'),
      query: requestsFor(request, 'query'),
      events: terminationEvents(request.by ?? 'authorization_code', request.name),
      logs,
      elapsedMs,
    }
  }
  const sentFor = (name: string) => ({
    terminate: requestsFor({ name }, 'terminate'),
    query: requestsFor({ name }, 'query'),
  })
  return {
    stack,
    codes,
    openids,
    secrets,
    logLines: () => [containers.partner, containers.direct, ...others].flatMap((c) => c.logs.text()),
    code(prefix = 'fault') {
      const code = freshCode(prefix)
      codes.add(code)
      return code
    },
    openid(prefix = 'o') {
      // [0-9A-Za-z_-]: a sandbox prefix stays in front, where the simulator looks for it.
      const openid = freshCode(prefix === 'o' ? 'ouser' : prefix)
      openids.add(openid)
      return openid
    },
    post: (code, { remainingMs } = {}) => call({ name: code, ...(remainingMs ? { remainingMs } : {}) }),
    call,
    notification(request = {}) {
      const code = freshCode('notify')
      const openid = freshCode('onotify')
      codes.add(code)
      openids.add(openid)
      const made = wechatNotification(stack, request, code, openid)
      secrets.push(...made.secrets)
      return made.sent
    },
    notify: (sent, { container = containers.partner, ...delivery } = {}) =>
      deliverNotification(stack, container, sent, delivery, sentFor),
    async queue(code, { receiveCount = 1 } = {}) {
      const observation = await deliverRecord(containers.partner, code, receiveCount, sentFor)
      return { ...observation, events: terminationEvents('authorization_code', code) }
    },
    container(overrides = {}) {
      const container = stack.container({ ...env, ...overrides })
      others.push(container)
      return container
    },
    secretReads: (secretId) =>
      stack.secretsManager.calls.filter(
        (call) =>
          call.operation === 'GetSecretValue' && (secretId === undefined || call.secretId === secretId),
      ).length,
    close: () => stack.close(),
  }
}

/** Runs one row and checks what every row promises: outcome, status, and what reached WeChat Pay. */
export async function runRow(row: FaultRow, h: Harness): Promise<Observation> {
  const observation = await row.run(h)
  const within = (count: number, expected: number | readonly [number, number]) =>
    typeof expected === 'number' ? count === expected : count >= expected[0] && count <= expected[1]
  const events = expectedEvents(row)
  const seen = `${observation.status} ${observation.outcome} (attempts ${observation.attempts}, ${observation.terminate} terminate + ${observation.query} query, ${observation.events} events)`
  if (
    observation.status !== row.status ||
    observation.outcome !== row.outcome ||
    !within(observation.terminate, row.sent.terminate) ||
    !within(observation.query, row.sent.query) ||
    observation.events !== events
  ) {
    const wanted = `${row.status} ${row.outcome} (${JSON.stringify(row.sent)}, ${events} events)`
    throw new Error(`${row.id}: expected ${wanted}, got ${seen}`)
  }
  await row.check?.(observation, h)
  return observation
}
