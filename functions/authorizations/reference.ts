/**
 * THE place that knows how WeChat names an authorization. A reference is an authorization code, or
 * an openid / sub_openid with its appid / sub_appid, under a mode (partner: a service provider acting
 * for a sub-merchant; direct: a merchant for itself). Everything that depends on the shape derives from
 * here: the WeChat path, body and query string, and what a query answer must say to be about it.
 * A new shape is a new row of SHAPES (and the simulator's), nothing else.
 * https://pay.weixin.qq.com/docs/partner/apis/partner-weixin-pay-score/partner-service-auth/
 * https://pay.weixin.qq.com/docs/merchant/apis/weixin-pay-score/service-auth/
 */

import { WechatPayError } from '../wechatpay/errors.ts'

export type Mode = 'partner' | 'direct'

/** The fields that name an authorization, as the input and the outcome JSON name them. */
export interface AuthorizationRef {
  mode: Mode
  service_id: string
  /** Partner mode only: the sub-merchant. */
  sub_mchid: string | null
  authorization_code: string | null
  openid: string | null
  /** Partner mode only: the user's id under the sub-merchant's sub_appid. */
  sub_openid: string | null
  appid: string | null
  sub_appid: string | null
}

/** The fields that identify the authorization besides service_id and sub_mchid. */
export const IDENTIFYING_FIELDS = [
  'authorization_code',
  'openid',
  'sub_openid',
  'appid',
  'sub_appid',
] as const

/** WeChat's rules for values that end up in a signed path. */
export const AUTHORIZATION_CODE = /^[0-9A-Za-z_*-]{1,32}$/
export const OPENID = /^[0-9A-Za-z_-]{1,128}$/

export interface WechatRequest {
  path: string
  /** The JSON body's fields, in WeChat's order (terminate). */
  body?: Record<string, string>
  /** The query string's fields, in WeChat's order (query). */
  query?: Record<string, string>
  /** The field whose value is a segment of the path, if any. */
  pathField?: 'authorization_code' | 'openid'
}

interface Shape {
  terminate(ref: AuthorizationRef, reason: string): WechatRequest
  query(ref: AuthorizationRef): WechatRequest
  /** Fields WeChat always returns in a query answer that name what was asked. */
  answerNames: ReadonlyArray<keyof AuthorizationRef>
}

const PARTNER = '/v3/payscore/partner/permissions'
const DIRECT = '/v3/payscore/permissions'

const SHAPES: Record<`${Mode}/${'code' | 'openid'}`, Shape> = {
  'partner/code': {
    terminate: (ref, reason) => ({
      path: `${PARTNER}/authorization-code/${segment(ref.authorization_code, AUTHORIZATION_CODE)}/terminate`,
      body: { service_id: ref.service_id, sub_mchid: need(ref.sub_mchid), reason },
    }),
    query: (ref) => ({
      path: `${PARTNER}/authorization-code/${segment(ref.authorization_code, AUTHORIZATION_CODE)}`,
      query: { service_id: ref.service_id, sub_mchid: need(ref.sub_mchid) },
      pathField: 'authorization_code',
    }),
    answerNames: ['service_id', 'sub_mchid', 'authorization_code'],
  },
  'partner/openid': {
    terminate: (ref, reason) => ({
      path: `${PARTNER}/terminate`,
      body: { ...userFields(ref), reason },
    }),
    query: (ref) => ({ path: `${PARTNER}/search`, query: userFields(ref) }),
    answerNames: ['service_id', 'sub_mchid'],
  },
  'direct/code': {
    terminate: (ref, reason) => ({
      path: `${DIRECT}/authorization-code/${segment(ref.authorization_code, AUTHORIZATION_CODE)}/terminate`,
      body: { service_id: ref.service_id, reason },
    }),
    query: (ref) => ({
      path: `${DIRECT}/authorization-code/${segment(ref.authorization_code, AUTHORIZATION_CODE)}`,
      query: { service_id: ref.service_id },
      pathField: 'authorization_code',
    }),
    answerNames: ['service_id', 'authorization_code'],
  },
  'direct/openid': {
    terminate: (ref, reason) => ({
      path: `${DIRECT}/openid/${segment(ref.openid, OPENID)}/terminate`,
      body: { service_id: ref.service_id, appid: need(ref.appid), reason },
    }),
    query: (ref) => ({
      path: `${DIRECT}/openid/${segment(ref.openid, OPENID)}`,
      query: { service_id: ref.service_id, appid: need(ref.appid) },
      pathField: 'openid',
    }),
    answerNames: ['service_id'],
  },
}

function shapeOf(ref: AuthorizationRef): Shape {
  return SHAPES[`${ref.mode}/${ref.authorization_code === null ? 'openid' : 'code'}`]
}

/** The terminate request for this authorization: `POST path` with `body`. */
export function terminateRequest(ref: AuthorizationRef, reason: string): WechatRequest {
  return shapeOf(ref).terminate(ref, reason)
}

/** The query request for this authorization: `GET path?query`. */
export function queryRequest(ref: AuthorizationRef): WechatRequest {
  return shapeOf(ref).query(ref)
}

/**
 * Why a verified query answer is not about `ref` (field names only, never values), or undefined.
 * A signature proves WeChat said it, not that it answers this request: the fields WeChat always
 * returns that name what was asked must be present and equal; `mchid`, when present, must be the
 * merchant that asked; every other identifying field the request carried must be equal when WeChat
 * names it.
 */
export function bindingProblem(
  ref: AuthorizationRef,
  answer: Record<string, unknown>,
  mchid: string,
): string | undefined {
  const shape = shapeOf(ref)
  const asked = askedIn(shape.query(ref))
  for (const field of shape.answerNames) {
    if (answer[field] === undefined || answer[field] === null) return `has no ${field}`
    if (answer[field] !== ref[field]) return `is about another ${field}`
  }
  const optional: Array<[string, string]> = [
    ['mchid', mchid],
    ...IDENTIFYING_FIELDS.filter((field) => asked.has(field) && !shape.answerNames.includes(field)).map(
      (field): [string, string] => [field, ref[field]!],
    ),
  ]
  for (const [field, expected] of optional) {
    if (answer[field] === undefined || answer[field] === null) continue
    if (answer[field] !== expected) return `is about another ${field}`
  }
  // A query by openid names the user only by what it asked: an answer must name the user or the app
  // asked (WeChat documents appid as in every answer), or it could be about anyone of the service.
  // WeChat may leave the user out; an answer that names the authorization by something else instead
  // (the other kind of openid, a code) cannot be checked and may be about any user of the app.
  if (ref.authorization_code === null) {
    const user = ref.openid !== null ? 'openid' : 'sub_openid'
    if (!present(answer[user])) {
      const instead = USER_NAMES.find((field) => field !== user && present(answer[field]))
      if (instead) return `names an ${instead} but not the ${user} asked`
    }
    const named = [...asked].filter((field) => field !== 'service_id' && field !== 'sub_mchid')
    if (!named.some((field) => present(answer[field]))) {
      return `names none of ${named.join(', ')}`
    }
  }
  return undefined
}

/** What names a user or an authorization in a query answer. */
const USER_NAMES = ['openid', 'sub_openid', 'authorization_code'] as const

const present = (value: unknown) => value !== undefined && value !== null

/**
 * The identifying fields a query request carries, in its path or its query string: what was asked.
 * A field the input gave that the request does not carry (an appid beside a code) was not asked,
 * so WeChat's answer is not held to it.
 */
function askedIn(request: WechatRequest): Set<string> {
  return new Set([...Object.keys(request.query ?? {}), ...(request.pathField ? [request.pathField] : [])])
}

/** Partner mode by openid or sub_openid: the fields in WeChat's order, optional ones only when given. */
function userFields(ref: AuthorizationRef): Record<string, string> {
  return {
    service_id: ref.service_id,
    appid: need(ref.appid),
    sub_mchid: need(ref.sub_mchid),
    ...(ref.openid === null ? { sub_openid: need(ref.sub_openid) } : { openid: ref.openid }),
    ...(ref.sub_appid === null ? {} : { sub_appid: ref.sub_appid }),
  }
}

/**
 * A value that lands inside a signed URL: checked against WeChat's rule (a value such as `../..` must
 * never reach another path), then percent-encoded anyway.
 */
function segment(value: string | null, rule: RegExp): string {
  if (value === null || !rule.test(value)) {
    throw new WechatPayError('INVALID_PARAMETER', "a path parameter breaks WeChat's rule", { attempts: 0 })
  }
  return encodeURIComponent(value)
}

/** Input parsing guarantees these; a reference without one is refused before anything is sent. */
function need(value: string | null): string {
  if (value === null) {
    throw new WechatPayError('INVALID_PARAMETER', 'a field this request needs is missing', { attempts: 0 })
  }
  return value
}
