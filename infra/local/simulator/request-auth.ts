/**
 * Checks a request the way WeChat's gateway does before any business logic: required headers, then
 * the `Authorization` signature. Written against node:crypto on purpose, independent of functions/,
 * so the simulator stays an oracle for our client rather than a mirror of it.
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_0.shtml
 */
import { verify } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { errorReply } from './replies.ts'
import type { Reply, SimulatorMerchant } from './types.ts'

const SCHEMA = 'WECHATPAY2-SHA256-RSA2048'
const ITEM = /^\s*([a-z_]+)="([^"]*)"\s*$/
const ITEM_NAMES = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'] as const
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const MALFORMED = `expected ${SCHEMA} followed by ${ITEM_NAMES.map((name) => `${name}="..."`).join(',')}`

/** WeChat rejects a timestamp more than five minutes from its clock; exactly 300 s still passes here. */
export const MAX_REQUEST_SKEW_SECONDS = 300

export interface IncomingRequest {
  method: string
  /** raw path+query exactly as received: the signature covers these bytes, not a normalized URL */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * WeChat answers INVALID_REQUEST when either header is absent, before looking at the signature, and
 * takes a body only as `Content-Type: application/json` (wechatpay-apiv3.md, "Other request headers").
 */
export function checkRequiredHeaders(headers: IncomingHttpHeaders, body: Buffer): Reply | undefined {
  for (const name of ['Accept', 'User-Agent']) {
    if (!headers[name.toLowerCase()]) {
      return errorReply(400, 'INVALID_REQUEST', `HTTP header缺少${name}`, {
        field: name,
        issue: `missing ${name} header`,
        location: 'header',
      })
    }
  }
  const type = headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (body.length > 0 && type !== 'application/json') {
    return errorReply(400, 'INVALID_REQUEST', 'Content-Type必须为application/json', {
      field: 'Content-Type',
      issue: 'a body must be sent as application/json',
      location: 'header',
    })
  }
  return undefined
}

type AuthorizationItems = Record<(typeof ITEM_NAMES)[number], string>

function parseAuthorization(header: string | undefined): AuthorizationItems | undefined {
  if (!header?.startsWith(`${SCHEMA} `)) return undefined
  const items = new Map<string, string>()
  for (const part of header.slice(SCHEMA.length + 1).split(',')) {
    const match = ITEM.exec(part)
    if (!match || items.has(match[1]!)) return undefined
    items.set(match[1]!, match[2]!)
  }
  if (items.size !== ITEM_NAMES.length || ITEM_NAMES.some((name) => !items.get(name))) return undefined
  return Object.fromEntries(items) as AuthorizationItems
}

/** The signed message, built from bytes so a body that is not valid UTF-8 is still covered exactly. */
export function requestSignatureMessage(request: IncomingRequest, timestamp: string, nonce: string) {
  return Buffer.concat([
    Buffer.from(`${request.method}\n${request.url}\n${timestamp}\n${nonce}\n`),
    request.body,
    Buffer.from('\n'),
  ])
}

function signError(field: string, issue: string): Reply {
  return errorReply(401, 'SIGN_ERROR', '签名错误', { field, issue, location: 'authorization' })
}

/**
 * Checks in a fixed order: format, merchant, serial, clock, signature; each with its own issue text.
 * Answers the merchant that signed (its mchid is the `mchid` of query answers), or the SIGN_ERROR.
 */
export function authenticate(
  request: IncomingRequest,
  merchants: readonly SimulatorMerchant[],
  nowMs: number,
): SimulatorMerchant | Reply {
  const items = parseAuthorization(request.headers.authorization)
  if (!items) return signError('authorization', MALFORMED)
  const merchant = merchants.find((candidate) => candidate.mchid === items.mchid)
  if (!merchant) return signError('mchid', `unknown mchid ${items.mchid}`)
  if (merchant.serialNo.toUpperCase() !== items.serial_no.toUpperCase()) {
    return signError('serial_no', `serial_no ${items.serial_no} is not the API certificate of ${items.mchid}`)
  }
  if (!/^\d{1,12}$/.test(items.timestamp)) return signError('timestamp', 'timestamp must be Unix seconds')
  if (Math.abs(Number(items.timestamp) - Math.floor(nowMs / 1000)) > MAX_REQUEST_SKEW_SECONDS) {
    return signError('timestamp', 'timestamp is more than 5 minutes from the server clock')
  }
  const message = requestSignatureMessage(request, items.timestamp, items.nonce_str)
  const signature = Buffer.from(items.signature, 'base64')
  if (!BASE64.test(items.signature) || !verify('sha256', message, merchant.publicKey, signature)) {
    return signError('signature', 'sign not match')
  }
  return merchant
}
