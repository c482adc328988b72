import type { CallOptions, WechatPayCaller } from './client.ts'
import { WechatPayError } from './errors.ts'

/**
 * The two partner-mode Pay Score endpoints this service needs.
 * Terminate: https://pay.weixin.qq.com/wiki/doc/apiv3_partner/Offline/apis/chapter6_2_20.shtml
 */
const AUTHORIZATION_PATH = '/v3/payscore/partner/permissions/authorization-code'

/** WeChat's rule for authorization_code: 1..32 of digits, ASCII letters and `_ - *`. */
export const AUTHORIZATION_CODE = /^[0-9A-Za-z_*-]{1,32}$/

export interface AuthorizationRef {
  authorizationCode: string
  serviceId: string
  subMchid: string
}

export interface TerminateRequest extends AuthorizationRef {
  reason: string
}

export type AuthorizationState = 'UNBINDUSER' | 'AVAILABLE' | 'UNAVAILABLE'

export interface Authorization {
  authorizationState: AuthorizationState
  requestId: string | undefined
  attempts: number
}

type Deadline = Pick<CallOptions, 'deadline'>

/** POST .../authorization-code/{code}/terminate: resolves on a verified 204, throws WechatPayError otherwise. */
export async function terminateByCode(
  client: WechatPayCaller,
  request: TerminateRequest,
  { deadline }: Deadline,
) {
  const { serviceId, subMchid, reason } = request
  const response = await client.call('POST', `${codePath(request.authorizationCode)}/terminate`, {
    deadline,
    body: { service_id: serviceId, sub_mchid: subMchid, reason },
  })
  if (response.status !== 204) {
    throw new WechatPayError('BAD_RESPONSE', `terminate answered ${response.status}, expected 204`, {
      status: response.status,
      requestId: response.requestId,
      attempts: response.attempts,
    })
  }
  return { status: 204 as const, requestId: response.requestId, attempts: response.attempts }
}

/** GET .../authorization-code/{code}?service_id=..&sub_mchid=..: the verified authorization state. */
export async function queryByCode(
  client: WechatPayCaller,
  ref: AuthorizationRef,
  { deadline }: Deadline,
): Promise<Authorization> {
  const response = await client.call('GET', codePath(ref.authorizationCode), {
    deadline,
    query: { service_id: ref.serviceId, sub_mchid: ref.subMchid },
  })
  const details = { status: response.status, requestId: response.requestId, attempts: response.attempts }
  const answer = parseObject(response.body)
  if (!answer) throw new WechatPayError('BAD_RESPONSE', 'query answered with no JSON object', details)
  const problem = bindingProblem(answer, {
    required: {
      service_id: ref.serviceId,
      sub_mchid: ref.subMchid,
      authorization_code: ref.authorizationCode,
    },
    optional: { mchid: response.mchid },
  })
  if (problem) throw new WechatPayError('UNBOUND_ANSWER', `query answer ${problem}`, details)
  const state = answer.authorization_state
  if (state !== 'AVAILABLE' && state !== 'UNAVAILABLE' && state !== 'UNBINDUSER') {
    throw new WechatPayError('BAD_RESPONSE', 'query answered without a known authorization_state', details)
  }
  return { authorizationState: state, requestId: response.requestId, attempts: response.attempts }
}

/**
 * What a verified query answer must say to count as an answer about the authorization asked: a
 * signature proves WeChat said it, not that it is about this request.
 */
export interface Binding {
  /** Fields WeChat documents as always present that name what was asked: present and equal. */
  required: Record<string, string>
  /** Identifying fields WeChat may leave out: equal when present. */
  optional: Record<string, string | undefined>
}

/** Why `answer` is not about what `binding` names (field names only, never values), or undefined. */
export function bindingProblem(answer: Record<string, unknown>, binding: Binding): string | undefined {
  for (const [field, expected] of Object.entries(binding.required)) {
    if (answer[field] === undefined || answer[field] === null) return `has no ${field}`
    if (answer[field] !== expected) return `is about another ${field}`
  }
  for (const [field, expected] of Object.entries(binding.optional)) {
    if (expected === undefined || answer[field] === undefined || answer[field] === null) continue
    if (answer[field] !== expected) return `is about another ${field}`
  }
  return undefined
}

/** The code lands inside a signed URL: check it against WeChat's rule, then percent-encode it anyway. */
function codePath(authorizationCode: string) {
  if (!AUTHORIZATION_CODE.test(authorizationCode)) {
    throw new WechatPayError('INVALID_PARAMETER', 'authorization_code must be 1..32 of [0-9A-Za-z_*-]', {
      attempts: 0,
    })
  }
  return `${AUTHORIZATION_PATH}/${encodeURIComponent(authorizationCode)}`
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
