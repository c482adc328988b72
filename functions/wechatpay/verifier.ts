import { createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto'
import { WechatPayError } from './errors.ts'
import { responseMessage, SIGNTEST_PREFIX } from './message.ts'

/** Largest accepted distance between WeChat's Wechatpay-Timestamp and our clock; exactly 300 s passes. */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** What a response needs for verification: fetch `Headers` fits. */
export interface HeaderSource {
  get(name: string): string | null
}

export interface VerifiedResponse {
  serial: string
  timestamp: number
}

/** Verifies WeChat Pay's signature on 2xx responses, picking the key by `Wechatpay-Serial`. */
export interface Verifier {
  /** Every serial this verifier accepts: the public key id and/or platform certificate serials. */
  readonly serials: readonly string[]
  /** The WeChat Pay public key id, sent as the request's `Wechatpay-Serial` when configured. */
  readonly publicKeyId: string | undefined
  verify(headers: HeaderSource, body: string): VerifiedResponse
}

export interface VerifierOptions {
  /** WeChat Pay public key mode: id `PUB_KEY_ID_...` and the SPKI PEM or KeyObject. */
  publicKey?: { id: string; key: KeyObject | string }
  /** Platform certificate mode: X.509 PEMs; the serial is read from each certificate. */
  platformCertificates?: readonly string[]
  /** Milliseconds since the epoch. */
  clock?: () => number
}

interface TrustedKey {
  key: KeyObject
  /** Certificates are only trusted within their validity period. */
  validFrom?: number
  validTo?: number
}

export function createVerifier(options: VerifierOptions): Verifier {
  const { clock = Date.now } = options
  const keys = new Map<string, TrustedKey>()
  if (options.publicKey) {
    const { id } = options.publicKey
    if (!/^PUB_KEY_ID_\d+$/.test(id)) {
      throw new WechatPayError(
        'INVALID_CONFIG',
        'wechatpay_public_key_id must be PUB_KEY_ID_ followed by digits',
        { field: 'wechatpay_public_key_id' },
      )
    }
    keys.set(id, { key: loadPublicKey(options.publicKey.key) })
  }
  for (const [index, pem] of (options.platformCertificates ?? []).entries()) {
    const certificate = parseCertificate(pem, index)
    keys.set(certificate.serialNumber.toUpperCase(), {
      key: rsaKey(certificate.publicKey, `platform_certificates[${index}]`),
      validFrom: Date.parse(certificate.validFrom),
      validTo: Date.parse(certificate.validTo),
    })
  }
  if (keys.size === 0) {
    throw new WechatPayError(
      'INVALID_CONFIG',
      'a WeChat Pay public key or at least one platform certificate is required',
    )
  }

  return {
    serials: [...keys.keys()],
    publicKeyId: options.publicKey?.id,
    verify(headers, body) {
      // The order is the official SDKs': headers present, clock, serial known, signature.
      const timestampText = headers.get('wechatpay-timestamp')
      const nonce = headers.get('wechatpay-nonce')
      const signature = headers.get('wechatpay-signature')
      const serialText = headers.get('wechatpay-serial')
      if (!timestampText || !nonce || !signature || !serialText) {
        const missing = [
          ['Wechatpay-Timestamp', timestampText],
          ['Wechatpay-Nonce', nonce],
          ['Wechatpay-Signature', signature],
          ['Wechatpay-Serial', serialText],
        ].flatMap(([name, value]) => (value ? [] : [name]))
        throw new WechatPayError('MISSING_HEADERS', `response is missing ${missing.join(', ')}`)
      }
      const now = clock()
      const timestamp = /^\d{1,12}$/.test(timestampText) ? Number(timestampText) : Number.NaN
      if (!(Math.abs(Math.floor(now / 1000) - timestamp) <= MAX_CLOCK_SKEW_SECONDS)) {
        throw new WechatPayError(
          'TIMESTAMP_SKEW',
          `Wechatpay-Timestamp is not within ${MAX_CLOCK_SKEW_SECONDS} s of our clock`,
        )
      }
      const serial = /^PUB_KEY_ID_/.test(serialText) ? serialText : serialText.toUpperCase()
      const trusted = keys.get(serial)
      if (!trusted)
        throw new WechatPayError('UNKNOWN_SERIAL', `Wechatpay-Serial ${serialText} is not a known key`)
      if (
        (trusted.validFrom !== undefined && now < trusted.validFrom) ||
        (trusted.validTo !== undefined && now > trusted.validTo)
      ) {
        throw new WechatPayError(
          'UNKNOWN_SERIAL',
          `platform certificate ${serial} is outside its validity period`,
        )
      }
      if (signature.startsWith(SIGNTEST_PREFIX)) {
        throw new WechatPayError('SIGNTEST_PROBE', 'response carries a WECHATPAY/SIGNTEST/ probe signature')
      }
      const message = Buffer.from(responseMessage(timestampText, nonce, body))
      if (!verify('sha256', message, trusted.key, Buffer.from(signature, 'base64'))) {
        throw new WechatPayError('BAD_SIGNATURE', `response signature does not verify with key ${serial}`)
      }
      return { serial, timestamp }
    },
  }
}

function loadPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return rsaKey(key, 'wechatpay_public_key')
  if (!key.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new WechatPayError('INVALID_KEY', 'wechatpay_public_key must be a PEM "BEGIN PUBLIC KEY" block', {
      field: 'wechatpay_public_key',
    })
  }
  try {
    return rsaKey(createPublicKey(key), 'wechatpay_public_key')
  } catch (cause) {
    if (cause instanceof WechatPayError) throw cause
    throw new WechatPayError('INVALID_KEY', 'wechatpay_public_key PEM could not be parsed', {
      field: 'wechatpay_public_key',
      cause,
    })
  }
}

function parseCertificate(pem: string, index: number): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (cause) {
    throw new WechatPayError(
      'INVALID_KEY',
      `platform_certificates[${index}] is not an X.509 PEM certificate`,
      { cause },
    )
  }
}

function rsaKey(key: KeyObject, field: string): KeyObject {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') {
    throw new WechatPayError('INVALID_KEY', `${field} must be an RSA public key`, {
      field: field.replace(/\[\d+\]$/, ''),
    })
  }
  return key
}
