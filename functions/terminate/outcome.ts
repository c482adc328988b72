import type { AuthorizationState } from '../wechatpay/operations.ts'
import type { TerminateInput } from './request.ts'

export type OutcomeKind = 'terminated' | 'already_terminated' | 'rejected' | 'failed' | 'retryable'

/** The one normalized answer, the same JSON for every entry point (see README, "Outcome contract"). */
export interface Outcome {
  outcome: OutcomeKind
  authorization_code: string
  service_id: string
  sub_mchid: string
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
  input: TerminateInput,
  facts: WechatPayFacts,
  attempts: number,
): Outcome {
  return {
    outcome: kind,
    authorization_code: input.authorization_code,
    service_id: input.service_id,
    sub_mchid: input.sub_mchid,
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
