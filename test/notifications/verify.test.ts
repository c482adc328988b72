/**
 * Verification of notifications on the official Go SDK's vector (wechatpay-go core/notify): its
 * headers, raw body and self-signed platform certificate, at the time its test fixes.
 */
import assert from 'node:assert/strict'
import { createSecretKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { readEnvelope } from '../../functions/notifications/envelope.ts'
import { NotificationError } from '../../functions/notifications/errors.ts'
import {
  type ArrivedNotification,
  openEnvelope,
  verifyNotification,
} from '../../functions/notifications/receive.ts'
import { WechatPayError } from '../../functions/wechatpay/errors.ts'
import { createNonceRecord } from '../../functions/wechatpay/replay.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'

const vector = JSON.parse(
  readFileSync(new URL('../fixtures/notification-go-sdk.json', import.meta.url), 'utf8'),
) as {
  now_unix: number
  headers: Record<string, string>
  body: string
  platform_certificate: string
  key_used_by_the_go_test: string
}
const NAMES = ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'] as const

/** A container's verifier at the vector's time (plus `laterSeconds`), with its own replay record. */
const verifierAt = (laterSeconds = 0) =>
  createVerifier({
    platformCertificates: [vector.platform_certificate],
    clock: () => (vector.now_unix + laterSeconds) * 1000,
    nonces: createNonceRecord(),
  })

/** What API Gateway hands over: header names lower-cased, repeated headers joined by commas. */
function arrived(headers: Record<string, string | undefined> = {}, body = vector.body): ArrivedNotification {
  const lower = Object.fromEntries(
    Object.entries({ ...vector.headers, ...headers })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name.toLowerCase(), value as string]),
  )
  return { body, headers: { get: (name) => lower[name.toLowerCase()] ?? null } }
}

function unverified(notification: ArrivedNotification, reason: string, verifier = verifierAt()) {
  assert.throws(
    () => verifyNotification(notification, verifier),
    (error: unknown) => {
      assert.ok(error instanceof NotificationError)
      assert.equal(error.code, 'UNVERIFIED')
      assert.equal(error.errorClass, 'unauthenticated')
      assert.equal(error.reason, reason)
      assert.ok(error.cause instanceof WechatPayError)
      return true
    },
  )
}

describe('the Go SDK notification vector', () => {
  it('verifies with its certificate at its time, from lower-cased headers, and reads as its envelope', () => {
    verifyNotification(arrived(), verifierAt())
    const envelope = readEnvelope(vector.body)
    assert.equal(envelope.event_type, 'PAYSCORE.USER_OPEN_SERVICE')
    assert.equal(envelope.id, '3119dfba-e649-5eec-ab1e-3412bc4d2e17')
    assert.equal(envelope.resource.nonce, 'Kj7QIyUiYx1q')
  })

  it('verifies up to 300 s after its timestamp, and not at 301 s, either way', () => {
    verifyNotification(arrived(), verifierAt(300))
    verifyNotification(arrived(), verifierAt(-300))
    unverified(arrived(), 'TIMESTAMP_SKEW', verifierAt(301))
    unverified(arrived(), 'TIMESTAMP_SKEW', verifierAt(-301))
  })

  it('refuses the same notification a second time in one container once it was remembered (a replay)', () => {
    const verifier = verifierAt()
    const verified = verifyNotification(arrived(), verifier)
    verifyNotification(arrived(), verifier)
    verifier.remember(verified)
    unverified(arrived(), 'REPLAYED_NONCE', verifier)
  })

  it('refuses a body changed by one character, or re-serialized', () => {
    unverified(arrived({}, vector.body.replace('USER_OPEN_SERVICE', 'USER_OPEN_SERVICF')), 'BAD_SIGNATURE')
    unverified(arrived({}, JSON.stringify(JSON.parse(vector.body), null, 1)), 'BAD_SIGNATURE')
    unverified(arrived({}, `${vector.body}\n`), 'BAD_SIGNATURE')
  })

  it('refuses a changed timestamp, nonce or signature, another serial and a SIGNTEST probe', () => {
    const signature = Buffer.from(vector.headers['Wechatpay-Signature']!, 'base64')
    signature[10]! ^= 1
    unverified(arrived({ 'Wechatpay-Timestamp': String(vector.now_unix + 1) }), 'BAD_SIGNATURE')
    unverified(arrived({ 'Wechatpay-Nonce': `${vector.headers['Wechatpay-Nonce']}x` }), 'BAD_SIGNATURE')
    unverified(arrived({ 'Wechatpay-Signature': signature.toString('base64') }), 'BAD_SIGNATURE')
    unverified(arrived({ 'Wechatpay-Serial': 'D7CE59D1F522D702' }), 'UNKNOWN_SERIAL')
    unverified(
      arrived({ 'Wechatpay-Serial': 'PUB_KEY_ID_0119000001002025010100000000000001' }),
      'UNKNOWN_SERIAL',
    )
    const probe = `WECHATPAY/SIGNTEST/${vector.headers['Wechatpay-Signature']}`
    unverified(arrived({ 'Wechatpay-Signature': probe }), 'SIGNTEST_PROBE')
  })

  for (const name of NAMES) {
    it(`refuses it without ${name}, or with ${name} twice`, () => {
      unverified(arrived({ [name]: undefined }), 'MISSING_HEADERS')
      const value = vector.headers[name]!
      unverified(arrived({ [name]: `${value},${value}` }), 'MALFORMED_HEADERS')
      unverified(arrived({ [name]: `${value}, ${value}` }), 'MALFORMED_HEADERS')
    })
  }

  it("has a resource that an AES-256 decryptor refuses to open with the Go test's 16-byte key", () => {
    const short = createSecretKey(Buffer.from(vector.key_used_by_the_go_test))
    assert.throws(
      () => openEnvelope(readEnvelope(vector.body), short),
      (error: unknown) => {
        // Our configuration's fault, not the sender's: not a NotificationError.
        assert.ok(error instanceof WechatPayError)
        assert.equal(error.code, 'INVALID_KEY')
        return true
      },
    )
  })
})
