/**
 * WeChat's side of the notification fuzz: notifications described by fast-check and made at run time
 * (encrypted here with node:crypto, signed by the simulator's signNotification, so each run has a
 * fresh timestamp and nonce and none is a replay of another), and the Detail the issue says each
 * becomes, written here from the words rather than from functions/notifications.
 */
import { createCipheriv, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { chinaTime, type NotifierKey, signNotification } from '../../infra/local/simulator/notify.ts'
import { digitsOfLength, validAppidArb, validCodeArb, validOpenidArb } from './values.ts'

/** The route's body limit, from the issue: 64 KiB. */
export const LIMIT = 64 * 1024
export const OPEN = 'PAYSCORE.USER_OPEN_SERVICE'
export const CLOSE = 'PAYSCORE.USER_CLOSE_SERVICE'
/** The DetailType per event type; any other event type is `PayScore Notification`. */
const DETAIL_TYPES = new Map([
  [OPEN, 'PayScore Authorization Opened'],
  [CLOSE, 'PayScore Authorization Closed'],
])
export const detailTypeOf = (eventType: string) => DETAIL_TYPES.get(eventType) ?? 'PayScore Notification'

/** A notification as WeChat would send it; undefined optional fields are left out of the envelope. */
export interface NotificationSpec {
  id: string
  eventType: string
  createTime?: string | null
  summary?: string | null
  resourceType?: string | null
  originalType?: string | null
  associatedData?: string | null
  /** The decrypted resource: its JSON is encrypted, unless `plaintext` says which bytes to encrypt. */
  resource: unknown
  plaintext?: Uint8Array
  /** Pads the envelope (an extra field) until the body is this many bytes. */
  size?: number
}

export interface Made {
  body: string
  headers: Record<string, string>
  ciphertext: string
  plaintext: string
}

/** Encrypts `spec`'s resource with the APIv3 key (AEAD_AES_256_GCM) and signs the body with WeChat's key. */
export function makeNotification(spec: NotificationSpec, side: { apiv3Key: string; key: NotifierKey }): Made {
  const nonce = randomBytes(9).toString('base64url')
  const plaintext = spec.plaintext ?? Buffer.from(JSON.stringify(spec.resource))
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(side.apiv3Key, 'ascii'), Buffer.from(nonce))
  cipher.setAAD(Buffer.from(spec.associatedData ?? ''))
  const sealed = [cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]
  const ciphertext = Buffer.concat(sealed).toString('base64')
  const envelope = present({
    id: spec.id,
    create_time: spec.createTime,
    resource_type: spec.resourceType,
    event_type: spec.eventType,
    summary: spec.summary,
    resource: present({
      original_type: spec.originalType,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext,
      associated_data: spec.associatedData,
      nonce,
    }),
  })
  const body = spec.size === undefined ? JSON.stringify(envelope) : padded(envelope, spec.size)
  return {
    body,
    headers: signNotification(body, side.key),
    ciphertext,
    plaintext: Buffer.from(plaintext).toString(),
  }
}

const present = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

function padded(envelope: object, size: number) {
  const bare = Buffer.byteLength(JSON.stringify({ ...envelope, padding: '' }))
  return JSON.stringify({ ...envelope, padding: 'x'.repeat(Math.max(0, size - bare)) })
}

// ---- the oracle --------------------------------------------------------------------------------

/** The decrypted fields of an authorization event, as the issue lists them in the Detail. */
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

/**
 * The Detail for a genuine `spec`: the envelope's four fields; then for the authorization
 * events every field, null where absent, `mch_id` / `sub_mch_id` read as `mchid` / `sub_mchid`
 * (the APIv3 spelling first), `openorclose_time` as ISO 8601 with +08:00 (`iso`: the generator made
 * it from the same second as WeChat's compact text); any other event type: the decrypted JSON as
 * `resource`.
 */
export function expectedDetail(spec: NotificationSpec, iso?: string) {
  const common = {
    notification_id: spec.id,
    event_type: spec.eventType,
    create_time: spec.createTime ?? null,
    summary: spec.summary ?? null,
  }
  if (!DETAIL_TYPES.has(spec.eventType)) {
    return { ...common, resource: JSON.parse(JSON.stringify(spec.resource)) as unknown }
  }
  const resource = spec.resource as Record<string, unknown>
  const first = (...names: string[]) => {
    for (const name of names) if (typeof resource[name] === 'string') return resource[name] as string
    return null
  }
  const detail: Record<string, string | null> = { ...common }
  for (const field of AUTHORIZATION_FIELDS) {
    detail[field] = first(field, ...(field.endsWith('mchid') ? [field.replace('mchid', 'mch_id')] : []))
  }
  if (detail.openorclose_time !== null) detail.openorclose_time = iso ?? 'no time was expected'
  return detail
}

// ---- genuine notifications within WeChat's rules -------------------------------------------------

const PRINTABLE = fc.string({ minLength: 1, maxLength: 40 })
/** Property names every plain object has: a lookup by event type must not find them. */
export const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']
const OTHER_EVENT_TYPES = fc.oneof(
  fc.constantFrom('PAYSCORE.USER_CONFIRM', 'PAYSCORE.USER_PAID', 'TRANSACTION.SUCCESS', 'REFUND.SUCCESS'),
  // Exact names only: another case or a space makes another event type.
  fc.constantFrom('payscore.user_close_service', `${CLOSE} `, ` ${OPEN}`, 'PAYSCORE.USER_CLOSE'),
  fc
    .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ_'), minLength: 1, maxLength: 24 })
    .map((name) => `PAYSCORE.${name}`),
  PRINTABLE,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  // Names of Object.prototype's properties: event types like any other.
  fc.constantFrom(...PROTOTYPE_NAMES),
)
export const eventTypeArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(OPEN) },
  { weight: 3, arbitrary: fc.constant(CLOSE) },
  { weight: 2, arbitrary: OTHER_EVENT_TYPES },
)

/** Real seconds of this century (leap days and the ends of years included), as epoch ms. */
const momentArb = fc
  .date({
    min: new Date('2000-01-01T00:00:00+08:00'),
    max: new Date('2099-12-31T23:59:59+08:00'),
    noInvalidDate: true,
  })
  .map((date) => date.getTime())
const LEAP_DAY = Date.parse('2024-02-29T23:59:59+08:00')

/** `[compact, iso]`: WeChat's `yyyyMMddHHmmss` and the same second in ISO 8601, both China time. */
export const openOrCloseTimeArb = fc
  .oneof({ weight: 5, arbitrary: momentArb }, { weight: 1, arbitrary: fc.constant(LEAP_DAY) })
  .map((ms) => [chinaTime(ms, true), chinaTime(ms)] as const)

/** A field WeChat may leave out, or (rarely) send as null: both read as absent. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 4, arbitrary },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(null) },
  )

/** A merchant id under either spelling, both (the same or different), or none. */
const spelledArb = (apiv3: string, apiv2: string) =>
  fc
    .tuple(
      digitsOfLength(10),
      digitsOfLength(10),
      fc.constantFrom('apiv3', 'apiv2', 'both', 'both, differing', 'none'),
    )
    .map(([id, other, spelling]): Record<string, string> => {
      if (spelling === 'apiv3') return { [apiv3]: id }
      if (spelling === 'apiv2') return { [apiv2]: id }
      if (spelling === 'both') return { [apiv3]: id, [apiv2]: id }
      if (spelling === 'both, differing') return { [apiv3]: id, [apiv2]: other }
      return {}
    })

/** The decrypted fields of an open or close event in either mode, with unknown fields WeChat may add. */
export const authorizationResourceArb = (eventType: string) =>
  fc
    .record({
      appid: maybe(validAppidArb),
      sub_appid: maybe(validAppidArb),
      service_id: maybe(digitsOfLength(6)),
      openid: maybe(validOpenidArb),
      sub_openid: maybe(validOpenidArb),
      authorization_code: maybe(validCodeArb),
      user_service_status: maybe(
        fc.constant(eventType === OPEN ? 'USER_OPEN_SERVICE' : 'USER_CLOSE_SERVICE'),
      ),
      out_request_no: maybe(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefXYZ_-|*@'), minLength: 1, maxLength: 64 }),
      ),
      time: maybe(openOrCloseTimeArb),
      mchid: spelledArb('mchid', 'mch_id'),
      sub_mchid: spelledArb('sub_mchid', 'sub_mch_id'),
      extra: fc.dictionary(
        fc.string({ maxLength: 8 }).map((key) => `x_${key}`),
        fc.jsonValue({ maxDepth: 1 }),
        { maxKeys: 2 },
      ),
    })
    .map(({ time, mchid, sub_mchid, extra, ...fields }) => ({
      resource: present({ ...extra, ...fields, ...mchid, ...sub_mchid, openorclose_time: time?.[0] ?? time }),
      iso: time?.[1],
    }))

/** A genuine notification: the envelope within WeChat's rules and a resource its event type carries. */
export const genuineSpecArb = eventTypeArb.chain((eventType) =>
  fc
    .record({
      id: fc.oneof(
        fc.uuid(),
        digitsOfLength(20).map((digits) => `EV-${digits}`),
        PRINTABLE,
      ),
      createTime: maybe(momentArb.map((ms) => chinaTime(ms))),
      summary: maybe(
        fc.oneof(
          fc.constantFrom('用户解除授权', '用户授权成功'),
          fc.string({ unit: 'grapheme', maxLength: 60 }),
        ),
      ),
      resourceType: maybe(fc.constant('encrypt-resource')),
      originalType: maybe(fc.constant('payscore')),
      associatedData: maybe(fc.oneof(fc.constantFrom('payscore', ''), fc.string({ maxLength: 30 }))),
      body: DETAIL_TYPES.has(eventType)
        ? authorizationResourceArb(eventType)
        : fc.jsonValue({ maxDepth: 3 }).map((resource) => ({ resource, iso: undefined })),
    })
    .map(({ body, ...envelope }) => ({
      spec: { ...envelope, eventType, resource: body.resource } as NotificationSpec,
      iso: body.iso,
    })),
)
