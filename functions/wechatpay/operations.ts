import type { CallOptions, WechatPayClient } from './client.ts'
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
  client: WechatPayClient,
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
  client: WechatPayClient,
  ref: AuthorizationRef,
  { deadline }: Deadline,
): Promise<Authorization> {
  const response = await client.call('GET', codePath(ref.authorizationCode), {
    deadline,
    query: { service_id: ref.serviceId, sub_mchid: ref.subMchid },
  })
  const state = parseState(response.body, ref.authorizationCode)
  if (!state) {
    throw new WechatPayError(
      'BAD_RESPONSE',
      'query answered without a known authorization_state for this authorization_code',
      {
        status: response.status,
        requestId: response.requestId,
        attempts: response.attempts,
      },
    )
  }
  return { authorizationState: state, requestId: response.requestId, attempts: response.attempts }
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

/** The state, from an answer about this very authorization (a verified answer about another code is refused). */
function parseState(body: string, authorizationCode: string): AuthorizationState | undefined {
  try {
    const answer = JSON.parse(body) as { authorization_state?: unknown; authorization_code?: unknown }
    if (answer.authorization_code !== undefined && answer.authorization_code !== authorizationCode)
      return undefined
    const state = answer.authorization_state
    return state === 'AVAILABLE' || state === 'UNAVAILABLE' || state === 'UNBINDUSER' ? state : undefined
  } catch {
    return undefined
  }
}
