import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { CredentialsError } from '../../functions/merchant/errors.ts'
import { parseMerchantSecret } from '../../functions/merchant/secret.ts'
import { decryptResource } from '../../functions/wechatpay/aead.ts'
import { loadPlatformCertificate } from '../helpers/keys.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'

const { secret, merchantKeys } = createTestMerchant({ mode: 'both' })

function rejects(value: unknown, field: string | undefined, code = 'SECRET_INVALID') {
  assert.throws(
    () => parseMerchantSecret(typeof value === 'string' ? value : JSON.stringify(value)),
    (error: unknown) => {
      assert.ok(error instanceof CredentialsError)
      assert.equal(error.code, code)
      assert.equal(error.field, field)
      if (field) assert.match(error.message, new RegExp(field))
      assert.ok(!error.message.includes('MII'), 'no key material in the message')
      return true
    },
  )
}

describe('parseMerchantSecret', () => {
  it('builds a signer and a verifier holding the public key and the certificate', () => {
    const keys = parseMerchantSecret(JSON.stringify(secret))
    assert.equal(keys.signer.mchid, secret.mchid)
    assert.deepEqual(keys.verifier.serials, [PUBLIC_KEY_ID, loadPlatformCertificate().serialNo])
  })

  it('accepts the public key alone, certificates alone and a PKCS#1 key', () => {
    assert.ok(parseMerchantSecret(createTestMerchant({ mode: 'public_key' }).secretString))
    assert.ok(parseMerchantSecret(createTestMerchant({ mode: 'certificate' }).secretString))
    assert.ok(
      parseMerchantSecret(JSON.stringify({ ...secret, merchant_private_key: merchantKeys.privatePkcs1Pem })),
    )
  })

  it('rejects text that is not a JSON object', () => {
    rejects('not json', undefined, 'SECRET_MALFORMED')
    rejects('[1]', undefined, 'SECRET_MALFORMED')
  })

  for (const field of ['mchid', 'merchant_serial_no', 'merchant_private_key'] as const) {
    it(`names a missing ${field}`, () => {
      const { [field]: _, ...rest } = secret
      rejects(rest, field)
    })
    it(`names a ${field} that is not a string`, () => rejects({ ...secret, [field]: 42 }, field))
  }

  it('names a bad mchid, serial or key', () => {
    rejects({ ...secret, mchid: 'abc' }, 'mchid')
    rejects({ ...secret, merchant_serial_no: 'xyz' }, 'merchant_serial_no')
    rejects({ ...secret, merchant_private_key: merchantKeys.publicPem }, 'merchant_private_key')
    rejects(
      { ...secret, merchant_private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      'merchant_private_key',
    )
  })

  it('needs a verification key and names it', () => {
    const {
      wechatpay_public_key: _,
      wechatpay_public_key_id: __,
      platform_certificates: ___,
      ...signing
    } = secret
    rejects(signing, 'wechatpay_public_key')
  })

  it('needs both halves of the public key pair', () => {
    rejects({ ...secret, wechatpay_public_key_id: undefined }, 'wechatpay_public_key_id')
    rejects({ ...secret, wechatpay_public_key: undefined }, 'wechatpay_public_key')
  })

  it('names a bad public key, key id or certificate list', () => {
    rejects({ ...secret, wechatpay_public_key: merchantKeys.privatePem }, 'wechatpay_public_key')
    rejects({ ...secret, wechatpay_public_key_id: 'KEY1' }, 'wechatpay_public_key_id')
    rejects({ ...secret, platform_certificates: 'PEM' }, 'platform_certificates')
    rejects({ ...secret, platform_certificates: [] }, 'platform_certificates')
    rejects(
      { ...secret, platform_certificates: ['-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----'] },
      'platform_certificates',
    )
  })

  it('refuses WeChat Pay verification keys under 2048 bits and names the field', () => {
    const weakKey = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    const weakCertificate = readFileSync(
      new URL('../fixtures/platform-certificate-rsa1024-test-only.pem', import.meta.url),
      'utf8',
    )
    rejects({ ...secret, wechatpay_public_key: weakKey }, 'wechatpay_public_key')
    rejects(
      { ...secret, platform_certificates: [...(secret.platform_certificates ?? []), weakCertificate] },
      'platform_certificates',
    )
    const { wechatpay_public_key: _, wechatpay_public_key_id: __, ...certificateOnly } = secret
    rejects({ ...certificateOnly, platform_certificates: [weakCertificate] }, 'platform_certificates')
  })

  describe('apiv3_key', () => {
    const vector = JSON.parse(
      readFileSync(new URL('../fixtures/aes-256-gcm-notification.json', import.meta.url), 'utf8'),
    ) as { apiv3_key: string; ciphertext: string; nonce: string; associated_data: string; plaintext: string }

    it('is optional: without it the other keys still parse; asked for, its absence names the field', () => {
      const { apiv3_key: _, ...withoutKey } = secret
      for (const keys of [
        parseMerchantSecret(JSON.stringify(withoutKey)),
        parseMerchantSecret(JSON.stringify({ ...secret, apiv3_key: null })),
      ]) {
        assert.ok(keys.signer)
        assert.throws(() => keys.apiv3Key(), {
          name: 'CredentialsError',
          code: 'SECRET_INVALID',
          field: 'apiv3_key',
        })
      }
    })

    it('becomes a key that decrypts what WeChat encrypted with it, and that nothing prints', () => {
      const keys = parseMerchantSecret(JSON.stringify({ ...secret, apiv3_key: vector.apiv3_key }))
      assert.equal(decryptResource(keys.apiv3Key(), vector).toString(), vector.plaintext)
      const printed = `${inspect(keys, { depth: 10 })} ${JSON.stringify(keys)}`
      assert.ok(!printed.includes(vector.apiv3_key))
      assert.ok(!printed.includes(Buffer.from(vector.apiv3_key).toString('base64')))
    })

    for (const [label, value] of [
      ['16 characters (an AES-128 key)', 'testMchAPIv3Key0'],
      ['33 characters', `${vector.apiv3_key}x`],
      ['a space', `${vector.apiv3_key.slice(0, 16)} ${vector.apiv3_key.slice(17)}`],
      ['surrounding whitespace', ` ${vector.apiv3_key} `],
      ['a non-ASCII character', `${vector.apiv3_key.slice(0, 31)}é`],
      ['an empty string', ''],
      ['a number', 42],
    ] as const) {
      it(`refuses ${label} when asked for, naming the field and never the value; the other keys still parse`, () => {
        const keys = parseMerchantSecret(JSON.stringify({ ...secret, apiv3_key: value }))
        assert.ok(keys.signer && keys.verifier, 'a function that never decrypts is not stopped by it')
        assert.throws(
          () => keys.apiv3Key(),
          (error: unknown) => {
            assert.ok(error instanceof CredentialsError)
            assert.equal(error.code, 'SECRET_INVALID')
            assert.equal(error.field, 'apiv3_key')
            assert.match(error.message, /apiv3_key/)
            if (String(value).length > 0) assert.ok(!error.message.includes(String(value).trim()))
            return true
          },
        )
      })
    }
  })
})
