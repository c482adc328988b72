/**
 * The parameters of each route, checked as WeChat would: the path parameter, then each field in the
 * documented order, then which user is named (partner by openid), then fields nobody asked for.
 * The first problem is the PARAM_ERROR answered, naming the field (JSON pointer in a body).
 *
 * Where WeChat's pages are silent the simulator is strict, so that it catches a client sending a
 * field of the wrong shape: an unknown field (e.g. `sub_mchid` on a direct path, `appid` next to a
 * code), a query parameter given twice, or any query string on a POST is a PARAM_ERROR, where
 * WeChat might ignore it.
 */
import * as rules from './fields.ts'
import { type Location, paramError } from './replies.ts'
import type { Route } from './routes.ts'
import type { Mode, Reply } from './types.ts'

/** How one request names the authorization. */
export type Reference =
  | { by: 'code'; code: string }
  | { by: 'openid'; openid: string; appid: string; subAppid: string | undefined }
  | { by: 'sub_openid'; subOpenid: string; appid: string; subAppid: string }

/** The string that names the authorization in the request: what faults and magic prefixes match. */
export function nameOf(reference: Reference) {
  if (reference.by === 'code') return reference.code
  return reference.by === 'openid' ? reference.openid : reference.subOpenid
}

export interface OperationParams {
  mode: Mode
  reference: Reference
  serviceId: string
  /** partner mode only */
  subMchid: string | undefined
  /** terminate only */
  reason: string | undefined
}

interface FieldSpec {
  name: string
  rule: rules.Rule
  required: boolean
}

/** The body (terminate) or query (query) fields of a route, in the order WeChat documents them. */
function fieldsOf(route: Route): FieldSpec[] {
  const partnerByUser = route.mode === 'partner' && route.by === 'openid'
  const fields: FieldSpec[] = [{ name: 'service_id', rule: rules.digits, required: true }]
  if (route.by === 'openid') fields.push({ name: 'appid', rule: rules.appid, required: true })
  if (route.mode === 'partner') fields.push({ name: 'sub_mchid', rule: rules.digits, required: true })
  if (partnerByUser) {
    fields.push({ name: 'openid', rule: rules.openid, required: false })
    fields.push({ name: 'sub_openid', rule: rules.openid, required: false })
    fields.push({ name: 'sub_appid', rule: rules.appid, required: false })
  }
  if (route.endpoint === 'terminate') fields.push({ name: 'reason', rule: rules.reason, required: true })
  return fields
}

function fieldError(location: Location, field: string, value: unknown, issue: string) {
  const name = location === 'body' ? `/${field}` : field
  return paramError({ field: name, ...(value !== undefined && { value }), issue, location })
}

/** Percent-decodes the path segment first, as WeChat does: `a%2Ab` is the code `a*b`. */
function checkPathParam({ name, raw }: { name: string; raw: string }): string | Reply {
  let value: string
  try {
    value = decodeURIComponent(raw)
  } catch {
    return fieldError('path', name, raw, 'bad percent-encoding')
  }
  const issue = (name === 'openid' ? rules.openid : rules.authorizationCode)(value)
  return issue ? fieldError('path', name, value, issue) : value
}

/** The fields, or the PARAM_ERROR (wrapped, so a body like `{"status":1,"body":""}` stays fields). */
type Parsed = { fields: Record<string, unknown> } | Reply

function parseBody(body: Buffer): Parsed {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    return fieldError('body', '', undefined, 'body must be UTF-8 JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fieldError('body', '', parsed, 'body must be a JSON object')
  }
  return { fields: parsed as Record<string, unknown> }
}

function parseQuery(query: string): Parsed {
  const fields: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(query)) {
    if (Object.hasOwn(fields, name)) return fieldError('query', name, value, 'given more than once')
    fields[name] = value
  }
  return { fields }
}

/** openid or sub_openid, exactly one, and sub_appid with a sub_openid (partner by user only). */
function userProblem(fields: Record<string, unknown>, location: Location): Reply | undefined {
  const { openid, sub_openid: subOpenid, sub_appid: subAppid } = fields
  if (openid === undefined && subOpenid === undefined) {
    return fieldError(location, 'openid', undefined, 'openid or sub_openid is required')
  }
  if (openid !== undefined && subOpenid !== undefined) {
    return fieldError(location, 'sub_openid', subOpenid, 'not allowed together with openid')
  }
  if (subOpenid !== undefined && subAppid === undefined) {
    return fieldError(location, 'sub_appid', undefined, 'required with sub_openid')
  }
  return undefined
}

function checkFields(route: Route, fields: Record<string, unknown>, location: Location) {
  const specs = fieldsOf(route)
  for (const { name, rule, required } of specs) {
    const value = fields[name]
    if (value === undefined && !required) continue
    const issue = value === undefined ? 'required' : rule(value)
    if (issue) return fieldError(location, name, value, issue)
  }
  const partnerByUser = route.mode === 'partner' && route.by === 'openid'
  const userIssue = partnerByUser ? userProblem(fields, location) : undefined
  if (userIssue) return userIssue
  const unknown = Object.keys(fields).find((name) => !specs.some((spec) => spec.name === name))
  return unknown === undefined ? undefined : fieldError(location, unknown, fields[unknown], 'unknown field')
}

function referenceOf(
  route: Route,
  pathValue: string | undefined,
  fields: Record<string, unknown>,
): Reference {
  if (route.by === 'code') return { by: 'code', code: pathValue! }
  const appid = fields.appid as string
  const subAppid = fields.sub_appid as string | undefined
  if (pathValue !== undefined) return { by: 'openid', openid: pathValue, appid, subAppid }
  if (fields.openid !== undefined) return { by: 'openid', openid: fields.openid as string, appid, subAppid }
  return { by: 'sub_openid', subOpenid: fields.sub_openid as string, appid, subAppid: subAppid! }
}

export function checkParams(route: Route, body: Buffer): OperationParams | Reply {
  const pathValue = route.pathParam && checkPathParam(route.pathParam)
  if (typeof pathValue === 'object') return pathValue
  const location = route.endpoint === 'terminate' ? 'body' : 'query'
  const [extra] = location === 'body' ? new URLSearchParams(route.query) : []
  if (extra) return fieldError('query', extra[0], extra[1], 'unknown field')
  const parsed = location === 'body' ? parseBody(body) : parseQuery(route.query)
  if (!('fields' in parsed)) return parsed
  const { fields } = parsed
  const problem = checkFields(route, fields, location)
  if (problem) return problem
  return {
    mode: route.mode,
    reference: referenceOf(route, pathValue, fields),
    serviceId: fields.service_id as string,
    subMchid: fields.sub_mchid as string | undefined,
    reason: fields.reason as string | undefined,
  }
}
