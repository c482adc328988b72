/**
 * The APIv3 signing formats, as pure functions with no I/O.
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_0.shtml (request signature)
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_1.shtml (response signature)
 */

/** The only Authorization scheme APIv3 knows. */
export const AUTHORIZATION_SCHEMA = 'WECHATPAY2-SHA256-RSA2048'

/** Signatures beginning with this are WeChat's deliberate probes: they must fail verification. */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/'

/**
 * `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`: every line ends in `\n`, the last included, so a
 * GET (empty body) ends in `\n\n` and a body that itself ends in `\n` gets one more.
 */
export function requestMessage(
  method: string,
  canonicalUrl: string,
  timestamp: string,
  nonce: string,
  body: string,
) {
  return `${method}\n${canonicalUrl}\n${timestamp}\n${nonce}\n${body}\n`
}

/** `TIMESTAMP\nNONCE\nBODY\n` over the raw body; a 204 verifies against `TIMESTAMP\nNONCE\n\n`. */
export function responseMessage(timestamp: string, nonce: string, body: string) {
  return `${timestamp}\n${nonce}\n${body}\n`
}

export interface AuthorizationFields {
  mchid: string
  nonce: string
  signature: string
  timestamp: string
  serialNo: string
}

/** The `Authorization` request header, items in the order the official SDKs write them. */
export function authorizationHeader(fields: AuthorizationFields) {
  const { mchid, nonce, signature, timestamp, serialNo } = fields
  return `${AUTHORIZATION_SCHEMA} mchid="${mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${serialNo}"`
}

const ITEM = /^\s*([a-z_]+)="([^"]*)"\s*$/

/**
 * Reads an `Authorization` header back into its fields (item order is free). Returns undefined for
 * anything that is not exactly the five items of the APIv3 schema.
 */
export function parseAuthorizationHeader(header: string): AuthorizationFields | undefined {
  if (!header.startsWith(`${AUTHORIZATION_SCHEMA} `)) return undefined
  const items = new Map<string, string>()
  for (const part of header.slice(AUTHORIZATION_SCHEMA.length + 1).split(',')) {
    const match = ITEM.exec(part)
    if (!match || items.has(match[1]!)) return undefined
    items.set(match[1]!, match[2]!)
  }
  const fields = {
    mchid: items.get('mchid'),
    nonce: items.get('nonce_str'),
    signature: items.get('signature'),
    timestamp: items.get('timestamp'),
    serialNo: items.get('serial_no'),
  }
  if (items.size !== 5 || Object.values(fields).some((value) => value === undefined)) return undefined
  return fields as AuthorizationFields
}

/** The response headers a signature covers or names, as WeChat writes them. */
export const SIGNATURE_HEADERS = [
  'Wechatpay-Timestamp',
  'Wechatpay-Nonce',
  'Wechatpay-Signature',
  'Wechatpay-Serial',
] as const

export type SignatureHeader = (typeof SIGNATURE_HEADERS)[number]

/**
 * What each signature header may hold. No rule admits `,` or a space, so a header sent twice, which
 * fetch joins as `a, b` and API Gateway as `a,b`, never passes: each header counts once or not at all.
 * - Timestamp: epoch seconds, 1 to 12 digits (no sign, point, exponent or hex).
 * - Nonce: 1 to 64 of `[0-9A-Za-z_-]` (WeChat sends 32 of `[0-9A-Za-z]`): it goes into the signed
 *   message between newlines and is remembered against replay, so nothing else is needed.
 * - Signature: 1 to 1024 base64 characters, `=` included (RSA-4096 needs 684). Whether it is the
 *   canonical base64 of exactly the key's length is checked once the serial has picked the key
 *   (`decodeSignature`). WeChat's `WECHATPAY/SIGNTEST/` probes fit, and fail later as probes.
 * - Serial: `PUB_KEY_ID_` and 1 to 64 digits, or a certificate serial of 1 to 64 hex digits.
 */
export const SIGNATURE_HEADER_FORMATS: Readonly<Record<SignatureHeader, RegExp>> = {
  'Wechatpay-Timestamp': /^\d{1,12}$/,
  'Wechatpay-Nonce': /^[0-9A-Za-z_-]{1,64}$/,
  'Wechatpay-Signature': /^[0-9A-Za-z+/=]{1,1024}$/,
  'Wechatpay-Serial': /^(?:PUB_KEY_ID_\d{1,64}|[0-9A-Fa-f]{1,64})$/,
}

/**
 * The signature's bytes, when it is canonical base64 (exactly what encoding those bytes gives back:
 * padded, no unused bits set, nothing after the padding) of exactly `length` bytes, the key's
 * modulus length; otherwise undefined. Node's decoder alone would ignore junk after the padding.
 */
export function decodeSignature(signature: string, length: number): Buffer | undefined {
  const bytes = Buffer.from(signature, 'base64')
  return bytes.length === length && bytes.toString('base64') === signature ? bytes : undefined
}
