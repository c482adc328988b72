/**
 * Every failure the WeChat Pay client can report. One class, one code union: callers branch on
 * `code`, never on message text, and the original error is always kept as `cause`.
 */
export type WechatPayErrorCode =
  // configuration and input, detected before anything is sent
  | 'INVALID_KEY'
  | 'INVALID_CONFIG'
  | 'INVALID_PARAMETER'
  // response verification (2xx only), in the order the verifier checks
  | 'MISSING_HEADERS'
  | 'MALFORMED_HEADERS'
  | 'TIMESTAMP_SKEW'
  | 'UNKNOWN_SERIAL'
  | 'SIGNTEST_PROBE'
  | 'BAD_SIGNATURE'
  | 'REPLAYED_NONCE'
  // a verified answer about something other than what was asked
  | 'UNBOUND_ANSWER'
  // an encrypted resource (a notification's) whose AEAD tag does not check out, or cannot be read
  | 'DECRYPTION_FAILED'
  // transport and protocol
  | 'NETWORK'
  | 'TIMEOUT'
  | 'DEADLINE_EXCEEDED'
  | 'RESPONSE_TOO_LARGE'
  | 'HTTP_ERROR'
  | 'BAD_RESPONSE'

/**
 * What a failure means for the caller, one class per code, kept beside the union so that a new code
 * cannot be added without saying what it means:
 * - `invalid`: our configuration or input is wrong; nothing was sent.
 * - `unverified`: a 2xx arrived but could not be trusted (WeChat may have acted, or it is forged);
 *   or a message from WeChat (a notification) failed its signature or its AEAD tag.
 * - `unanswered`: the request may have reached WeChat with no answer we could read.
 * - `refused`: WeChat answered with an error status (its fields are on the error).
 */
export type WechatPayErrorClass = 'invalid' | 'unverified' | 'unanswered' | 'refused'

export const ERROR_CLASSES: Readonly<Record<WechatPayErrorCode, WechatPayErrorClass>> = {
  INVALID_KEY: 'invalid',
  INVALID_CONFIG: 'invalid',
  INVALID_PARAMETER: 'invalid',
  MISSING_HEADERS: 'unverified',
  MALFORMED_HEADERS: 'unverified',
  TIMESTAMP_SKEW: 'unverified',
  UNKNOWN_SERIAL: 'unverified',
  SIGNTEST_PROBE: 'unverified',
  BAD_SIGNATURE: 'unverified',
  REPLAYED_NONCE: 'unverified',
  UNBOUND_ANSWER: 'unverified',
  // Forged, altered, or encrypted with another APIv3 key: nothing of it can be trusted.
  DECRYPTION_FAILED: 'unverified',
  NETWORK: 'unanswered',
  TIMEOUT: 'unanswered',
  DEADLINE_EXCEEDED: 'unanswered',
  // An answer longer than the client reads (any status) is unusable: as if none had come.
  RESPONSE_TOO_LARGE: 'unanswered',
  BAD_RESPONSE: 'unanswered',
  HTTP_ERROR: 'refused',
}

export function errorClass(code: WechatPayErrorCode): WechatPayErrorClass {
  return ERROR_CLASSES[code]
}

export interface WechatPayErrorDetails {
  /** HTTP status of the response, when there was one. */
  status?: number
  /** WeChat's error `code` (e.g. `PARAM_ERROR`), from a non-2xx body. */
  wechatCode?: string
  /** WeChat's error `message`, from a non-2xx body. */
  wechatMessage?: string
  /** WeChat's error `detail` object, from a non-2xx body. */
  detail?: unknown
  /** The `Request-ID` response header. */
  requestId?: string
  /** Requests sent, retries included. */
  attempts?: number
  /** For configuration errors: the credential field at fault, named as in the merchant secret. */
  field?: string
  /** For a 2xx that failed verification: the answer as received, to verify again with newer keys. */
  response?: ReceivedResponse
  /**
   * Whether WeChat may have acted on some request of the call (sent with no answer, a 2xx that could
   * not be trusted or read): the caller then asks what became of it. False when every request was
   * answered with an error status (a refusal, or 429 / 5xx asking for it again) or never sent.
   */
  mayHaveActed?: boolean
  cause?: unknown
}

/** An answer exactly as it arrived, before verification. */
export interface ReceivedResponse {
  status: number
  headers: Headers
  body: string
  requestId: string | undefined
}

export class WechatPayError extends Error {
  override readonly name = 'WechatPayError'
  readonly code: WechatPayErrorCode
  readonly status: number | undefined
  readonly wechatCode: string | undefined
  readonly wechatMessage: string | undefined
  readonly detail: unknown
  readonly requestId: string | undefined
  readonly attempts: number | undefined
  readonly field: string | undefined
  readonly mayHaveActed: boolean
  /** Not enumerable: it holds WeChat's signature headers, which never reach a log. */
  declare readonly response: ReceivedResponse | undefined

  constructor(code: WechatPayErrorCode, message: string, details: WechatPayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.status = details.status
    this.wechatCode = details.wechatCode
    this.wechatMessage = details.wechatMessage
    this.detail = details.detail
    this.requestId = details.requestId
    this.attempts = details.attempts
    this.field = details.field
    this.mayHaveActed = details.mayHaveActed ?? true
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false })
  }

  /** The same failure, counting `attempts` requests in all (retries after a key refresh included). */
  withAttempts(attempts: number, mayHaveActed = this.mayHaveActed): WechatPayError {
    return new WechatPayError(this.code, this.message, {
      status: this.status,
      wechatCode: this.wechatCode,
      wechatMessage: this.wechatMessage,
      detail: this.detail,
      requestId: this.requestId,
      attempts,
      field: this.field,
      mayHaveActed,
      response: this.response,
      cause: this.cause,
    })
  }
}

export function isWechatPayError(error: unknown): error is WechatPayError {
  return error instanceof WechatPayError
}
