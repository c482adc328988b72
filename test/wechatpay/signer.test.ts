import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { describe, it } from 'node:test'
import { createSigner, loadPrivateKey, randomNonce } from '../../functions/wechatpay/signer.ts'
import { generateRsaKeyPair, loadSignerVector } from '../helpers/keys.ts'

const keys = generateRsaKeyPair()

describe('signer', () => {
  it('matches the known-answer vector from wechatpay-go byte for byte', () => {
    const vector = loadSignerVector()
    const signer = createSigner({
      mchid: '1900000001',
      serialNo: 'F5765756002FDD77',
      privateKey: loadPrivateKey(vector.privatePem),
    })
    assert.equal(signer.sign(vector.message), vector.expectedSignature)
    assert.ok(
      verify(
        'sha256',
        Buffer.from(vector.message),
        createPublicKey(vector.publicPem),
        Buffer.from(vector.expectedSignature, 'base64'),
      ),
    )
  })

  it('writes an Authorization header whose signature verifies over the request message (round trip)', () => {
    const signer = createSigner({
      mchid: '1900000100',
      serialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      privateKey: keys.privateKey,
      clock: () => 1_700_000_000_999,
      nonce: () => 'NONCE123',
    })
    const body = '{"service_id":"500001","sub_mchid":"1900000109","reason":"用户取消"}'
    const header = signer.authorize('POST', '/v3/x/abc/terminate', body)
    const signature = /signature="([^"]+)"/.exec(header)![1]!
    assert.match(
      header,
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="NONCE123",signature="[^"]+",timestamp="1700000000",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"$/,
    )
    const message = `POST\n/v3/x/abc/terminate\n1700000000\nNONCE123\n${body}\n`
    assert.ok(verify('sha256', Buffer.from(message), keys.publicKey, Buffer.from(signature, 'base64')))
  })

  it('uses a fresh nonce for every header', () => {
    const signer = createSigner({ mchid: '1', serialNo: 'AB', privateKey: keys.privateKey })
    const nonces = new Set(
      Array.from({ length: 20 }, () => /nonce_str="([^"]+)"/.exec(signer.authorize('GET', '/', ''))![1]),
    )
    assert.equal(nonces.size, 20)
  })

  it('rejects a bad mchid or serial at construction', () => {
    assert.throws(() => createSigner({ mchid: 'abc', serialNo: 'AB', privateKey: keys.privateKey }), {
      code: 'INVALID_CONFIG',
    })
    assert.throws(() => createSigner({ mchid: '1', serialNo: 'not hex', privateKey: keys.privateKey }), {
      code: 'INVALID_CONFIG',
    })
  })
})

describe('loadPrivateKey', () => {
  it('accepts PKCS#8 and PKCS#1 PEM and both sign alike', () => {
    const message = 'm'
    const a = createSigner({ mchid: '1', serialNo: 'AB', privateKey: loadPrivateKey(keys.privatePem) }).sign(
      message,
    )
    const b = createSigner({
      mchid: '1',
      serialNo: 'AB',
      privateKey: loadPrivateKey(keys.privatePkcs1Pem),
    }).sign(message)
    assert.equal(a, b)
  })

  it('rejects a public key, a certificate-shaped block, garbage and an EC key, without echoing the key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const encrypted = keys.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
      .toString()
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    for (const pem of [
      keys.publicPem,
      'not a key',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      ec,
      encrypted,
      small,
    ]) {
      assert.throws(
        () => loadPrivateKey(pem),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'INVALID_KEY')
          assert.ok(!error.message.includes('MII'), 'the message must not contain key material')
          return true
        },
      )
    }
  })
})

describe('randomNonce', () => {
  it('is 32 characters of [0-9A-Za-z] and does not repeat', () => {
    const nonces = Array.from({ length: 1000 }, randomNonce)
    for (const nonce of nonces) assert.match(nonce, /^[0-9A-Za-z]{32}$/)
    assert.equal(new Set(nonces).size, nonces.length)
  })

  it('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, randomNonce).join(''))
    assert.equal(seen.size, 62)
  })
})
