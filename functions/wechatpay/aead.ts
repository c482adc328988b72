/**
 * AEAD_AES_256_GCM, the one algorithm WeChat Pay encrypts notification resources with.
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_2.shtml (certificates and callbacks)
 * Key: the merchant's APIv3 key, 32 ASCII characters, used as its bytes. IV: the resource's `nonce`,
 * its UTF-8 bytes. AAD: `associated_data`, its UTF-8 bytes, possibly empty. The base64 `ciphertext`
 * ends in the 16-byte authentication tag.
 */
import { createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { WechatPayError } from './errors.ts'

export const AEAD_AES_256_GCM = 'AEAD_AES_256_GCM'
export const APIV3_KEY_LENGTH = 32
export const GCM_TAG_LENGTH = 16

/**
 * WeChat's merchant platform takes letters and digits; any printable ASCII character but the space
 * is accepted here, so that a key WeChat may allow is not refused, while pasted whitespace, a
 * newline or a non-ASCII character (whose UTF-8 bytes would not be 32) is.
 */
const APIV3_KEY = /^[\x21-\x7e]{32}$/

/** The fields of a notification's `resource` that decryption reads. */
export interface EncryptedResource {
  ciphertext: string
  nonce: string
  associated_data: string
}

/**
 * The APIv3 key as a secret KeyObject: neither a log line nor JSON.stringify can print its bytes.
 * Throws INVALID_KEY (field `apiv3_key`) unless the text is 32 printable ASCII characters; the
 * message never repeats the text.
 */
export function apiV3Key(text: string): KeyObject {
  if (!APIV3_KEY.test(text)) {
    throw new WechatPayError(
      'INVALID_KEY',
      `apiv3_key must be the ${APIV3_KEY_LENGTH}-character APIv3 key (printable ASCII, no spaces)`,
      { field: 'apiv3_key' },
    )
  }
  return createSecretKey(Buffer.from(text, 'ascii'))
}

/**
 * The plaintext of `resource`, returned only once the tag has been checked (`final()`): a tampered
 * ciphertext, tag, nonce or associated data, or another key, is DECRYPTION_FAILED and nothing of the
 * plaintext leaves this function (what `update()` gave is zeroed). A key that is not 32 bytes is
 * INVALID_KEY whatever the resource: AES-128 would decrypt what WeChat never sends.
 */
export function decryptResource(key: KeyObject, resource: EncryptedResource): Buffer {
  if (key.type !== 'secret' || key.symmetricKeySize !== APIV3_KEY_LENGTH) {
    throw new WechatPayError(
      'INVALID_KEY',
      `the APIv3 key must be ${APIV3_KEY_LENGTH} bytes for AES-256-GCM`,
      {
        field: 'apiv3_key',
      },
    )
  }
  const sealed = Buffer.from(resource.ciphertext, 'base64')
  // Node's decoder skips characters outside the alphabet: only text that is exactly the encoding of
  // its bytes is taken, so that what was signed is what is decrypted.
  if (sealed.toString('base64') !== resource.ciphertext || sealed.length < GCM_TAG_LENGTH) {
    throw failed(`ciphertext is not base64 of at least ${GCM_TAG_LENGTH} bytes (the tag)`)
  }
  const iv = Buffer.from(resource.nonce, 'utf8')
  if (iv.length === 0) throw failed('nonce is empty')
  const body = sealed.subarray(0, sealed.length - GCM_TAG_LENGTH)
  const tag = sealed.subarray(sealed.length - GCM_TAG_LENGTH)
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH })
  decipher.setAuthTag(tag)
  decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'))
  const opened = decipher.update(body)
  try {
    decipher.final()
  } catch (cause) {
    opened.fill(0)
    throw failed('the authentication tag does not match (tampered, or another APIv3 key)', cause)
  }
  return opened
}

function failed(message: string, cause?: unknown) {
  return new WechatPayError('DECRYPTION_FAILED', `${AEAD_AES_256_GCM}: ${message}`, { cause })
}
