import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { WechatPayError } from '../../functions/wechatpay/errors.ts'
import { createNonceRecord, DEFAULT_MAX_NONCES } from '../../functions/wechatpay/replay.ts'
import { createVerifier, MAX_CLOCK_SKEW_SECONDS } from '../../functions/wechatpay/verifier.ts'
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
  // A fresh nonce by default: the verifier refuses a nonce it has already accepted (replay).
  const nonce = options.nonce ?? randomBytes(16).toString('hex')
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
    assert.deepEqual(
      { ...result, nonce: undefined },
      { serial: PUBLIC_KEY_ID, timestamp: NOW / 1000, nonce: undefined },
    )
    assert.match(result.nonce, /^[0-9a-f]{32}$/)
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

  for (const timestamp of ['1800000000.0', '1.8e9', '+1800000000', '0x6B49D200', '1'.repeat(13)]) {
    it(`fails with MALFORMED_HEADERS on the timestamp ${timestamp}, which is not digits only`, () => {
      const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
      headers.set('Wechatpay-Timestamp', timestamp)
      assert.throws(() => verifier.verify(headers, ''), {
        code: 'MALFORMED_HEADERS',
        message: /Wechatpay-Timestamp/,
      })
    })
  }

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

describe('verifier: strict input', () => {
  const names = ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial']
  for (const name of names) {
    it(`fails with MALFORMED_HEADERS when ${name} is sent twice (joined by fetch or API Gateway)`, () => {
      const signed = () => signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
      // fetch joins a repeated header as "a, b"
      const fetched = signed()
      fetched.append(name, fetched.get(name)!)
      assert.match(fetched.get(name)!, /, /)
      // API Gateway joins it as "a,b"
      const gateway = signed()
      gateway.set(name, `${gateway.get(name)},${gateway.get(name)}`)
      for (const headers of [fetched, gateway]) {
        assert.throws(() => verifier.verify(headers, ''), {
          code: 'MALFORMED_HEADERS',
          message: new RegExp(name),
        })
      }
    })
  }

  const malformed: Array<[string, string[]]> = [
    ['Wechatpay-Nonce', ['a b', 'a;b', 'a=b', 'a/b', 'x'.repeat(65)]],
    ['Wechatpay-Serial', ['PUB_KEY_ID_', 'PUB_KEY_ID_12a', 'pub_key_id_1', 'XYZ', 'A'.repeat(65)]],
    ['Wechatpay-Signature', ['abc!', 'ab cd', 'ab-_', 'A'.repeat(1025)]],
  ]
  for (const [name, values] of malformed) {
    it(`fails with MALFORMED_HEADERS on an ill-formed ${name}`, () => {
      for (const value of values) {
        const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
        headers.set(name, value)
        assert.throws(() => verifier.verify(headers, ''), { code: 'MALFORMED_HEADERS' }, value)
      }
    })
  }

  it('checks the header formats before the clock', () => {
    const headers = signedHeaders({
      key: wechatpay.privateKey,
      serial: PUBLIC_KEY_ID,
      body: '',
      timestamp: 1,
    })
    headers.append('Wechatpay-Nonce', 'again')
    assert.throws(() => verifier.verify(headers, ''), { code: 'MALFORMED_HEADERS' })
  })

  it('fails with BAD_SIGNATURE on a valid signature with junk after its padding or in a non-canonical form', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    // Node's decoder stops at the padding and ignores what follows; unpadded text decodes the same;
    // the last character before the padding carries 4 unused bits that decode the same when set.
    const variants: Array<(signature: string) => string> = [
      (signature) => `${signature}AAAA`,
      (signature) => `${signature}==`,
      (signature) => `${signature}junk`,
      (signature) => signature.slice(0, -2),
      (signature) => `${signature.slice(0, -3)}${alphabet[alphabet.indexOf(signature.at(-3)!) + 1]}==`,
      // 257 bytes: a zero byte before the real signature
      (signature) => Buffer.concat([Buffer.alloc(1), Buffer.from(signature, 'base64')]).toString('base64'),
    ]
    for (const [index, variant] of variants.entries()) {
      const body = '{"a":1}'
      const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body })
      const signature = headers.get('Wechatpay-Signature')!
      assert.match(signature, /^[A-Za-z0-9+/]{342}==$/, 'RSA-2048: 256 bytes, two padding characters')
      const changed = variant(signature)
      assert.ok(Buffer.from(changed, 'base64').subarray(-256).equals(Buffer.from(signature, 'base64')))
      headers.set('Wechatpay-Signature', changed)
      // (the message names the variant only: test output must not carry signatures)
      assert.throws(() => verifier.verify(headers, body), { code: 'BAD_SIGNATURE' }, `variant ${index}`)
      headers.set('Wechatpay-Signature', signature)
      assert.ok(verifier.verify(headers, body), 'the untouched signature verifies')
    }
  })
})

describe('verifier: replay', () => {
  it('fails with REPLAYED_NONCE on an answer it has already accepted', () => {
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    assert.ok(verifier.verify(headers, ''))
    assert.throws(() => verifier.verify(headers, ''), { code: 'REPLAYED_NONCE' })
  })

  it('shares the accepted nonces of every verifier in the container by default', () => {
    const other = createVerifier({
      publicKey: { id: PUBLIC_KEY_ID, key: wechatpay.publicPem },
      clock: () => NOW,
    })
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    assert.ok(verifier.verify(headers, ''))
    assert.throws(() => other.verify(headers, ''), { code: 'REPLAYED_NONCE' })
  })

  it('records a nonce only once its signature verified: a failed answer can be verified again', () => {
    const withoutKey = createVerifier({ platformCertificates: [platform.certificatePem], clock: () => NOW })
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '{"a":1}' })
    assert.throws(() => withoutKey.verify(headers, '{"a":1}'), { code: 'UNKNOWN_SERIAL' })
    assert.throws(() => verifier.verify(headers, '{"a":2}'), { code: 'BAD_SIGNATURE' })
    const probe = new Headers(headers)
    probe.set('Wechatpay-Signature', `WECHATPAY/SIGNTEST/${headers.get('Wechatpay-Signature')}`)
    assert.throws(() => verifier.verify(probe, '{"a":1}'), { code: 'SIGNTEST_PROBE' })
    assert.ok(verifier.verify(headers, '{"a":1}'), 'the same answer, verified after a key refresh')
  })

  it('remembers a nonce for as long as its timestamp passes the clock check', () => {
    let now = NOW
    const clocked = createVerifier({
      publicKey: { id: PUBLIC_KEY_ID, key: wechatpay.publicPem },
      clock: () => now,
    })
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    assert.ok(clocked.verify(headers, ''))
    now = NOW + MAX_CLOCK_SKEW_SECONDS * 1000 + 999
    assert.throws(() => clocked.verify(headers, ''), { code: 'REPLAYED_NONCE' })
    now = NOW + (MAX_CLOCK_SKEW_SECONDS + 1) * 1000
    assert.throws(() => clocked.verify(headers, ''), { code: 'TIMESTAMP_SKEW' })
  })

  it('uses the nonce record it is given instead of the container one', () => {
    const nonces = createNonceRecord()
    const own = createVerifier({
      publicKey: { id: PUBLIC_KEY_ID, key: wechatpay.publicPem },
      clock: () => NOW,
      nonces,
    })
    const headers = signedHeaders({ key: wechatpay.privateKey, serial: PUBLIC_KEY_ID, body: '' })
    assert.ok(verifier.verify(headers, ''))
    assert.ok(own.verify(headers, ''), 'its own record has not seen the nonce')
    assert.equal(nonces.size, 1)
    assert.throws(() => own.verify(headers, ''), { code: 'REPLAYED_NONCE' })
  })
})

describe('nonce record', () => {
  it('forgets a nonce when its time is up and evicts expired entries as it records', () => {
    const nonces = createNonceRecord()
    nonces.record('a', 1_000, 0)
    nonces.record('b', 2_000, 500)
    assert.equal(nonces.seen('a', 999), true)
    assert.equal(nonces.seen('a', 1_000), false)
    nonces.record('c', 5_000, 2_000)
    assert.equal(nonces.size, 1, 'a and b were evicted')
    assert.equal(nonces.seen('c', 4_999), true)
  })

  it('holds at most maxEntries, dropping the oldest to make room', () => {
    const nonces = createNonceRecord({ maxEntries: 3 })
    for (const nonce of ['a', 'b', 'c', 'd']) nonces.record(nonce, 10_000, 0)
    assert.equal(nonces.size, 3)
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((nonce) => nonces.seen(nonce, 0)),
      [false, true, true, true],
    )
  })

  it('stays bounded under a flood of verified answers, with the default cap', () => {
    const nonces = createNonceRecord()
    for (let index = 0; index < DEFAULT_MAX_NONCES + 1_000; index += 1) {
      nonces.record(`n${index}`, 1_000_000, 0)
    }
    assert.equal(nonces.size, DEFAULT_MAX_NONCES)
  })
})

describe('verifier: key size', () => {
  it('refuses a WeChat Pay public key under 2048 bits, naming the field', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    for (const key of [weak, weak.export({ type: 'spki', format: 'pem' }).toString()]) {
      assert.throws(() => createVerifier({ publicKey: { id: PUBLIC_KEY_ID, key } }), {
        code: 'INVALID_KEY',
        field: 'wechatpay_public_key',
        message: /wechatpay_public_key.*2048/,
      })
    }
  })

  it('refuses a platform certificate whose key is under 2048 bits, naming the field', () => {
    const weak = readFileSync(
      new URL('../fixtures/platform-certificate-rsa1024-test-only.pem', import.meta.url),
      'utf8',
    )
    assert.throws(() => createVerifier({ platformCertificates: [platform.certificatePem, weak] }), {
      code: 'INVALID_KEY',
      field: 'platform_certificates',
      message: /platform_certificates\[1\].*2048/,
    })
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
