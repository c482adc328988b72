import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** A service provider (partner) whose API key the simulator trusts for request signatures. */
export interface SimulatorMerchant {
  mchid: string
  /** Serial of the merchant API certificate, as sent in `serial_no` (compared case-insensitively). */
  serialNo: string
  publicKey: KeyObject
}

export interface SimulatorOptions {
  merchants: SimulatorMerchant[]
  /** public-key mode: WeChat Pay public key id (PUB_KEY_ID_ + digits) and the private half the simulator signs with */
  wechatpayPublicKey?: { id: string; privateKey: KeyObject }
  /** certificate mode: platform certificate serial (upper-case hex) and its private key */
  platformCertificate?: { serialNo: string; privateKey: KeyObject }
  /** ms since epoch, default Date.now */
  clock?: () => number
  /** default 127.0.0.1 */
  host?: string
  /** default 0 */
  port?: number
  /** delay used by the 'slow' fault, default 10_000 */
  slowDelayMs?: number
}

export interface RecordedRequest {
  method: string
  /** raw path+query exactly as received */
  url: string
  headers: IncomingHttpHeaders
  body: string
  receivedAt: number
}

export type AuthorizationState = 'UNBINDUSER' | 'AVAILABLE' | 'UNAVAILABLE'

export type Fault =
  | 'rate_limited'
  | 'server_error'
  | 'unavailable'
  | 'slow'
  | 'reset'
  | 'unsigned'
  | 'bad_signature'
  | 'signtest'
  | 'skewed_timestamp'
  | 'unknown_serial'
  | 'unfinished_orders'
  | 'order_not_exist'
  | 'no_auth'
  | 'sign_error'
  /** processes the request, then answers with `patch` applied to its JSON (undefined deletes a field), signed */
  | 'altered_answer'

export type Endpoint = 'terminate' | 'query'

export interface FaultRule {
  fault: Fault
  /** default 'terminate' */
  endpoint?: Endpoint | 'any'
  /** only this authorization code (percent-decoded) */
  code?: string
  /** default: forever */
  times?: number
  /** for 'altered_answer': fields to set in the JSON answer; a field set to undefined is removed */
  patch?: Record<string, unknown>
}

export interface WechatPaySimulator {
  /** e.g. http://127.0.0.1:54321 */
  url: string
  /** everything received, in order */
  requests: RecordedRequest[]
  /** programmatic faults; rules consumed in order, `times` counts down */
  inject(rule: FaultRule): void
  clearFaults(): void
  state(code: string): AuthorizationState | undefined
  setState(code: string, state: AuthorizationState): void
  /** Key rotation: from now on trust this merchant's key (and serial) instead of the one it had. */
  trustMerchant(merchant: SimulatorMerchant): void
  /** WeChat's own key rotation: from now on sign answers with these keys (the others are kept). */
  rotateKeys(keys: Pick<SimulatorOptions, 'wechatpayPublicKey' | 'platformCertificate'>): void
  /** forget requests, faults, states */
  reset(): void
  /** closes the server AND all open sockets, and cancels pending 'slow' answers */
  close(): Promise<void>
}

/** An answer before signing: the body is final text so the signature covers exactly what is sent. */
export interface Reply {
  status: number
  body: string
}
