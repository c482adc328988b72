/**
 * A verified, decrypted notification -> the event consumers read (README, "Notification events"):
 * the authorization events get fixed keys, null where WeChat sent nothing, so that one rule and one
 * table schema fit both modes and every spelling; any other event type keeps its decrypted resource.
 */
import type { Envelope } from './envelope.ts'
import { NotificationError } from './errors.ts'

export const OPENED = 'PayScore Authorization Opened'
export const CLOSED = 'PayScore Authorization Closed'
export const OTHER = 'PayScore Notification'

/** WeChat's event type -> DetailType; every other event type is OTHER. */
export const AUTHORIZATION_EVENTS: Readonly<Record<string, typeof OPENED | typeof CLOSED>> = {
  'PAYSCORE.USER_OPEN_SERVICE': OPENED,
  'PAYSCORE.USER_CLOSE_SERVICE': CLOSED,
}

/** The decrypted fields of an authorization event, in the order the Detail lists them. */
const AUTHORIZATION_FIELDS = [
  'mchid',
  'sub_mchid',
  'appid',
  'sub_appid',
  'service_id',
  'openid',
  'sub_openid',
  'authorization_code',
  'user_service_status',
  'out_request_no',
  'openorclose_time',
] as const

type AuthorizationField = (typeof AUTHORIZATION_FIELDS)[number]

/** One documentation sample spells these the APIv2 way; the first spelling wins when both are sent. */
const ALIASES: Partial<Record<AuthorizationField, string>> = { mchid: 'mch_id', sub_mchid: 'sub_mch_id' }

interface Common {
  notification_id: string
  event_type: string
  create_time: string | null
  summary: string | null
}

export type AuthorizationDetail = Common & Record<AuthorizationField, string | null>
export type OtherDetail = Common & { resource: unknown }

export type Notification =
  | { detailType: typeof OPENED | typeof CLOSED; detail: AuthorizationDetail }
  | { detailType: typeof OTHER; detail: OtherDetail }

/**
 * The event for `envelope` and its decrypted `plaintext`. A notification WeChat signed and we could
 * decrypt is never refused for what its resource holds (refused, WeChat would send it for a day and
 * the user's close would be lost): a field that is not a string is published as its JSON text, an
 * `openorclose_time` that is not `yyyyMMddHHmmss` as WeChat wrote it, and an authorization event
 * whose resource is not a JSON object as a `PayScore Notification` carrying it. Throws NotificationError
 * MALFORMED_RESOURCE only when the plaintext is not UTF-8 (nothing could carry it).
 */
export function normalize(envelope: Envelope, plaintext: Uint8Array): Notification {
  const common: Common = {
    notification_id: envelope.id,
    event_type: envelope.event_type,
    create_time: envelope.create_time,
    summary: envelope.summary,
  }
  const resource = parse(plaintext)
  // Own keys only: an event type named `constructor` or `toString` is just another event type.
  const detailType = Object.hasOwn(AUTHORIZATION_EVENTS, envelope.event_type)
    ? AUTHORIZATION_EVENTS[envelope.event_type]
    : undefined
  if (!detailType || typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return { detailType: OTHER, detail: { ...common, resource } }
  }
  const fields = resource as Record<string, unknown>
  const detail = { ...common } as AuthorizationDetail
  for (const field of AUTHORIZATION_FIELDS) {
    const alias = ALIASES[field]
    detail[field] = text(fields, field) ?? (alias === undefined ? null : text(fields, alias))
  }
  if (detail.openorclose_time !== null) {
    detail.openorclose_time = chinaTimeToIso(detail.openorclose_time) ?? detail.openorclose_time
  }
  return { detailType, detail }
}

/**
 * `yyyyMMddHHmmss` in China time (UTC+8 all year, no daylight saving) -> ISO 8601 with `+08:00`, or
 * undefined unless it names a real second (no 30 February, no hour 24).
 */
export function chinaTimeToIso(value: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value)
  if (!match) return undefined
  const parts = match.slice(1).map(Number)
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second)
  const back = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ]
  if (back.some((part, index) => part !== parts[index])) return undefined
  const [, y, mo, d, h, mi, s] = match
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`
}

/** The resource's JSON, or its text when it is not JSON; MALFORMED_RESOURCE when not UTF-8. */
function parse(plaintext: Uint8Array): unknown {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext)
  } catch {
    throw malformed('resource', 'the decrypted resource is not UTF-8')
  }
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A field's value as text: a string as it is, anything else as its JSON. */
function text(fields: Record<string, unknown>, key: string): string | null {
  if (!Object.hasOwn(fields, key)) return null
  const value = fields[key]
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function malformed(field: string, message: string) {
  return new NotificationError('MALFORMED_RESOURCE', message, { field })
}
