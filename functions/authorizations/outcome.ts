import type { CredentialsError } from '../merchant/errors.ts'
import type { WechatPayError } from '../wechatpay/errors.ts'
import type { AuthorizationRef } from './reference.ts'

/** `UNBINDUSER` (never bound to a user), `AVAILABLE` (authorized), `UNAVAILABLE` (ended). */
export type AuthorizationState = 'UNBINDUSER' | 'AVAILABLE' | 'UNAVAILABLE'

export type OutcomeKind = 'terminated' | 'already_terminated' | 'rejected' | 'failed' | 'retryable'

/** The one normalized answer, the same JSON for every entry point (see README, "Outcome contract"). */
export interface Outcome {
  outcome: OutcomeKind
  /** The input's identification, echoed: null where the input gave none (never filled in from a query). */
  authorization_code: string | null
  openid: string | null
  sub_openid: string | null
  service_id: string
  appid: string | null
  /** null in direct mode. */
  sub_mchid: string | null
  sub_appid: string | null
  wechatpay: {
    status: number | null
    code: string | null
    message: string | null
    request_id: string | null
    authorization_state: AuthorizationState | null
  }
  /** Terminate requests sent, retries and the retry after a credential refresh included. */
  attempts: number
}

/** What to do with an answer from WeChat to the terminate request that is not a verified 204. */
export type Disposition =
  /** The request or authorization is wrong; retrying will not help. */
  | 'rejected'
  /** Our configuration is wrong. */
  | 'failed'
  /** Transient on WeChat's side. */
  | 'retryable'
  /** A business refusal: the verified query decides between already_terminated and rejected. */
  | 'settle'

/**
 * THE table: WeChat status / error code -> disposition, first match wins. WeChat does not document
 * what terminate answers for an authorization that is already terminated, so every business refusal
 * is settled by asking the authorization's state instead of reading message text.
 * https://pay.weixin.qq.com/wiki/doc/apiv3_partner/Offline/apis/chapter6_2_20.shtml (error codes)
 */
export const DISPOSITIONS: ReadonlyArray<{
  status: number | '4xx' | '5xx'
  code?: string
  disposition: Disposition
}> = [
  { status: 400, code: 'PARAM_ERROR', disposition: 'rejected' },
  { status: 400, code: 'INVALID_REQUEST', disposition: 'settle' },
  { status: 400, code: 'INVALID_ORDER_STATE', disposition: 'settle' },
  { status: 400, code: 'ORDER_CANCELED', disposition: 'settle' },
  { status: 400, code: 'ORDER_DONE', disposition: 'settle' },
  // SIGN_ERROR reaches this table only after the client refreshed the merchant secret once and
  // WeChat still refused the signature (functions/merchant/rotating-client.ts).
  { status: 401, code: 'SIGN_ERROR', disposition: 'failed' },
  { status: 401, disposition: 'failed' },
  { status: 403, code: 'NO_AUTH', disposition: 'failed' },
  { status: 404, code: 'ORDER_NOT_EXIST', disposition: 'rejected' },
  { status: 404, code: 'RESOURCE_NOT_EXISTS', disposition: 'rejected' },
  { status: 429, disposition: 'retryable' },
  { status: '5xx', disposition: 'retryable' },
  { status: '4xx', disposition: 'settle' },
]

export function dispositionOf(status: number, code: string | undefined): Disposition {
  const band = status >= 500 ? '5xx' : status >= 400 ? '4xx' : undefined
  const row = DISPOSITIONS.find(
    (entry) =>
      (entry.status === status || entry.status === band) && (entry.code === undefined || entry.code === code),
  )
  return row?.disposition ?? 'failed'
}

export interface WechatPayFacts {
  status?: number | undefined
  code?: string | undefined
  message?: string | undefined
  requestId?: string | undefined
  authorizationState?: AuthorizationState | undefined
}

export function outcome(
  kind: OutcomeKind,
  ref: AuthorizationRef,
  facts: WechatPayFacts,
  attempts: number,
): Outcome {
  return {
    outcome: kind,
    authorization_code: ref.authorization_code,
    openid: ref.openid,
    sub_openid: ref.sub_openid,
    service_id: ref.service_id,
    appid: ref.appid,
    sub_mchid: ref.sub_mchid,
    sub_appid: ref.sub_appid,
    wechatpay: {
      status: facts.status ?? null,
      code: facts.code ?? null,
      message: facts.message ?? null,
      request_id: facts.requestId ?? null,
      authorization_state: facts.authorizationState ?? null,
    },
    attempts,
  }
}

/** Only these end an event: the queue deletes the message, HTTP answers 200. */
export function isDone(result: Outcome): boolean {
  return result.outcome === 'terminated' || result.outcome === 'already_terminated'
}

/** What a query comes to: the state, or why there is none. */
export type QueryResultKind = 'found' | 'not_found' | 'failed' | 'retryable'

/**
 * A query's refusal -> result, beside the terminate table so that both read the same: an
 * authorization WeChat does not know is `not_found`; 429 and 5xx may pass (`retryable`); any other
 * refusal (PARAM_ERROR, NO_AUTH, SIGN_ERROR after the client's one refresh) is ours to fix.
 */
export function queryResultOf(status: number, code: string | undefined): Exclude<QueryResultKind, 'found'> {
  if (status === 404 && (code === 'ORDER_NOT_EXIST' || code === 'RESOURCE_NOT_EXISTS')) return 'not_found'
  if (status === 429 || status >= 500) return 'retryable'
  return 'failed'
}

export interface Failure {
  kind: 'retryable' | 'failed'
  facts: WechatPayFacts
  attempts: number
  /** Our own configuration or secret is at fault and nothing was sent: HTTP answers 500. */
  fault?: 'configuration'
}

/**
 * THE place where credential problems become results, for terminate and query alike. Nothing
 * sent: a transient problem is retryable, any other is our configuration. After WeChat refused our
 * signature and the refresh of the secret failed: that refusal is reported, retryable when the
 * refresh may yet pass.
 */
export function credentialsFailure(error: CredentialsError): Failure {
  const kind = error.transient ? 'retryable' : 'failed'
  if (error.refused) return { kind, facts: factsOf(error.refused), attempts: error.refused.attempts ?? 0 }
  return error.transient
    ? { kind, facts: {}, attempts: 0 }
    : { kind, facts: {}, attempts: 0, fault: 'configuration' }
}

/** WeChat's side of a failed call, as the outcome reports it. */
export function factsOf(error: WechatPayError): WechatPayFacts {
  return {
    status: error.status,
    code: error.wechatCode,
    message: error.wechatMessage,
    requestId: error.requestId,
  }
}
