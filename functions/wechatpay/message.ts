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
