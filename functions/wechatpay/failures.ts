import { isNetworkError, isTimeoutError } from 'ky'
import { WechatPayError } from './errors.ts'
import type { HeaderSource } from './verifier.ts'

/** WeChat asks for 429 and 5xx to be retried later with the same parameters. */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status)
}

/**
 * Whether another attempt may help after a request that got no answer. A POST that timed out is not
 * resent: it may have arrived, and the caller settles it with the query. Connection failures are
 * retried, POST included.
 */
export function isRetryable(error: unknown, method: string): boolean {
  if (isTimeoutError(error)) return method === 'GET'
  return isNetworkError(error)
}

/** Milliseconds an answer asks us to wait (`Retry-After`, seconds or an HTTP date), if it says. */
export function retryAfterMs(headers: HeaderSource, now: number): number | undefined {
  const header = headers.get('retry-after')
  if (!header) return undefined
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

/** Errors of a connection that never opened: nothing can have been sent on it. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
])

/**
 * Whether a request that got no answer may have reached WeChat: false only when the transport says
 * the request was never handed to a connection, or the connection never opened (refused,
 * unresolved, unreachable, a certificate refused). A reset or a timeout may come after it arrived.
 */
export function mayHaveArrived(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as { requestSent?: unknown }).requestSent === false) return false
    const { code } = cause as { code?: unknown }
    if (typeof code === 'string' && NEVER_CONNECTED.has(code)) return false
  }
  return true
}

export interface Answer {
  status: number
  requestId: string | undefined
  attempts: number
}

/**
 * A non-2xx answer as HTTP_ERROR, WeChat's `code`, `message` and `detail` taken from its JSON body
 * when there is one (error bodies are not signed: information, not proof). `body` is undefined when
 * it could not be read; `cause` is then why.
 */
export function answerError(answer: Answer, body: string | undefined, cause?: unknown): WechatPayError {
  const data = parseObject(body)
  const wechatCode = typeof data.code === 'string' ? data.code : undefined
  return new WechatPayError(
    'HTTP_ERROR',
    `WeChat Pay answered ${answer.status}${wechatCode ? ` ${wechatCode}` : ''}`,
    {
      ...answer,
      wechatCode,
      wechatMessage: typeof data.message === 'string' ? data.message : undefined,
      detail: data.detail,
      ...(cause === undefined ? {} : { cause }),
    },
  )
}

function parseObject(body: string | undefined): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(body ?? '')
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

export interface FailureContext {
  attempts: number
  /** True when the deadline, not an attempt's own timeout, ended the wait. */
  pastDeadline: boolean
}

/** Every failure to get or read an answer becomes one WechatPayError. */
export function toWechatPayError(error: unknown, { attempts, pastDeadline }: FailureContext): WechatPayError {
  if (error instanceof WechatPayError) return error
  if (isTimeoutError(error)) {
    const code = pastDeadline ? 'DEADLINE_EXCEEDED' : 'TIMEOUT'
    return new WechatPayError(code, 'WeChat Pay did not answer in time', { attempts, cause: error })
  }
  if (isNetworkError(error)) {
    return new WechatPayError('NETWORK', 'could not reach WeChat Pay', { attempts, cause: error })
  }
  // Our deadline signal, or the connection breaking while a body was read.
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new WechatPayError(
      pastDeadline ? 'DEADLINE_EXCEEDED' : 'TIMEOUT',
      'WeChat Pay did not answer in time',
      {
        attempts,
        cause: error,
      },
    )
  }
  if (error instanceof TypeError) {
    return new WechatPayError('NETWORK', 'the connection to WeChat Pay failed', { attempts, cause: error })
  }
  return new WechatPayError('BAD_RESPONSE', 'unexpected failure calling WeChat Pay', {
    attempts,
    cause: error,
  })
}
