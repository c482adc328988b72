import { CredentialsError } from '../merchant/errors.ts'
import type { WechatPayCaller } from '../wechatpay/client.ts'
import { errorClass, WechatPayError } from '../wechatpay/errors.ts'
import { getJson } from '../wechatpay/operations.ts'
import { type AuthorizationState, credentialsFailure, factsOf, queryResultOf } from './outcome.ts'
import { type AuthorizationRef, bindingProblem, queryRequest } from './reference.ts'

export interface AuthorizationContext {
  /** Epoch milliseconds by which every WeChat call must have ended. */
  deadline: number
  /** The merchant's client, following key rotation (functions/merchant/rotating-client.ts). */
  wechatpay: WechatPayCaller
  /** Told of every WeChat Pay error met on the way, for logs and metrics. */
  observe?: (error: WechatPayError, during: 'terminate' | 'query') => void
}

/** The verified state of an authorization, as WeChat gave it (null where it gave none). */
export interface AuthorizationStateView {
  authorization_state: AuthorizationState
  authorization_code: string | null
  openid: string | null
  sub_openid: string | null
  service_id: string | null
  appid: string | null
  sub_mchid: string | null
  sub_appid: string | null
  authorization_success_time: string | null
  cancel_authorization_time: string | null
  wechatpay: { status: number; request_id: string | null }
}

export type QueryResult =
  | { result: 'found'; state: AuthorizationStateView; attempts: number }
  | {
      result: 'not_found' | 'failed' | 'retryable'
      wechatpay: {
        status: number | null
        code: string | null
        message: string | null
        request_id: string | null
      }
      attempts: number
      fault?: 'configuration'
    }

const STATES: readonly AuthorizationState[] = ['UNBINDUSER', 'AVAILABLE', 'UNAVAILABLE']
const VIEW_FIELDS = [
  'authorization_code',
  'openid',
  'sub_openid',
  'service_id',
  'appid',
  'sub_mchid',
  'sub_appid',
  'authorization_success_time',
  'cancel_authorization_time',
] as const

/**
 * Asks WeChat for the authorization's state and trusts the answer only when it verified and is
 * about `ref` (reference.ts, bindingProblem). Throws WechatPayError or CredentialsError otherwise.
 */
export async function readState(
  ref: AuthorizationRef,
  context: AuthorizationContext,
): Promise<{ view: AuthorizationStateView; attempts: number }> {
  const { answer, status, requestId, attempts, mchid } = await getJson(
    context.wechatpay,
    queryRequest(ref),
    context,
  )
  const details = { status, requestId, attempts }
  const problem = bindingProblem(ref, answer, mchid)
  if (problem) throw new WechatPayError('UNBOUND_ANSWER', `query answer ${problem}`, details)
  const state = answer.authorization_state
  if (!STATES.includes(state as AuthorizationState)) {
    throw new WechatPayError('BAD_RESPONSE', 'query answered without a known authorization_state', details)
  }
  const view = Object.fromEntries(
    VIEW_FIELDS.map((field) => [field, typeof answer[field] === 'string' ? answer[field] : null]),
  ) as Omit<AuthorizationStateView, 'authorization_state' | 'wechatpay'>
  return {
    view: {
      authorization_state: state as AuthorizationState,
      ...view,
      wechatpay: { status, request_id: requestId ?? null },
    },
    attempts,
  }
}

/** The query use case: the verified state, or why there is none. */
export async function queryAuthorization(
  ref: AuthorizationRef,
  context: AuthorizationContext,
): Promise<QueryResult> {
  try {
    const { view, attempts } = await readState(ref, context)
    return { result: 'found', state: view, attempts }
  } catch (error) {
    if (error instanceof CredentialsError) {
      const { kind, facts, attempts, fault } = credentialsFailure(error)
      return { result: kind, wechatpay: wechatpayOf(facts), attempts, ...(fault ? { fault } : {}) }
    }
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'query')
    const result =
      errorClass(error.code) === 'refused'
        ? queryResultOf(error.status ?? 0, error.wechatCode)
        : errorClass(error.code) === 'unanswered'
          ? 'retryable'
          : 'failed'
    return { result, wechatpay: wechatpayOf(factsOf(error)), attempts: error.attempts ?? 0 }
  }
}

function wechatpayOf(facts: ReturnType<typeof factsOf>) {
  return {
    status: facts.status ?? null,
    code: facts.code ?? null,
    message: facts.message ?? null,
    request_id: facts.requestId ?? null,
  }
}
