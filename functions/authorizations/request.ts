import * as v from 'valibot'
import { AUTHORIZATION_CODE, type AuthorizationRef, type Mode, OPENID } from './reference.ts'

/**
 * The input every entry point accepts, with WeChat's rules, checked before anything reaches WeChat.
 * Unknown fields are ignored so that producers can add their own (EventBridge detail, tracing ids);
 * a known field set to null counts as absent.
 */
const digits = (field: string) =>
  v.pipe(v.string(`${field} must be a string`), v.regex(/^\d{1,32}$/, `${field} must be 1 to 32 digits`))

const token = (field: string, rule: RegExp, description: string) =>
  v.pipe(v.string(`${field} must be a string`), v.regex(rule, `${field} must be ${description}`))

const APPID = /^[0-9A-Za-z_-]{1,32}$/

/** In the outcome JSON's order, which is also the order issues are listed in. */
const FIELDS = {
  authorization_code: token(
    'authorization_code',
    AUTHORIZATION_CODE,
    '1 to 32 characters of 0-9, A-Z, a-z, _, - and *',
  ),
  openid: token('openid', OPENID, '1 to 128 characters of 0-9, A-Z, a-z, _ and -'),
  sub_openid: token('sub_openid', OPENID, '1 to 128 characters of 0-9, A-Z, a-z, _ and -'),
  service_id: digits('service_id'),
  appid: token('appid', APPID, '1 to 32 characters of 0-9, A-Z, a-z, _ and -'),
  sub_mchid: digits('sub_mchid'),
  sub_appid: token('sub_appid', APPID, '1 to 32 characters of 0-9, A-Z, a-z, _ and -'),
  reason: v.pipe(
    v.string('reason must be a string'),
    v.minLength(1, 'reason must not be empty'),
    // APIv3 accepts UTF-8 characters of 1 to 3 bytes only; lone surrogates cannot be encoded at all.
    v.check(
      (text) => !/[\u{10000}-\u{10FFFF}\p{Cs}]/u.test(text),
      'reason must not contain emoji or other 4-byte UTF-8 characters',
    ),
    v.check((text) => !/\p{Cc}/u.test(text), 'reason must not contain control characters'),
    v.maxLength(50, 'reason must be at most 50 characters'),
    v.check((text) => text.trim() !== '', 'reason must not be blank'),
  ),
} as const

type Field = keyof typeof FIELDS

/** Fields that exist only in partner mode: in direct mode their presence is invalid input. */
const PARTNER_ONLY: readonly Field[] = ['sub_mchid', 'sub_appid', 'sub_openid']

export interface InputIssue {
  path: string
  message: string
}

/** Invalid input: every bad field is listed; nothing was sent to WeChat. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError'
  readonly issues: readonly InputIssue[]

  constructor(issues: readonly InputIssue[]) {
    super(`invalid request: ${issues.map((issue) => issue.message).join('; ')}`)
    this.issues = issues
  }
}

export interface TerminateInput {
  ref: AuthorizationRef
  reason: string
}

export type Operation = 'terminate' | 'query'

/**
 * What an input asks for: `"operation": "terminate"` (or none) or `"query"`. Only direct invocation
 * may query; every other entry point terminates, and refuses an input that asks for anything else
 * rather than terminating what a producer meant to look up.
 */
export function operationOf(input: unknown): Operation {
  const operation =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>).operation : undefined
  if (operation === undefined || operation === null || operation === 'terminate') return 'terminate'
  if (operation === 'query') return 'query'
  throw new InvalidRequestError([{ path: 'operation', message: 'operation must be "terminate" or "query"' }])
}

/** The checked terminate input, or InvalidRequestError naming every bad field (one issue each). */
export function parseTerminateInput(input: unknown, mode: Mode): TerminateInput {
  if (operationOf(input) !== 'terminate') {
    throw new InvalidRequestError([
      {
        path: 'operation',
        message: 'operation must be "terminate" (or absent) here: only direct invocation queries',
      },
    ])
  }
  const { ref, values } = parse(input, mode, ['reason'])
  return { ref, reason: values.reason! }
}

/** The checked reference of a query (a `reason` is ignored), or InvalidRequestError. */
export function parseQueryInput(input: unknown, mode: Mode): AuthorizationRef {
  return parse(input, mode, []).ref
}

function parse(input: unknown, mode: Mode, alsoRequired: readonly Field[]) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError([{ path: '', message: 'the request must be a JSON object' }])
  }
  const record = input as Record<string, unknown>
  const present = (field: Field) => record[field] !== undefined && record[field] !== null
  const issues: InputIssue[] = []
  const values: Partial<Record<Field, string>> = {}
  const checked: Field[] = alsoRequired.includes('reason')
    ? (Object.keys(FIELDS) as Field[])
    : (Object.keys(FIELDS) as Field[]).filter((field) => field !== 'reason')
  for (const field of checked) {
    if (!present(field)) continue
    if (mode === 'direct' && PARTNER_ONLY.includes(field)) {
      issues.push({
        path: field,
        message: `${field} is for partner mode only; this service runs in direct mode`,
      })
      continue
    }
    const result = v.safeParse(FIELDS[field], record[field], { abortPipeEarly: true })
    if (result.success) values[field] = result.output
    else issues.push({ path: field, message: result.issues[0].message })
  }
  const required: Field[] = [
    'service_id',
    ...(mode === 'partner' ? (['sub_mchid'] as const) : []),
    ...alsoRequired,
  ]
  for (const field of required) {
    if (!present(field)) issues.push({ path: field, message: `${field} is required` })
  }
  issues.push(...identificationIssues(mode, present))
  if (issues.length > 0) throw new InvalidRequestError(oneEach(issues))
  const value = (field: Field) => values[field] ?? null
  const ref: AuthorizationRef = {
    mode,
    service_id: values.service_id!,
    sub_mchid: value('sub_mchid'),
    authorization_code: value('authorization_code'),
    openid: value('openid'),
    sub_openid: value('sub_openid'),
    appid: value('appid'),
    sub_appid: value('sub_appid'),
  }
  return { ref, values }
}

/** One issue per field, the first found, in FIELDS order: what a caller fixes first. */
function oneEach(issues: readonly InputIssue[]): InputIssue[] {
  const order = Object.keys(FIELDS)
  const first = new Map<string, InputIssue>()
  for (const issue of issues) if (!first.has(issue.path)) first.set(issue.path, issue)
  return [...first.values()].sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path))
}

/** Exactly one of authorization_code, openid, sub_openid, with the appid / sub_appid each needs. */
function identificationIssues(mode: Mode, present: (field: Field) => boolean): InputIssue[] {
  const ways: Field[] =
    mode === 'partner' ? ['authorization_code', 'openid', 'sub_openid'] : ['authorization_code', 'openid']
  const given = ways.filter(present)
  const list = ways.join(mode === 'partner' ? ', ' : ' or ').replace(/, (?=[^,]*$)/, ' or ')
  if (given.length === 0) {
    return ways.map((field) => ({ path: field, message: `exactly one of ${list} is required` }))
  }
  if (given.length > 1) {
    return given.map((field) => ({ path: field, message: `exactly one of ${list} may be given` }))
  }
  const issues: InputIssue[] = []
  const [way] = given
  if ((way === 'openid' || way === 'sub_openid') && !present('appid')) {
    issues.push({ path: 'appid', message: `appid is required with ${way}` })
  }
  if (way === 'sub_openid' && !present('sub_appid')) {
    issues.push({ path: 'sub_appid', message: 'sub_appid is required with sub_openid' })
  }
  return issues
}
