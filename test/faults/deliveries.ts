/**
 * The fault matrix's calls that are not HTTP terminations or queries: a notification delivered to
 * the notification function, and an SQS record to the queue function, each observed as a row needs
 * it (status, outcome, requests sent to WeChat Pay, events, log lines).
 */
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda'
import type { NotificationResult } from '../../functions/runtime/observability.ts'
import {
  authorizationResource,
  buildNotification,
  type NotificationFault,
  type NotifierKey,
  type SignedNotification,
} from '../../infra/local/simulator/notify.ts'
import { lambdaContext, sqsEvent, sqsRecord } from '../helpers/lambda.ts'
import { notificationEvent, notifierKey } from '../helpers/notifications.ts'
import { type Container, type Stack, VALID } from '../helpers/stack.ts'
import { notificationSecrets } from '../leaks/scanner.ts'
import type { Observation } from './harness.ts'

/** What the notification function reported (its Notification metric's result), or that it threw. */
export type NotificationOutcome = NotificationResult | 'unexpected_error'

export interface Delivery {
  /** The body as API Gateway hands it over when it says isBase64Encoded. */
  base64?: boolean
  remainingMs?: number
}

type SentFor = (name: string) => { terminate: number; query: number }

/** A notification and the authorization code its resource names (none for other event types). */
export type Notification = SignedNotification & { code?: string }

export interface NotificationRequest {
  /** Default close; `other` sends PAYSCORE.USER_PAID with a resource of another shape. */
  kind?: 'open' | 'close' | 'other'
  fault?: NotificationFault
  /** WeChat's signing key; default the one the stack's secret trusts. */
  key?: NotifierKey
  /** Default the stack's merchant's. */
  apiv3Key?: string
}

/**
 * A notification WeChat makes now (infra/local/simulator/notify.ts) for `code` and `openid`, and
 * what no log may hold of it: its ciphertext and plaintext.
 */
export function wechatNotification(
  stack: Stack,
  {
    kind = 'close',
    fault,
    key = notifierKey(stack.merchant),
    apiv3Key = stack.merchant.apiv3Key,
  }: NotificationRequest,
  code: string,
  openid: string,
): { sent: Notification; secrets: string[] } {
  const resource =
    kind === 'other'
      ? { out_order_no: code, openid, state: 'DONE' }
      : authorizationResource(kind, { authorization_code: code, openid })
  const eventType = kind === 'other' ? 'PAYSCORE.USER_PAID' : `PAYSCORE.USER_${kind.toUpperCase()}_SERVICE`
  const sent = buildNotification({ eventType, resource, apiv3Key, key, ...(fault ? { fault } : {}) })
  const { ciphertext } = (JSON.parse(sent.body) as { resource: { ciphertext: string } }).resource
  return {
    sent: { ...sent, ...(kind === 'other' ? {} : { code }) },
    secrets: [apiv3Key, ...notificationSecrets(ciphertext, JSON.stringify(resource))],
  }
}

/** POSTs `sent` to `container`'s notification function as API Gateway would; what came of it. */
export async function deliverNotification(
  stack: Stack,
  container: Container,
  sent: Notification,
  { base64 = false, remainingMs = 15_000 }: Delivery,
  sentFor: SentFor,
): Promise<Observation> {
  const context = lambdaContext(remainingMs)
  const started = performance.now()
  const handler = container.notify as unknown as (
    event: unknown,
    context: unknown,
  ) => Promise<APIGatewayProxyStructuredResultV2>
  // Every line written meanwhile, its metrics included: notification rows run one at a time.
  const { result: response, lines: logs } = await container.logs.during(() =>
    handler(notificationEvent(sent, { base64 }), context),
  )
  const elapsedMs = performance.now() - started
  const finished = logs.find((line) => line.message === 'notification finished')
  const unexpected = logs.some((line) => line.message === 'unexpected error')
  return {
    status: Number(response.statusCode),
    outcome: (finished?.result ?? (unexpected ? 'unexpected_error' : undefined)) as NotificationOutcome,
    attempts: undefined,
    body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {},
    headers: response.headers ?? {},
    // A notification never calls WeChat Pay: no request names its code.
    ...sentFor(sent.code ?? ''),
    events: stack.eventBridge.events.filter(
      (event) => (event.detail as Record<string, unknown>).notification_id === sent.id,
    ).length,
    logs,
    elapsedMs,
  }
}

/**
 * One SQS record terminating `code` (received `receiveCount` times) through `container`'s queue
 * function; `body` is its batch response. Events are the caller's to count.
 */
export async function deliverRecord(
  container: Container,
  code: string,
  receiveCount: number,
  sentFor: SentFor,
): Promise<Omit<Observation, 'events'>> {
  const event = sqsEvent([])
  event.Records.push(sqsRecord(JSON.stringify({ ...VALID, authorization_code: code }), receiveCount))
  const context = lambdaContext()
  const started = performance.now()
  const handler = container.queue as unknown as (
    event: unknown,
    context: unknown,
  ) => Promise<SQSBatchResponse>
  const response = await handler(event, context)
  const elapsedMs = performance.now() - started
  const logs = container.logs.of(context.awsRequestId)
  const finished = logs.find((line) => line.message === 'termination finished')
  return {
    status: null,
    outcome: finished?.outcome as Observation['outcome'],
    attempts: finished?.attempts as number | undefined,
    body: { ...response },
    headers: {},
    ...sentFor(code),
    logs,
    elapsedMs,
  }
}
