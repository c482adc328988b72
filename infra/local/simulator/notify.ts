/**
 * WeChat Pay's side of a notification: the envelope, its resource encrypted with the merchant's
 * APIv3 key (AEAD_AES_256_GCM), the body signed with WeChat's key, the Wechatpay-* headers, and the
 * POST to the merchant's notification URL. It is the independent side our notification code is
 * tested against, so it shares no code with functions/.
 * https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay4_2.shtml (callback decryption)
 */
import { createCipheriv, type KeyObject, randomBytes, randomInt, randomUUID, sign } from 'node:crypto'

/** WeChat's signing key: a public key id (`PUB_KEY_ID_...`) or platform certificate serial, and the private half. */
export interface NotifierKey {
  serial: string
  privateKey: KeyObject
}

/**
 * Deliberate mistakes, for the tests and the fault matrix. The first four change the resource and
 * are then signed correctly (only the AEAD tag can catch them); the others spoil the signature headers.
 */
export type NotificationFault =
  | 'tampered_ciphertext'
  | 'tampered_tag'
  | 'wrong_nonce'
  | 'wrong_associated_data'
  | 'bad_signature'
  | 'signtest'
  | 'skewed_timestamp'
  | 'unknown_serial'
  | 'unsigned'

export interface NotificationOptions {
  eventType: string
  /** The plaintext resource, encrypted as its JSON. */
  resource: unknown
  /** The merchant's APIv3 key, 32 characters. */
  apiv3Key: string
  key: NotifierKey
  summary?: string
  /** Epoch ms; default Date.now(). */
  now?: number
  associatedData?: string
  fault?: NotificationFault
}

export interface SignedNotification {
  id: string
  headers: Record<string, string>
  body: string
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const randomText = (length: number, alphabet = ALPHANUMERIC) =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')

/** `yyyy-MM-ddTHH:mm:ss+08:00`, or `yyyyMMddHHmmss` compact: China time, as WeChat writes both. */
export function chinaTime(epochMs: number, compact = false): string {
  const iso = new Date(epochMs + 8 * 3_600_000).toISOString().slice(0, 19)
  return compact ? iso.replace(/[-T:]/g, '') : `${iso}+08:00`
}

/** The decrypted fields of a Pay Score authorization event, as WeChat sends them in partner mode. */
export function authorizationResource(
  kind: 'open' | 'close',
  fields: { authorization_code: string; openid?: string; sub_openid?: string; [name: string]: unknown },
  now = Date.now(),
): Record<string, unknown> {
  return {
    appid: 'wxd678efh567hg6787',
    mchid: '1230000109',
    sub_appid: 'wxd678efh567hg6786',
    sub_mchid: '1900000109',
    service_id: '500001',
    user_service_status: kind === 'open' ? 'USER_OPEN_SERVICE' : 'USER_CLOSE_SERVICE',
    openorclose_time: chinaTime(now, true),
    ...fields,
  }
}

/** A notification exactly as WeChat sends it (or with the one `fault` asked for). */
export function buildNotification(options: NotificationOptions): SignedNotification {
  const { fault, key } = options
  const now = options.now ?? Date.now()
  const nonce = randomText(12)
  const associatedData = options.associatedData ?? 'payscore'
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(options.apiv3Key, 'ascii'), Buffer.from(nonce))
  cipher.setAAD(Buffer.from(associatedData))
  const sealed = Buffer.concat([cipher.update(JSON.stringify(options.resource)), cipher.final()])
  const tag = cipher.getAuthTag()
  if (fault === 'tampered_ciphertext') sealed[0]! ^= 1
  if (fault === 'tampered_tag') tag[0]! ^= 1
  const id = randomUUID()
  const body = JSON.stringify({
    id,
    create_time: chinaTime(now),
    resource_type: 'encrypt-resource',
    event_type: options.eventType,
    summary:
      options.summary ?? (options.eventType.endsWith('CLOSE_SERVICE') ? '用户解除授权' : '用户授权成功'),
    resource: {
      original_type: 'payscore',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: Buffer.concat([sealed, tag]).toString('base64'),
      associated_data: fault === 'wrong_associated_data' ? `${associatedData}x` : associatedData,
      nonce: fault === 'wrong_nonce' ? randomText(12) : nonce,
    },
  })
  return { id, headers: signNotification(body, key, now, fault), body }
}

/** WeChat's headers for `body`: `TIMESTAMP\nNONCE\nBODY\n` signed SHA256withRSA, Request-ID, Content-Type. */
export function signNotification(
  body: string,
  key: NotifierKey,
  now = Date.now(),
  fault?: NotificationFault,
): Record<string, string> {
  const common = { 'Content-Type': 'application/json', 'Request-ID': requestId() }
  if (fault === 'unsigned') return common
  const timestamp = String(Math.floor(now / 1000) - (fault === 'skewed_timestamp' ? 301 : 0))
  const nonce = randomText(32)
  let signature = sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), key.privateKey).toString(
    'base64',
  )
  if (fault === 'bad_signature') signature = randomBytes(256).toString('base64')
  if (fault === 'signtest') signature = `WECHATPAY/SIGNTEST/${signature}`
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signature,
    'Wechatpay-Serial': fault === 'unknown_serial' ? otherSerial(key.serial) : key.serial,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
    ...common,
  }
}

/** Shaped like WeChat's Request-ID. */
const requestId = () => `08${randomBytes(19).toString('hex').toUpperCase()}-0`

/** A serial of the same shape that no merchant holds a key for. */
function otherSerial(serial: string): string {
  const prefix = serial.startsWith('PUB_KEY_ID_') ? 'PUB_KEY_ID_' : ''
  const candidate =
    prefix + randomText(serial.length - prefix.length, prefix ? '0123456789' : '0123456789ABCDEF')
  return candidate === serial ? otherSerial(serial) : candidate
}

/** What WeChat sees: the status (null when nothing came back in time) and body; 200 or 204 is success. */
export interface NotificationAnswer {
  status: number | null
  body: string
  accepted: boolean
  elapsedMs: number
}

/** POSTs `notification` to `url` and waits at most `timeoutMs` (WeChat's limit is 5 s) for the answer. */
export async function sendNotification(
  url: string,
  notification: SignedNotification,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<NotificationAnswer> {
  const started = performance.now()
  const elapsedMs = () => Math.round(performance.now() - started)
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: notification.headers,
      body: notification.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    })
    const body = await response.text()
    const accepted = response.status === 200 || response.status === 204
    return { status: response.status, body, accepted, elapsedMs: elapsedMs() }
  } catch (error) {
    return { status: null, body: String(error), accepted: false, elapsedMs: elapsedMs() }
  }
}
