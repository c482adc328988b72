/**
 * The input contract restated in plain code (issue 9's table; functions/authorizations/request.ts is
 * what it checks), independent of valibot, so the fuzzer can tell which inputs must be refused, and
 * naming which fields, before anything is sent to WeChat Pay.
 */

export type Mode = 'partner' | 'direct'
export type Operation = 'terminate' | 'query'

/** Every field of the input contract, in the order invalid input lists them. */
export const ALL_FIELDS = [
  'authorization_code',
  'openid',
  'sub_openid',
  'service_id',
  'appid',
  'sub_mchid',
  'sub_appid',
  'reason',
] as const
export type Field = (typeof ALL_FIELDS)[number]

/** The fields that name the authorization, one of which an input gives. */
export const IDENTIFICATIONS = ['authorization_code', 'openid', 'sub_openid'] as const
export type Identification = (typeof IDENTIFICATIONS)[number]

const CODE_CHARS = /^[0-9A-Za-z_*-]{1,32}$/
const DIGITS = /^[0-9]{1,32}$/
const OPENID_CHARS = /^[0-9A-Za-z_-]{1,128}$/
const APPID_CHARS = /^[0-9A-Za-z_-]{1,32}$/
/** In direct mode these are invalid input when present. */
const PARTNER_ONLY: ReadonlySet<string> = new Set(['sub_mchid', 'sub_appid', 'sub_openid'])

function reasonIsValid(value: unknown): boolean {
  if (typeof value !== 'string' || value === '' || value.trim() === '') return false
  // UTF-8 of 1 to 3 bytes: no lone surrogates, nothing beyond the BMP.
  if (!value.isWellFormed()) return false
  const characters = [...value]
  if (characters.some((character) => character.codePointAt(0)! > 0xffff)) return false
  if (characters.some((character) => isControl(character.codePointAt(0)!))) return false
  return characters.length <= 50
}

/** Unicode general category Cc: C0, DEL and C1. */
function isControl(codePoint: number) {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f)
}

const string = (rule: RegExp) => (value: unknown) => typeof value === 'string' && rule.test(value)
const RULES: Record<Field, (value: unknown) => boolean> = {
  authorization_code: string(CODE_CHARS),
  openid: string(OPENID_CHARS),
  sub_openid: string(OPENID_CHARS),
  service_id: string(DIGITS),
  appid: string(APPID_CHARS),
  sub_mchid: string(DIGITS),
  sub_appid: string(APPID_CHARS),
  reason: reasonIsValid,
}

/** The identifications a mode knows: sub_openid is partner mode's only. */
export const waysOf = (mode: Mode): readonly Identification[] =>
  mode === 'partner' ? IDENTIFICATIONS : ['authorization_code', 'openid']

/**
 * The fields an input gets wrong, in the contract's order, one each; `['']` when it is not a JSON
 * object at all. An empty list means valid. A field set to null counts as absent; unknown fields are
 * ignored. A query needs no reason and ignores one.
 */
export function badFields(input: unknown, mode: Mode, operation: Operation = 'terminate'): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['']
  const record = input as Record<string, unknown>
  const own = (key: string) => (Object.hasOwn(record, key) ? record[key] : undefined)
  const present = (key: string) => own(key) !== undefined && own(key) !== null
  const fields = ALL_FIELDS.filter((field) => operation === 'terminate' || field !== 'reason')
  const bad = new Set<string>()
  for (const field of fields) {
    if (!present(field)) continue
    if ((mode === 'direct' && PARTNER_ONLY.has(field)) || !RULES[field](own(field))) bad.add(field)
  }
  const required = ['service_id', ...(operation === 'terminate' ? ['reason'] : [])]
  for (const field of [...required, ...(mode === 'partner' ? ['sub_mchid'] : [])]) {
    if (!present(field)) bad.add(field)
  }
  const ways = waysOf(mode)
  const given = ways.filter(present)
  if (given.length !== 1) for (const way of given.length === 0 ? ways : given) bad.add(way)
  else if (given[0] !== 'authorization_code') {
    if (!present('appid')) bad.add('appid')
    if (given[0] === 'sub_openid' && !present('sub_appid')) bad.add('sub_appid')
  }
  return ALL_FIELDS.filter((field) => bad.has(field))
}

/** How a valid input names the authorization. */
export function identificationOf(input: Record<string, unknown>): { by: Identification; name: string } {
  const by = IDENTIFICATIONS.find((field) => typeof input[field] === 'string')
  if (!by) throw new Error('identificationOf: the input names no authorization (not valid input)')
  return { by, name: input[by] as string }
}

/** The identifying fields of an outcome or a log line, and what a valid input makes of each. */
export const IDENTITY_FIELDS = [
  'authorization_code',
  'openid',
  'sub_openid',
  'service_id',
  'appid',
  'sub_mchid',
  'sub_appid',
] as const

/** The outcome echoes the input's identity: each field its value, or null where it gave none. */
export function echoedIdentity(input: Record<string, unknown>) {
  return Object.fromEntries(IDENTITY_FIELDS.map((field) => [field, input[field] ?? null]))
}

/**
 * The JSON body (terminate) or query string (query) WeChat must receive for a valid input: exactly
 * these keys, optional ones only when given (issue 9, "WeChat requests"); the path names the rest.
 */
export function wechatFields(
  input: Record<string, unknown>,
  mode: Mode,
  endpoint: 'terminate' | 'query',
): Record<string, unknown> {
  const { by, name } = identificationOf(input)
  const given = (field: string) => (input[field] == null ? {} : { [field]: input[field] })
  const reason = endpoint === 'terminate' ? { reason: input.reason } : {}
  if (by === 'authorization_code') {
    return {
      service_id: input.service_id,
      ...(mode === 'partner' ? { sub_mchid: input.sub_mchid } : {}),
      ...reason,
    }
  }
  if (mode === 'direct') return { service_id: input.service_id, appid: input.appid, ...reason }
  return {
    service_id: input.service_id,
    appid: input.appid,
    sub_mchid: input.sub_mchid,
    [by]: name,
    ...given('sub_appid'),
    ...reason,
  }
}
