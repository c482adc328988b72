/**
 * Signs answers like WeChat Pay: `TIMESTAMP\nNONCE\nBODY\n` with SHA256withRSA, on every answer
 * including errors, and can sign them wrongly on purpose for the signature faults.
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_1.shtml
 */
import { type KeyObject, randomBytes, randomInt, sign } from 'node:crypto'
import type { Fault, SimulatorOptions } from './types.ts'

/** WeChat's deliberate probe signatures start with this; clients must reject them. */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/'

/** How far back the `skewed_timestamp` fault dates an answer: twice the 5-minute tolerance. */
export const SKEWED_TIMESTAMP_SECONDS = 600

const PUBLIC_KEY_ID_PREFIX = 'PUB_KEY_ID_'
const NONCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export interface ResponseKey {
  serial: string
  privateKey: KeyObject
}

/**
 * The request's `Wechatpay-Serial` asks for public-key signing; without it a merchant still on
 * platform certificates gets certificate signing, and one with only a public key gets that.
 */
export function pickResponseKey(options: SimulatorOptions, requestSerial: string | undefined): ResponseKey {
  const { wechatpayPublicKey: publicKey, platformCertificate: certificate } = options
  if (publicKey && (requestSerial === publicKey.id || !certificate)) {
    return { serial: publicKey.id, privateKey: publicKey.privateKey }
  }
  if (certificate) return { serial: certificate.serialNo, privateKey: certificate.privateKey }
  throw new Error('simulator has neither wechatpayPublicKey nor platformCertificate')
}

export function responseSignatureMessage(timestamp: string, nonce: string, body: string) {
  return `${timestamp}\n${nonce}\n${body}\n`
}

function randomNonce() {
  return Array.from({ length: 32 }, () => NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)]).join('')
}

/** A serial of the same shape as the real one, which no client can have a key for. */
function unknownSerial(serial: string): string {
  const candidate = serial.startsWith(PUBLIC_KEY_ID_PREFIX)
    ? PUBLIC_KEY_ID_PREFIX +
      Array.from({ length: serial.length - PUBLIC_KEY_ID_PREFIX.length }, () => randomInt(10)).join('')
    : randomBytes(20).toString('hex').toUpperCase()
  return candidate === serial ? unknownSerial(serial) : candidate
}

/** The four `Wechatpay-*` headers for this body; `{}` for the `unsigned` fault. */
export function signatureHeaders(
  body: string,
  key: ResponseKey,
  nowMs: number,
  fault?: Fault,
): Record<string, string> {
  if (fault === 'unsigned') return {}
  const skew = fault === 'skewed_timestamp' ? SKEWED_TIMESTAMP_SECONDS : 0
  const timestamp = String(Math.floor(nowMs / 1000) - skew)
  const nonce = randomNonce()
  const message = responseSignatureMessage(timestamp, nonce, body)
  let signature = sign('sha256', Buffer.from(message), key.privateKey).toString('base64')
  if (fault === 'bad_signature') signature = randomBytes(256).toString('base64')
  if (fault === 'signtest') signature = SIGNTEST_PREFIX + randomBytes(192).toString('base64')
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': fault === 'unknown_serial' ? unknownSerial(key.serial) : key.serial,
  }
}
