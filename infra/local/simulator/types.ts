import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * A merchant whose API key the simulator trusts for request signatures: a service provider on the
 * partner paths, the merchant itself on the direct paths (the path decides the mode, not the mchid).
 */
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
  /** the appid of authorizations first seen by their code (an openid's comes with it), default DEFAULT_APPID */
  appid?: string
  /**
   * Routes outside WeChat's API, by `METHOD /path` (e.g. `POST /_sandbox/notify`): the `npm start`
   * sandbox's controls. Answered unsigned and not recorded in `requests`; none unless given.
   */
  controlRoutes?: Record<string, ControlRoute>
}

/** A control route: the request's body in, the answer out; `simulator` is the one serving it. */
export type ControlRoute = (body: string, simulator: WechatPaySimulator) => Promise<Reply>

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
  /** processes the request, then drops the connection without an answer (acted on, never told) */
  | 'reset_after_processing'
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

/** Partner (service provider, `/v3/payscore/partner/...`) or direct merchant (`/v3/payscore/...`). */
export type Mode = 'partner' | 'direct'

/**
 * An authorization as a test names it: a string is an authorization code, or an openid / sub_openid
 * the simulator has already seen; an object names an openid or sub_openid that may be new (its
 * appid defaults to the simulator's `appid` option).
 */
export type AuthorizationName =
  | string
  | { openid: string; appid?: string; subAppid?: string }
  | { subOpenid: string; subAppid: string; appid?: string }

/** What the simulator knows about one authorization, however it was first named. */
export interface AuthorizationView {
  authorizationCode: string
  openid: string
  subOpenid: string | undefined
  appid: string
  subAppid: string | undefined
  state: AuthorizationState
}

export interface FaultRule {
  fault: Fault
  /** default 'terminate' */
  endpoint?: Endpoint | 'any'
  /** only requests naming this authorization code, openid or sub_openid (percent-decoded) */
  reference?: string
  /** the same as `reference` (its older name); give one or the other */
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
  /** the state of the authorization with this code, openid or sub_openid; undefined if never seen */
  state(reference: string): AuthorizationState | undefined
  /** everything known about it (its code, openid, appid...); undefined if never seen */
  authorization(reference: string): AuthorizationView | undefined
  /** sets the state, creating the authorization (as a request naming it would) if never seen */
  setState(name: AuthorizationName, state: AuthorizationState): void
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
