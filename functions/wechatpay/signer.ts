import { createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto'
import { WechatPayError } from './errors.ts'
import { authorizationHeader, requestMessage } from './message.ts'

/** Signs APIv3 requests as the service provider (partner mode: the provider's mchid and API certificate serial). */
export interface Signer {
  readonly mchid: string
  readonly serialNo: string
  /** Base64 SHA256withRSA (RSASSA-PKCS1-v1_5) signature of `message`. */
  sign(message: string): string
  /** A complete `Authorization` header for one request, with a fresh timestamp and nonce. */
  authorize(method: string, canonicalUrl: string, body: string): string
}

export interface SignerOptions {
  mchid: string
  serialNo: string
  privateKey: KeyObject
  /** Milliseconds since the epoch; injected so tests never patch globals. */
  clock?: () => number
  nonce?: () => string
}

export function createSigner(options: SignerOptions): Signer {
  const { mchid, serialNo, privateKey, clock = Date.now, nonce = randomNonce } = options
  if (!/^\d{1,32}$/.test(mchid)) throw new WechatPayError('INVALID_CONFIG', 'mchid must be 1..32 digits')
  if (!/^[0-9A-Fa-f]{1,64}$/.test(serialNo)) {
    throw new WechatPayError(
      'INVALID_CONFIG',
      'merchant serial_no must be the hex serial of the API certificate',
    )
  }
  assertRsaPrivateKey(privateKey)
  const signMessage = (message: string) => sign('sha256', Buffer.from(message), privateKey).toString('base64')
  return {
    mchid,
    serialNo,
    sign: signMessage,
    authorize(method, canonicalUrl, body) {
      const timestamp = String(Math.floor(clock() / 1000))
      const nonceStr = nonce()
      const signature = signMessage(requestMessage(method, canonicalUrl, timestamp, nonceStr, body))
      return authorizationHeader({ mchid, nonce: nonceStr, signature, timestamp, serialNo })
    },
  }
}

const PEM_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY']

/**
 * Turns the merchant API private key PEM into a KeyObject: PKCS#8 (`BEGIN PRIVATE KEY`, as WeChat
 * issues it) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Anything else fails here, at construction, not on
 * the first request. The error never repeats the key text.
 */
export function loadPrivateKey(pem: string): KeyObject {
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(pem)?.[1]
  if (!label || !PEM_LABELS.includes(label)) {
    throw new WechatPayError(
      'INVALID_KEY',
      // Logged as is: no PEM armor words (they trip key-material scanning), the label only described.
      `merchant private key must be an RSA key in PEM, PKCS#8 or PKCS#1, got ${label ? `a PEM block labelled ${label.toLowerCase()}` : 'no PEM block'}`,
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (cause) {
    throw new WechatPayError('INVALID_KEY', 'merchant private key PEM could not be parsed', { cause })
  }
  assertRsaPrivateKey(key)
  return key
}

function assertRsaPrivateKey(key: KeyObject) {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new WechatPayError('INVALID_KEY', 'merchant private key must be an RSA private key')
  }
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new WechatPayError('INVALID_KEY', 'merchant private key must be RSA-2048 or longer')
  }
}

const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const NONCE_LENGTH = 32

/** 32 characters of [0-9A-Za-z] from the CSPRNG, unbiased (bytes >= 248 are rejected, 248 = 4 * 62). */
export function randomNonce(): string {
  let nonce = ''
  while (nonce.length < NONCE_LENGTH) {
    for (const byte of randomBytes(NONCE_LENGTH + 8)) {
      if (byte < 248 && nonce.length < NONCE_LENGTH) nonce += NONCE_ALPHABET[byte % 62]
    }
  }
  return nonce
}
