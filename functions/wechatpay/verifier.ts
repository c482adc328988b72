import { type KeyObject, verify } from 'node:crypto'
import { WechatPayError } from './errors.ts'
import {
  decodeSignature,
  responseMessage,
  SIGNATURE_HEADER_FORMATS,
  SIGNATURE_HEADERS,
  SIGNTEST_PREFIX,
} from './message.ts'
import { containerNonces, type NonceRecord } from './replay.ts'
import { certificateEntry, publicKeyEntry, type TrustedKey } from './trusted-keys.ts'

/** Largest accepted distance between WeChat's Wechatpay-Timestamp and our clock; exactly 300 s passes. */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** What a response needs for verification: fetch `Headers` fits. */
export interface HeaderSource {
  get(name: string): string | null
}

export interface VerifiedResponse {
  serial: string
  timestamp: number
  /** The answer's nonce, which the replay check keeps once the answer is remembered. */
  nonce: string
}

/** Verifies WeChat Pay's signature on 2xx responses, picking the key by `Wechatpay-Serial`. */
export interface Verifier {
  /** Every serial this verifier accepts: the public key id and/or platform certificate serials. */
  readonly serials: readonly string[]
  /** The WeChat Pay public key id, sent as the request's `Wechatpay-Serial` when configured. */
  readonly publicKeyId: string | undefined
  /**
   * Verifies, and remembers the nonce at once (a replay of it is then refused), unless `remember`
   * is false: a notification is remembered only once it was passed on (see `remember`).
   */
  verify(headers: HeaderSource, body: string, options?: { remember?: boolean }): VerifiedResponse
  /** Keeps a verified message's nonce while its timestamp would still pass the clock check. */
  remember(verified: VerifiedResponse): void
}

export interface VerifierOptions {
  /** WeChat Pay public key mode: id `PUB_KEY_ID_...` and the SPKI PEM or KeyObject. */
  publicKey?: { id: string; key: KeyObject | string }
  /** Platform certificate mode: X.509 PEMs; the serial is read from each certificate. */
  platformCertificates?: readonly string[]
  /** Milliseconds since the epoch. */
  clock?: () => number
  /** Nonces of verified answers, refused when seen again; by default the container's shared record. */
  nonces?: NonceRecord
}

export function createVerifier(options: VerifierOptions): Verifier {
  const { clock = Date.now, nonces = containerNonces } = options
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
    keys.set(id, publicKeyEntry(options.publicKey.key))
  }
  for (const [index, pem] of (options.platformCertificates ?? []).entries()) {
    const { serial, ...entry } = certificateEntry(pem, index)
    keys.set(serial, entry)
  }
  if (keys.size === 0) {
    throw new WechatPayError(
      'INVALID_CONFIG',
      'a WeChat Pay public key or at least one platform certificate is required',
    )
  }

  /** Kept exactly while the timestamp passes the clock check: up to floor(now / 1000) = timestamp + 300. */
  function remember({ nonce, timestamp }: VerifiedResponse) {
    nonces.record(nonce, (timestamp + MAX_CLOCK_SKEW_SECONDS + 1) * 1000, clock())
  }

  return {
    serials: [...keys.keys()],
    publicKeyId: options.publicKey?.id,
    remember,
    verify(headers, body, how = {}) {
      // The order is the official SDKs' (headers, clock, serial, signature), each header checked
      // against its format first (message.ts), and the replay check last, on a verified answer.
      const { timestamp: timestampText, nonce, signature, serial: serialText } = readHeaders(headers)
      const now = clock()
      const timestamp = Number(timestampText)
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
      const bytes = decodeSignature(signature, trusted.length)
      if (!bytes) {
        throw new WechatPayError(
          'BAD_SIGNATURE',
          `Wechatpay-Signature is not canonical base64 of ${trusted.length} bytes (key ${serial})`,
        )
      }
      const message = Buffer.from(responseMessage(timestampText, nonce, body))
      if (!verify('sha256', message, trusted.key, bytes)) {
        throw new WechatPayError('BAD_SIGNATURE', `response signature does not verify with key ${serial}`)
      }
      // Only a verified answer is recorded: one that failed may be verified again after a key refresh.
      if (nonces.seen(nonce, now)) {
        throw new WechatPayError('REPLAYED_NONCE', 'Wechatpay-Nonce was already seen in a verified answer')
      }
      const verified = { serial, timestamp, nonce }
      if (how.remember ?? true) remember(verified)
      return verified
    },
  }
}

/** The four headers, each present once and well-formed, else MISSING_HEADERS or MALFORMED_HEADERS. */
function readHeaders(headers: HeaderSource) {
  const values = SIGNATURE_HEADERS.map((name) => headers.get(name) ?? '')
  const missing = SIGNATURE_HEADERS.filter((_, index) => values[index] === '')
  if (missing.length > 0) {
    throw new WechatPayError('MISSING_HEADERS', `response is missing ${missing.join(', ')}`)
  }
  const malformed = SIGNATURE_HEADERS.filter(
    (name, index) => !SIGNATURE_HEADER_FORMATS[name].test(values[index]!),
  )
  if (malformed.length > 0) {
    throw new WechatPayError(
      'MALFORMED_HEADERS',
      `response has ${malformed.join(', ')} repeated or ill-formed`,
    )
  }
  const [timestamp = '', nonce = '', signature = '', serial = ''] = values
  return { timestamp, nonce, signature, serial }
}
