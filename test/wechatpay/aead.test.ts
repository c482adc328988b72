import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { apiV3Key, decryptResource, type EncryptedResource } from '../../functions/wechatpay/aead.ts'
import { errorClass, WechatPayError } from '../../functions/wechatpay/errors.ts'

/** Made with wechatpay-axios-plugin 0.9.6, an independent implementation (../shared/reference/test-vectors/). */
const vector = JSON.parse(
  readFileSync(new URL('../fixtures/aes-256-gcm-notification.json', import.meta.url), 'utf8'),
) as EncryptedResource & { apiv3_key: string; plaintext: string }
const goSdk = JSON.parse(
  readFileSync(new URL('../fixtures/notification-go-sdk.json', import.meta.url), 'utf8'),
) as { body: string; key_used_by_the_go_test: string; plaintext_with_that_key: string }
const goResource = (JSON.parse(goSdk.body) as { resource: EncryptedResource }).resource

const key = apiV3Key(vector.apiv3_key)
const resource: EncryptedResource = {
  ciphertext: vector.ciphertext,
  nonce: vector.nonce,
  associated_data: vector.associated_data,
}

function refused(change: Partial<EncryptedResource>, code = 'DECRYPTION_FAILED', withKey = key) {
  assert.throws(
    () => decryptResource(withKey, { ...resource, ...change }),
    (error: unknown) => {
      assert.ok(error instanceof WechatPayError)
      assert.equal(error.code, code)
      assert.ok(!error.message.includes('authorization_code'), 'no plaintext in the message')
      return true
    },
  )
}

/** The sealed bytes (ciphertext || tag) with one byte changed, back in base64. */
function flipped(index: number, bit = 1) {
  const bytes = Buffer.from(vector.ciphertext, 'base64')
  bytes[index < 0 ? bytes.length + index : index]! ^= bit
  return bytes.toString('base64')
}

describe('decryptResource (AEAD_AES_256_GCM)', () => {
  it('decrypts the independent implementation vector to its plaintext', () => {
    assert.equal(decryptResource(key, resource).toString('utf8'), vector.plaintext)
  })

  it('refuses a tampered ciphertext, tag, nonce or associated data', () => {
    refused({ ciphertext: flipped(0) })
    refused({ ciphertext: flipped(-17, 0x80) }) // the last byte before the tag
    refused({ ciphertext: flipped(-1) }) // the tag
    refused({ ciphertext: Buffer.from(vector.ciphertext, 'base64').subarray(0, -1).toString('base64') })
    refused({ nonce: `${vector.nonce.slice(0, -1)}7` })
    refused({ associated_data: 'payscorE' })
    refused({ associated_data: '' })
  })

  it('refuses another 32-byte key', () => {
    refused({}, 'DECRYPTION_FAILED', apiV3Key('A'.repeat(32)))
  })

  it('classes a decryption failure as unverified', () => {
    assert.equal(errorClass('DECRYPTION_FAILED'), 'unverified')
  })

  it('refuses a ciphertext that is not canonical base64 or is shorter than the tag', () => {
    refused({ ciphertext: `${vector.ciphertext}!` })
    refused({ ciphertext: vector.ciphertext.replace(/=+$/, '') })
    refused({ ciphertext: randomBytes(15).toString('base64') })
    refused({ ciphertext: '' })
    refused({ nonce: '' })
  })

  it('refuses any single-bit change of the sealed bytes (fuzzed)', () => {
    const length = Buffer.from(vector.ciphertext, 'base64').length
    fc.assert(
      fc.property(fc.nat(length - 1), fc.nat(7), (index, bit) => {
        refused({ ciphertext: flipped(index, 1 << bit) })
      }),
      { seed: 10, numRuns: 300 },
    )
  })

  it('decrypts with empty associated data when that is what was sealed', () => {
    const iv = 'a1b2c3d4e5f6'
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(iv))
    cipher.setAAD(Buffer.alloc(0))
    const sealed = Buffer.concat([cipher.update('{"ok":true}'), cipher.final(), cipher.getAuthTag()])
    const opened = decryptResource(key, {
      ciphertext: sealed.toString('base64'),
      nonce: iv,
      associated_data: '',
    })
    assert.equal(opened.toString(), '{"ok":true}')
  })

  it("refuses the Go SDK vector's 16-byte key for its length, though AES-128-GCM opens it with that key", () => {
    const short = createSecretKey(Buffer.from(goSdk.key_used_by_the_go_test))
    // The key is the right one for that vector: the refusal below is for its length alone.
    const sealed = Buffer.from(goResource.ciphertext, 'base64')
    const decipher = createDecipheriv('aes-128-gcm', short, Buffer.from(goResource.nonce))
    decipher.setAuthTag(sealed.subarray(-16))
    decipher.setAAD(Buffer.from(goResource.associated_data))
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()])
    assert.equal(plain.toString(), goSdk.plaintext_with_that_key)

    assert.throws(() => decryptResource(short, goResource), { code: 'INVALID_KEY', field: 'apiv3_key' })
    assert.throws(() => apiV3Key(goSdk.key_used_by_the_go_test), { code: 'INVALID_KEY', field: 'apiv3_key' })
  })
})

describe('apiV3Key', () => {
  for (const [label, text] of [
    ['31 characters', 'k'.repeat(31)],
    ['33 characters', 'k'.repeat(33)],
    ['a space', `${'k'.repeat(15)} ${'k'.repeat(16)}`],
    ['a trailing newline', `${'k'.repeat(31)}\n`],
    ['a non-ASCII character', `${'k'.repeat(31)}é`],
    ['nothing', ''],
  ]) {
    it(`refuses ${label}, naming the field and not the value`, () => {
      assert.throws(
        () => apiV3Key(text!),
        (error: unknown) => {
          assert.ok(error instanceof WechatPayError)
          assert.equal(error.code, 'INVALID_KEY')
          assert.equal(error.field, 'apiv3_key')
          assert.ok(!error.message.includes('kkkk'))
          return true
        },
      )
    })
  }

  it('holds the key where neither inspect nor JSON can print it', () => {
    const printed = `${inspect(key, { showHidden: true, depth: 5 })} ${JSON.stringify({ key })} ${String(key)}`
    assert.ok(!printed.includes(vector.apiv3_key))
    assert.ok(!printed.includes(Buffer.from(vector.apiv3_key).toString('hex')))
    assert.ok(!printed.includes(Buffer.from(vector.apiv3_key).toString('base64')))
  })
})
