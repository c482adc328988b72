import { HTTPError, isNetworkError, isTimeoutError } from 'ky'
import { WechatPayError } from './errors.ts'

/** WeChat asks for 429 and 5xx to be retried later with the same parameters. */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504])

/**
 * Whether another attempt may help. A POST that timed out is not resent: it may have arrived, and
 * the caller settles it with the query. Connection failures are retried, POST included.
 */
export function isRetryable(error: unknown, method: string): boolean {
  if (error instanceof HTTPError) return RETRYABLE_STATUS.has(error.response.status)
  if (isTimeoutError(error)) return method === 'GET'
  return isNetworkError(error)
}

/** Milliseconds a 429 or 503 asks us to wait (`Retry-After`, seconds or an HTTP date), if it says. */
export function retryAfterMs(error: unknown, now: number): number | undefined {
  if (!(error instanceof HTTPError)) return undefined
  const header = error.response.headers.get('retry-after')
  if (!header) return undefined
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

export interface FailureContext {
  attempts: number
  /** True when the deadline, not an attempt's own timeout, ended the wait. */
  pastDeadline: boolean
}

/** Every failure becomes one WechatPayError; a non-2xx answer is parsed into WeChat's fields. */
export function toWechatPayError(error: unknown, { attempts, pastDeadline }: FailureContext): WechatPayError {
  if (error instanceof WechatPayError) return error
  if (error instanceof HTTPError) {
    const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<
      string,
      unknown
    >
    const status = error.response.status
    const wechatCode = typeof data.code === 'string' ? data.code : undefined
    return new WechatPayError(
      'HTTP_ERROR',
      `WeChat Pay answered ${status}${wechatCode ? ` ${wechatCode}` : ''}`,
      {
        status,
        wechatCode,
        wechatMessage: typeof data.message === 'string' ? data.message : undefined,
        detail: data.detail,
        requestId: error.response.headers.get('request-id') ?? undefined,
        attempts,
        cause: error,
      },
    )
  }
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
