/**
 * Routing and parameter rules of the two partner endpoints.
 * https://pay.weixin.qq.com/wiki/doc/apiv3_partner/Offline/apis/chapter6_2_20.shtml
 */
import { paramError } from './replies.ts'
import type { Endpoint, Reply } from './types.ts'

const PREFIX = '/v3/payscore/partner/permissions/authorization-code/'
const TERMINATE_SUFFIX = '/terminate'
const AUTHORIZATION_CODE = /^[0-9A-Za-z_*-]{1,32}$/
const DIGITS = /^[0-9]{1,32}$/
const CONTROL = /\p{Cc}/u
const MAX_REASON_CHARACTERS = 50

export interface Route {
  endpoint: Endpoint
  /** the code segment as it appeared in the path, still percent-encoded */
  rawCode: string
  query: URLSearchParams
}

/** Matches the raw request target; `..` segments are not normalized, so they never reach a route. */
export function matchRoute(method: string, url: string): Route | undefined {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1))
  if (!path.startsWith(PREFIX)) return undefined
  const rest = path.slice(PREFIX.length)
  if (method === 'POST' && rest.endsWith(TERMINATE_SUFFIX)) {
    const rawCode = rest.slice(0, -TERMINATE_SUFFIX.length)
    return rawCode.includes('/') ? undefined : { endpoint: 'terminate', rawCode, query }
  }
  if (method === 'GET' && !rest.includes('/')) return { endpoint: 'query', rawCode: rest, query }
  return undefined
}

/** Percent-decodes the path segment first, as WeChat does: `a%2Ab` is the code `a*b`. */
export function checkAuthorizationCode(rawCode: string): string | Reply {
  let code: string
  try {
    code = decodeURIComponent(rawCode)
  } catch {
    return paramError({
      field: 'authorization_code',
      value: rawCode,
      issue: 'bad percent-encoding',
      location: 'path',
    })
  }
  if (AUTHORIZATION_CODE.test(code)) return code
  return paramError({
    field: 'authorization_code',
    value: code,
    issue: 'must be 1..32 characters of [0-9A-Za-z_*-]',
    location: 'path',
  })
}

/** An issue with a digits-only id, or undefined when the value is fine. */
function digitsIssue(value: unknown): string | undefined {
  if (value === undefined) return 'required'
  return typeof value === 'string' && DIGITS.test(value) ? undefined : 'must be 1..32 digits'
}

/** APIv3 takes UTF-8 characters of 1 to 3 bytes only: no emoji (4 bytes), no lone surrogates. */
function reasonIssue(value: unknown): string | undefined {
  if (value === undefined) return 'required'
  if (typeof value !== 'string') return 'must be a string'
  const characters = [...value]
  if (!value.isWellFormed() || characters.some((c) => c.codePointAt(0)! > 0xffff)) {
    return 'must not contain 4-byte UTF-8 characters'
  }
  if (CONTROL.test(value)) return 'must not contain control characters'
  if (characters.length < 1 || characters.length > MAX_REASON_CHARACTERS) return 'must be 1..50 characters'
  return undefined
}

export interface TerminateParams {
  serviceId: string
  subMchid: string
  reason: string
}

export function checkTerminateBody(body: Buffer): TerminateParams | Reply {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    return paramError({ field: '/', issue: 'body must be UTF-8 JSON', location: 'body' })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return paramError({ field: '/', value: parsed, issue: 'body must be a JSON object', location: 'body' })
  }
  const fields = parsed as Record<string, unknown>
  // WeChat names body fields as JSON pointers (`/reason`) in error details.
  const checks = [
    ['service_id', digitsIssue],
    ['sub_mchid', digitsIssue],
    ['reason', reasonIssue],
  ] as const
  for (const [name, check] of checks) {
    const issue = check(fields[name])
    if (issue) return paramError({ field: `/${name}`, value: fields[name], issue, location: 'body' })
  }
  return {
    serviceId: fields.service_id as string,
    subMchid: fields.sub_mchid as string,
    reason: fields.reason as string,
  }
}

export interface QueryParams {
  serviceId: string
  subMchid: string
}

export function checkQueryParams(query: URLSearchParams): QueryParams | Reply {
  for (const name of ['service_id', 'sub_mchid']) {
    const value = query.get(name) ?? undefined
    const issue = digitsIssue(value)
    if (issue) return paramError({ field: name, value, issue, location: 'query' })
  }
  return { serviceId: query.get('service_id')!, subMchid: query.get('sub_mchid')! }
}
