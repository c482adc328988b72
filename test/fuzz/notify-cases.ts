/**
 * What the notification route is fuzzed with: genuine notifications (some near the 64 KiB limit),
 * notifications whose decrypted resource is not what their event type carries, bodies WeChat signed
 * that are no envelope, bodies it never signed; and the answers each may get. The oracle reads only
 * what arrived: the bytes, the headers, and which nonces a published delivery spent.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import fc from 'fast-check'
import { type NotifierKey, signNotification } from '../../infra/local/simulator/notify.ts'
import { bodyArb } from './bodies.ts'
import { anyJsonArb } from './inputs.ts'
import {
  CLOSE,
  eventTypeArb,
  genuineSpecArb,
  LIMIT,
  type Made,
  type NotificationSpec,
  OPEN,
} from './notifications.ts'
import { SIGNATURE_HEADERS } from './notify-edits.ts'

// ---- notifications whose resource is not what their event type carries ----------------------

/** Not real seconds as `yyyyMMddHHmmss`: 30 February, 29 February of 2023 and 2100, month 13, hour 24. */
const NOT_A_TIME = [
  '20240230120000',
  '20230229120000',
  '21000229000000',
  '20241301000000',
  '20240001000000',
  '20240100000000',
  '20240431000000',
  '20240101240000',
  '20240101126000',
  '2024010112000',
  '202401011200000',
  '2024-01-01T12:00:00+08:00',
  '２０２４0101120000',
]
const WRONG_TYPE = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
)
const FIELDS = ['appid', 'mchid', 'sub_mchid', 'service_id', 'openid', 'sub_openid', 'authorization_code']

/** A spec that verifies and decrypts, but whose plaintext its event type cannot carry: a 400. */
export const brokenSpecArb: fc.Arbitrary<NotificationSpec> = fc.oneof(
  eventTypeArb.chain((eventType) =>
    fc.record({
      id: fc.uuid(),
      eventType: fc.constant(eventType),
      resource: fc.constant(null),
      plaintext: fc.oneof(
        fc.uint8Array({ maxLength: 40 }).map((bytes) => Uint8Array.from([...bytes, 0xff])),
        fc.string({ maxLength: 40 }).map((text) => new TextEncoder().encode(`{${text}`)),
      ),
    }),
  ),
  fc.record({
    id: fc.uuid(),
    eventType: fc.constantFrom(OPEN, CLOSE),
    resource: fc.oneof(
      fc.oneof(fc.array(fc.jsonValue(), { maxLength: 2 }), fc.string(), fc.integer(), fc.constant(null)),
      fc
        .tuple(fc.constantFrom(...FIELDS), WRONG_TYPE)
        .map(([field, value]) => ({ authorization_code: 'c1', [field]: value })),
      fc
        .constantFrom('mch_id', 'sub_mch_id')
        .chain((alias) => WRONG_TYPE.map((value) => ({ [alias]: value }))),
      fc.constantFrom(...NOT_A_TIME).map((time) => ({ authorization_code: 'c2', openorclose_time: time })),
    ),
  }),
)

// ---- bodies WeChat never signed as a notification ----------------------------------------------

/** Objects shaped like the envelope, any field missing or of any kind, the ciphertext never WeChat's. */
export const envelopeLikeArb: fc.Arbitrary<object> = fc.record(
  {
    id: fc.oneof(fc.uuid(), anyJsonArb),
    event_type: fc.oneof(eventTypeArb, anyJsonArb),
    create_time: fc.string(),
    summary: fc.string(),
    resource: fc.oneof(
      fc.record(
        {
          algorithm: fc.constantFrom('AEAD_AES_256_GCM', 'AEAD_SM4_GCM', 'aead_aes_256_gcm', ''),
          ciphertext: fc.oneof(fc.base64String({ maxLength: 120 }), fc.string()),
          nonce: fc.oneof(fc.string({ minLength: 12, maxLength: 12 }), fc.string()),
          associated_data: fc.oneof(fc.constant('payscore'), anyJsonArb),
          original_type: fc.constant('payscore'),
        },
        { requiredKeys: ['algorithm'] },
      ),
      anyJsonArb,
    ),
  },
  { requiredKeys: [] },
)

/** Edits of a body's text: none mostly; cut short, one character replaced, or something appended. */

// ---- cases --------------------------------------------------------------------------------------

/** Where a case's body comes from: WeChat (genuine, or a resource its type cannot carry), or not. */
export const sourceArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('genuine' as const),
      genuine: genuineSpecArb,
      size: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(LIMIT - 1, LIMIT, LIMIT + 1) },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('broken resource' as const), spec: brokenSpecArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('signed junk' as const),
      text: bodyArb(envelopeLikeArb, LIMIT),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('unsigned' as const),
      text: bodyArb(envelopeLikeArb, LIMIT),
      headers: fc.constantFrom('of another notification', 'none', 'a bad signature'),
    }),
  },
)
export type Source = typeof sourceArb extends fc.Arbitrary<infer T> ? T : never

/** A case's body and headers before its edits; what WeChat signed, if anything; what it must become. */
export interface Prepared {
  text: string | undefined
  headers: Record<string, string>
  signed?: Signed
  genuine?: { spec: NotificationSpec; iso: string | undefined }
}

const lowerCased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))

/** Makes the case's notification now (`made` encrypts and signs a spec); the headers lower-cased. */
export function prepare(source: Source, made: (spec: NotificationSpec) => Made, key: NotifierKey): Prepared {
  if (source.kind === 'genuine' || source.kind === 'broken resource') {
    const spec = source.kind === 'genuine' ? { ...source.genuine.spec, size: source.size } : source.spec
    const sent = made(spec)
    const headers = lowerCased(sent.headers)
    return {
      text: sent.body,
      headers,
      signed: {
        kind: source.kind,
        body: sent.body,
        headers,
        ...(source.kind === 'broken resource'
          ? { utf8: source.spec.plaintext === undefined || isUtf8(source.spec.plaintext) }
          : {}),
      },
      ...(source.kind === 'genuine' ? { genuine: { spec, iso: source.genuine.iso } } : {}),
    }
  }
  const body = source.text ?? ''
  if (source.kind === 'signed junk') {
    const headers = lowerCased(signNotification(body, key))
    return { text: source.text, headers, signed: { kind: 'signed junk', body, headers } }
  }
  const headers =
    source.headers === 'none'
      ? { 'content-type': 'application/json' }
      : source.headers === 'a bad signature'
        ? signNotification(body, key, Date.now(), 'bad_signature')
        : // WeChat's genuine headers, for another body.
          signNotification(JSON.stringify({ id: 'another', event_type: CLOSE }), key)
  return { text: source.text, headers: lowerCased(headers) }
}

// ---- the oracle ----------------------------------------------------------------------------------

/** How a signed body was made: a genuine notification, a broken resource, or anything else. */
export type Signed = {
  kind: 'genuine' | 'broken resource' | 'signed junk'
  body: string
  headers: Record<string, string>
  /** For a broken resource: its plaintext is UTF-8 (else nothing could carry it: 400). */
  utf8?: boolean
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
export const isUtf8 = (bytes: Uint8Array) => {
  try {
    utf8.decode(bytes)
    return true
  } catch {
    return false
  }
}

/**
 * The answers a delivery of `event` may get, and whether WeChat's signature holds for it (its nonce
 * is spent if it is then published). `signed`: what WeChat signed, if anything; `spent`: nonces of
 * published deliveries.
 * The bytes that arrive are API Gateway's body, base64-decoded as Node decodes it when flagged.
 */
export function expectedAnswers(
  event: APIGatewayProxyEventV2,
  signed: Signed | undefined,
  spent: ReadonlySet<string>,
) {
  const body = event.body ?? ''
  const arrived = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body)
  if (arrived.length > LIMIT) return { statuses: [413], verified: false }
  // Not UTF-8: WeChat never sent it; refused before the signature is read, as unverified.
  if (event.isBase64Encoded && !isUtf8(arrived)) return { statuses: [401], verified: false }
  const intact =
    signed !== undefined &&
    arrived.equals(Buffer.from(signed.body)) &&
    SIGNATURE_HEADERS.every((name) => event.headers[name] === signed.headers[name])
  if (!intact || spent.has(signed.headers['wechatpay-nonce']!)) return { statuses: [401], verified: false }
  if (signed.kind === 'genuine') return { statuses: [204], verified: true }
  // Verified and decrypted: published whatever its resource holds (never lost for its content).
  if (signed.kind === 'broken resource') return { statuses: signed.utf8 ? [204] : [400], verified: true }
  return { statuses: isJsonObject(signed.body) ? [400, 401] : [400], verified: true }
}

function isJsonObject(text: string) {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
  } catch {
    return false
  }
}
