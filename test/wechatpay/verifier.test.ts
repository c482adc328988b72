import assert from 'node:assert/strict'
import { type KeyObject, sign } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { WechatPayError } from '../../functions/wechatpay/errors.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'
import { generateRsaKeyPair, loadPlatformCertificate } from '../helpers/keys.ts'

const wechatpay = generateRsaKeyPair()
const platform = loadPlatformCertificate()
const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001002025010100000000000001'
const NOW = 1_800_000_000_000

function signedHeaders(options: {
  key: KeyObject
  serial: string
  body: string
  timestamp?: number
  nonce?: string
}) {
  const timestamp = String(options.timestamp ?? NOW / 1000)
  const nonce = options.nonce ?? 'c5ac7061fccab6bf3e254dcf98995b8c'
  const signature = sign(
    'sha256',
    Buffer.from(`${timestamp}\n${nonce}\n${options.body}\n`),
    options.key,
  ).toString('base64')
  return new Headers({
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': options.serial,
  })
}

const verifier = createVerifier({
  publicKey: { id: PUBLIC_KEY_ID, key: wechatpay.publicPem },
  platformCertificates: [platform.certificatePem],
  clock: () => NOW,
})

describe('verifier', () => {
  it('verifies a 204 over timestamp\\nnonce\\n\\n with the public key', () => {
    const result = verifier.verify(
      signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' }),
      '',
    )
    assert.deepEqual(result, { serial: PUBLIC_KEY_ID, timestamp: NOW / 1000 })
  })

  it('verifies a JSON body with a platform certificate, the serial matched case-insensitively', () => {
    const body = '{"authorization_state":"UNAVAILABLE"}'
    const headers = signedHeaders({ key: platform.privateKey, serial: platform.serialNo.toLowerCase(), body })
    assert.equal(verifier.verify(headers, body).serial, platform.serialNo)
  })

  it('lists its serials and its public key id', () => {
    assert.deepEqual(verifier.serials, [PUBLIC_KEY_ID, platform.serialNo])
    assert.equal(verifier.publicKeyId, PUBLIC_KEY_ID)
  })

  for (const name of ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial']) {
    it(`fails with MISSING_HEADERS without ${name}`, () => {
      const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
      headers.delete(name)
      assert.throws(() => verifier.verify(headers, ''), {
        code: 'MISSING_HEADERS',
        message: new RegExp(name),
      })
    })
  }

  for (const offset of [299, 300, -299, -300]) {
    it(`accepts a timestamp ${offset} s from our clock`, () => {
      const timestamp = NOW / 1000 + offset
      assert.ok(
        verifier.verify(
          signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '', timestamp }),
          '',
        ),
      )
    })
  }

  for (const offset of [301, -301]) {
    it(`fails with TIMESTAMP_SKEW ${offset} s from our clock`, () => {
      const timestamp = NOW / 1000 + offset
      const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '', timestamp })
      assert.throws(() => verifier.verify(headers, ''), { code: 'TIMESTAMP_SKEW' })
    })
  }

  it('fails with TIMESTAMP_SKEW on a timestamp that is not a number', () => {
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    headers.set('Wechatpay-Timestamp', '1800000000.0')
    assert.throws(() => verifier.verify(headers, ''), { code: 'TIMESTAMP_SKEW' })
  })

  it('checks the clock before the serial', () => {
    const headers = signedHeaders({
      key: wechatpay.privateKey,
      serial: 'PUB_KEY_ID_999',
      body: '',
      timestamp: 1,
    })
    assert.throws(() => verifier.verify(headers, ''), { code: 'TIMESTAMP_SKEW' })
  })

  it('fails with UNKNOWN_SERIAL for a serial it does not hold', () => {
    const headers = signedHeaders({
      key: wechatpay.privateKey,
      serial: 'PUB_KEY_ID_0119000001002025010100000000000002',
      body: '',
    })
    assert.throws(() => verifier.verify(headers, ''), { code: 'UNKNOWN_SERIAL' })
  })

  it('fails with UNKNOWN_SERIAL for a platform certificate outside its validity period', () => {
    const late = createVerifier({
      platformCertificates: [platform.certificatePem],
      clock: () => Date.parse('2200-01-01'),
    })
    const headers = signedHeaders({
      key: platform.privateKey,
      serial: platform.serialNo,
      body: '',
      timestamp: Date.parse('2200-01-01') / 1000,
    })
    assert.throws(() => late.verify(headers, ''), { code: 'UNKNOWN_SERIAL', message: /validity/ })
  })

  it('fails with SIGNTEST_PROBE for a WECHATPAY/SIGNTEST/ signature', () => {
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    headers.set('Wechatpay-Signature', `WECHATPAY/SIGNTEST/${headers.get('Wechatpay-Signature')}`)
    assert.throws(() => verifier.verify(headers, ''), { code: 'SIGNTEST_PROBE' })
  })

  it('fails with BAD_SIGNATURE when the body, nonce or key differ', () => {
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '{"a":1}' })
    assert.throws(() => verifier.verify(headers, '{"a":2}'), { code: 'BAD_SIGNATURE' })
    assert.throws(() => verifier.verify(headers, '{"a":1}\n'), { code: 'BAD_SIGNATURE' })
    const wrongKey = signedHeaders({ key: platform.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    assert.throws(() => verifier.verify(wrongKey, ''), { code: 'BAD_SIGNATURE' })
  })

  it('never accepts arbitrary header values and only ever throws WechatPayError (fuzzed)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(PUBLIC_KEY_ID, platform.serialNo, String(NOW / 1000)),
    )
    fc.assert(
      fc.property(
        text,
        text,
        text,
        text,
        fc.string({ maxLength: 200 }),
        (timestamp, nonce, signature, serial, body) => {
          const headers = new Headers()
          for (const [name, value] of [
            ['Wechatpay-Timestamp', timestamp],
            ['Wechatpay-Nonce', nonce],
            ['Wechatpay-Signature', signature],
            ['Wechatpay-Serial', serial],
          ]) {
            try {
              headers.set(name!, value!)
            } catch {
              // values fetch refuses to carry can never arrive from the network either
            }
          }
          assert.throws(() => verifier.verify(headers, body), WechatPayError)
        },
      ),
      { seed: 20261124, numRuns: 3000 },
    )
  })

  it('rejects any single-byte change of a correctly signed body (fuzzed)', () => {
    const body = '{"authorization_code":"abc","authorization_state":"AVAILABLE"}'
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body })
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (index, char) => {
        fc.pre(body[index] !== char)
        const tampered = body.slice(0, index) + char + body.slice(index + 1)
        assert.throws(() => verifier.verify(headers, tampered), { code: 'BAD_SIGNATURE' })
      }),
      { seed: 3, numRuns: 200 },
    )
  })
})

describe('createVerifier', () => {
  it('needs a public key or a certificate', () => {
    assert.throws(() => createVerifier({}), { code: 'INVALID_CONFIG' })
  })

  it('rejects a public key id that is not PUB_KEY_ID_ + digits', () => {
    assert.throws(() => createVerifier({ publicKey: { id: 'ABC', key: wechatpay.publicPem } }), {
      code: 'INVALID_CONFIG',
    })
  })

  it('rejects a public key that is not an RSA SPKI PEM, and a certificate that is not X.509', () => {
    assert.throws(() => createVerifier({ publicKey: { id: 'PUB_KEY_ID_1', key: wechatpay.privatePem } }), {
      code: 'INVALID_KEY',
    })
    assert.throws(
      () =>
        createVerifier({
          publicKey: { id: 'PUB_KEY_ID_1', key: '-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----' },
        }),
      { code: 'INVALID_KEY' },
    )
    assert.throws(
      () =>
        createVerifier({
          platformCertificates: ['-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----'],
        }),
      {
        code: 'INVALID_KEY',
        message: /platform_certificates\[0\]/,
      },
    )
  })
})
