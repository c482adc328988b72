/**
 * The tiny WeChat Pay client the simulator tests use: signs like the APIv3 docs say and builds the
 * eight Pay Score requests from the documented table, independently of functions/ and of the
 * simulator's own route table (which is what these tests check).
 */
import { type KeyObject, randomBytes, sign, verify, X509Certificate } from 'node:crypto'
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http'
import type { TestContext } from 'node:test'
import {
  type Endpoint,
  type Mode,
  type SimulatorOptions,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from '../../infra/local/wechatpay-simulator.ts'
import { generateRsaKeyPair, loadPlatformCertificate } from '../helpers/keys.ts'

// One merchant, a WeChat Pay public key and the test-only platform certificate, and a frozen
// simulator clock so timestamp boundaries are exact.
export const NOW_MS = Date.UTC(2026, 0, 15, 4, 0, 0, 500)
export const NOW_S = Math.floor(NOW_MS / 1000)
/** NOW_MS as WeChat writes it */
export const NOW_WECHAT = '2026-01-15T12:00:00+08:00'
export const MCHID = '1900000001'
export const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'
export const PUBLIC_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000'
export const merchant = generateRsaKeyPair()
export const wechatpay = generateRsaKeyPair()
export const platform = loadPlatformCertificate()
export const platformPublicKey = new X509Certificate(platform.certificatePem).publicKey

export const SERVICE_ID = '500001'
export const SUB_MCHID = '1900000109'
export const REASON = '用户申请解除授权'
/** WeChat's documentation sample, also the simulator's default */
export const APPID = 'wxd678efh567hg6787'
export const SUB_APPID = 'wx8888888888888888'

export async function setUp(t: TestContext, overrides: Partial<SimulatorOptions> = {}) {
  const sim = await startWechatPaySimulator({
    merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.publicKey }],
    wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: wechatpay.privateKey },
    platformCertificate: { serialNo: platform.serialNo, privateKey: platform.privateKey },
    clock: () => NOW_MS,
    ...overrides,
  })
  t.after(() => sim.close())
  return sim
}

export interface CallOptions {
  method?: 'GET' | 'POST'
  body?: string
  timestamp?: number
  mchid?: string
  serialNo?: string
  key?: KeyObject
  /** extra headers; `Wechatpay-Serial` defaults to the public key id, '' leaves it out */
  headers?: Record<string, string>
  tamper?: (message: string) => string
  signal?: AbortSignal
}

export function signedHeaders(path: string, options: CallOptions): Record<string, string> {
  const method = options.method ?? 'POST'
  const body = options.body ?? ''
  const timestamp = String(options.timestamp ?? NOW_S)
  const nonce = randomBytes(16).toString('hex').toUpperCase()
  const message = (options.tamper ?? ((m) => m))(`${method}\n${path}\n${timestamp}\n${nonce}\n${body}\n`)
  const signature = sign('sha256', Buffer.from(message), options.key ?? merchant.privateKey).toString(
    'base64',
  )
  const items = `mchid="${options.mchid ?? MCHID}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${options.serialNo ?? MERCHANT_SERIAL}"`
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'simulator-test/1.0 (node)',
    Authorization: `WECHATPAY2-SHA256-RSA2048 ${items}`,
    'Wechatpay-Serial': PUBLIC_KEY_ID,
    ...(method === 'POST' && { 'Content-Type': 'application/json' }),
    ...options.headers,
  }
  if (headers['Wechatpay-Serial'] === '') delete headers['Wechatpay-Serial']
  return headers
}

export interface Answer {
  status: number
  headers: Headers
  body: string
}

export async function call(
  sim: WechatPaySimulator,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const method = options.method ?? 'POST'
  const response = await fetch(sim.url + path, {
    method,
    headers: signedHeaders(path, options),
    ...(method === 'POST' && { body: options.body ?? '' }),
    ...(options.signal && { signal: options.signal }),
  })
  return { status: response.status, headers: response.headers, body: await response.text() }
}

/** `TIMESTAMP\nNONCE\nBODY\n` over the raw body, as a client must verify it. */
export function signatureVerifies(answer: Answer, publicKey: KeyObject = wechatpay.publicKey) {
  const [timestamp, nonce, signature] = ['timestamp', 'nonce', 'signature'].map((name) =>
    answer.headers.get(`wechatpay-${name}`),
  )
  if (!timestamp || !nonce || !signature) return false
  const message = Buffer.from(`${timestamp}\n${nonce}\n${answer.body}\n`)
  return verify('sha256', message, publicKey, Buffer.from(signature, 'base64'))
}

export function errorCode(answer: Answer) {
  return (JSON.parse(answer.body) as { code: string }).code
}

/**
 * node:http sends only the headers it is given (fetch always adds Accept and User-Agent) and the
 * path exactly as given (fetch normalizes `..`).
 */
export function rawPost(sim: WechatPaySimulator, path: string, headers: OutgoingHttpHeaders, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const options = { method: 'POST', path, headers, agent: false }
    const request = httpRequest(sim.url, options, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
    })
    request.on('error', reject)
    request.end(body)
  })
}

/** How a test names the authorization; appid and sub_appid default to APPID and SUB_APPID. */
export type Ref =
  | { code: string }
  | { openid: string; appid?: string; subAppid?: string }
  | { subOpenid: string; appid?: string; subAppid?: string }

export interface WechatRequest {
  method: 'GET' | 'POST'
  path: string
  /** the body or query fields, in the documented order */
  fields: Record<string, unknown>
}

/** The request of WeChat's table for this mode, endpoint and name (payscore-permissions.md 1). */
export function wechatRequest(mode: Mode, endpoint: Endpoint, ref: Ref): WechatRequest {
  const root = mode === 'partner' ? '/v3/payscore/partner/permissions' : '/v3/payscore/permissions'
  const tail = endpoint === 'terminate' ? '/terminate' : ''
  const method = endpoint === 'terminate' ? 'POST' : 'GET'
  const reason = endpoint === 'terminate' ? { reason: REASON } : {}
  const subMchid = mode === 'partner' ? { sub_mchid: SUB_MCHID } : {}
  if ('code' in ref) {
    const path = `${root}/authorization-code/${encodeURIComponent(ref.code)}${tail}`
    return { method, path, fields: { service_id: SERVICE_ID, ...subMchid, ...reason } }
  }
  const appid = ref.appid ?? APPID
  if (mode === 'direct') {
    if (!('openid' in ref)) throw new TypeError('direct mode has no sub_openid')
    const path = `${root}/openid/${encodeURIComponent(ref.openid)}${tail}`
    return { method, path, fields: { service_id: SERVICE_ID, appid, ...reason } }
  }
  const user =
    'openid' in ref
      ? { openid: ref.openid, ...(ref.subAppid && { sub_appid: ref.subAppid }) }
      : { sub_openid: ref.subOpenid, sub_appid: ref.subAppid ?? SUB_APPID }
  const path = endpoint === 'terminate' ? `${root}/terminate` : `${root}/search`
  return { method, path, fields: { service_id: SERVICE_ID, appid, ...subMchid, ...user, ...reason } }
}

/** Sends `request` with `patch` applied to its fields (undefined removes one), signed. */
export function send(
  sim: WechatPaySimulator,
  request: WechatRequest,
  patch: Record<string, unknown> = {},
  options: CallOptions = {},
) {
  const fields = { ...request.fields, ...patch }
  for (const [name, value] of Object.entries(patch)) if (value === undefined) delete fields[name]
  if (request.method === 'POST') {
    return call(sim, request.path, { body: JSON.stringify(fields), ...options })
  }
  const query = new URLSearchParams(fields as Record<string, string>).toString()
  return call(sim, `${request.path}?${query}`, { method: 'GET', ...options })
}

export const terminateBy = (sim: WechatPaySimulator, mode: Mode, ref: Ref, options?: CallOptions) =>
  send(sim, wechatRequest(mode, 'terminate', ref), {}, options)

export async function queryBy(sim: WechatPaySimulator, mode: Mode, ref: Ref) {
  const answer = await send(sim, wechatRequest(mode, 'query', ref))
  return {
    ...answer,
    json: answer.status === 200 ? (JSON.parse(answer.body) as Record<string, unknown>) : {},
  }
}
