import ky, { HTTPError, isHTTPError, isNetworkError, isTimeoutError, type KyInstance } from 'ky'
import { WechatPayError } from './errors.ts'
import type { Signer } from './signer.ts'
import type { Verifier } from './verifier.ts'
import { USER_AGENT } from './version.ts'

export const DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com'
/** WeChat's access point in another city, for connection failures (as the Java SDK does). */
export const DEFAULT_BACKUP_URL = 'https://api2.mch.weixin.qq.com'

export interface ClientOptions {
  signer: Signer
  verifier: Verifier
  baseUrl?: string
  /** Empty string or null disables failover. */
  backupUrl?: string | null
  /** Requests sent per call, first included. WeChat's guidance: at most 3. */
  maxAttempts?: number
  attemptTimeoutMs?: number
  /** Backoff before retry n is baseDelayMs * 2^(n-1), capped at maxDelayMs, with equal jitter. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** A retry is only started when at least this much time is left before the deadline. */
  minAttemptMs?: number
  fetch?: typeof fetch
  clock?: () => number
  random?: () => number
}

export interface CallOptions {
  /** Epoch milliseconds by which the call must have ended, retries included. */
  deadline: number
  query?: Record<string, string>
  body?: unknown
}

export interface WechatPayResponse {
  status: number
  /** The raw body, already verified. */
  body: string
  requestId: string | undefined
  attempts: number
}

export interface WechatPayClient {
  call(method: 'GET' | 'POST', path: string, options: CallOptions): Promise<WechatPayResponse>
}

export function createClient(options: ClientOptions): WechatPayClient {
  const { signer, verifier, clock = Date.now, random = Math.random } = options
  const primary = origin(options.baseUrl ?? DEFAULT_BASE_URL, 'base URL')
  const backup = options.backupUrl === undefined ? DEFAULT_BACKUP_URL : options.backupUrl
  const secondary = backup ? origin(backup, 'backup URL') : undefined
  const maxAttempts = options.maxAttempts ?? 3
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000
  const baseDelayMs = options.baseDelayMs ?? 200
  const maxDelayMs = options.maxDelayMs ?? 2_000
  const minAttemptMs = options.minAttemptMs ?? 500
  const backoff = (retry: number) => Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))

  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT }
  // Asks WeChat to sign the response with the public key we hold, not a platform certificate.
  if (verifier.publicKeyId) headers['Wechatpay-Serial'] = verifier.publicKeyId

  const api: KyInstance = ky.create({
    headers,
    throwHttpErrors: true,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })

  return {
    async call(method, path, { deadline, query, body }) {
      const remaining = deadline - clock()
      if (remaining < minAttemptMs) {
        throw new WechatPayError('DEADLINE_EXCEEDED', 'no time left before the deadline to call WeChat Pay', {
          attempts: 0,
        })
      }
      const search = query ? `?${new URLSearchParams(query)}` : ''
      const text = body === undefined ? '' : JSON.stringify(body)
      let attempts = 0
      let lastRequestId: string | undefined
      const sign = (request: Request, url: URL) => {
        attempts += 1
        // The signed URL is the path and query of the very URL being sent.
        request.headers.set('Authorization', signer.authorize(method, url.pathname + url.search, text))
      }
      try {
        const response = await api(primary + path + search, {
          method,
          ...(body === undefined ? {} : { body: text, headers: { 'Content-Type': 'application/json' } }),
          timeout: Math.min(attemptTimeoutMs, remaining),
          totalTimeout: remaining,
          retry: {
            limit: maxAttempts - 1,
            methods: ['get', 'post'],
            statusCodes: [429, 500, 502, 503, 504],
            afterStatusCodes: [429, 503],
            maxRetryAfter: remaining,
            delay: backoff,
            jitter: (delay) => delay / 2 + (random() * delay) / 2,
            retryOnTimeout: method === 'GET',
            // Never start a retry that the deadline cannot hold: the last real answer is worth more.
            shouldRetry: ({ retryCount }) =>
              deadline - clock() < backoff(retryCount) + minAttemptMs ? false : undefined,
          },
          hooks: {
            beforeRequest: [({ request }) => sign(request, new URL(request.url))],
            beforeRetry: [
              ({ request, error }) => {
                if (isHTTPError(error))
                  lastRequestId = error.response.headers.get('request-id') ?? lastRequestId
                const url = new URL(request.url)
                // A connection that failed goes to the other access point; answers stay where they came from.
                if (secondary && isNetworkError(error))
                  url.host = new URL(url.origin === primary ? secondary : primary).host
                const retry = new Request(url, {
                  method,
                  headers: request.headers,
                  ...(body === undefined ? {} : { body: text }),
                })
                sign(retry, url)
                return retry
              },
            ],
          },
        })
        const responseText = await response.text()
        const requestId = response.headers.get('request-id') ?? undefined
        try {
          verifier.verify(response.headers, responseText)
        } catch (cause) {
          const { code, message } = cause as WechatPayError
          throw new WechatPayError(code, message, { status: response.status, requestId, attempts, cause })
        }
        return { status: response.status, body: responseText, requestId, attempts }
      } catch (error) {
        throw toWechatPayError(error, { attempts, requestId: lastRequestId, deadline, clock })
      }
    },
  }
}

function toWechatPayError(
  error: unknown,
  context: { attempts: number; requestId: string | undefined; deadline: number; clock: () => number },
) {
  const { attempts } = context
  if (error instanceof WechatPayError) return error
  if (error instanceof HTTPError) {
    const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<
      string,
      unknown
    >
    const status = error.response.status
    const wechatCode = typeof data.code === 'string' ? data.code : undefined
    const wechatMessage = typeof data.message === 'string' ? data.message : undefined
    return new WechatPayError(
      'HTTP_ERROR',
      `WeChat Pay answered ${status}${wechatCode ? ` ${wechatCode}` : ''}`,
      {
        status,
        wechatCode,
        wechatMessage,
        detail: data.detail,
        requestId: error.response.headers.get('request-id') ?? undefined,
        attempts,
        cause: error,
      },
    )
  }
  if (isTimeoutError(error)) {
    const code = context.clock() >= context.deadline ? 'DEADLINE_EXCEEDED' : 'TIMEOUT'
    return new WechatPayError(code, 'WeChat Pay did not answer in time', {
      attempts,
      requestId: context.requestId,
      cause: error,
    })
  }
  if (isNetworkError(error)) {
    return new WechatPayError('NETWORK', 'could not reach WeChat Pay', {
      attempts,
      requestId: context.requestId,
      cause: error,
    })
  }
  return new WechatPayError('BAD_RESPONSE', 'unexpected failure calling WeChat Pay', {
    attempts,
    cause: error,
  })
}

/** Only an origin: the signed URL is the request's path, so a base URL with a path would be signed wrong. */
function origin(url: string, name: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new WechatPayError('INVALID_CONFIG', `WeChat Pay ${name} is not a URL`, { cause })
  }
  if (
    !/^https?:$/.test(parsed.protocol) ||
    parsed.pathname !== '/' ||
    parsed.search ||
    parsed.hash ||
    parsed.username
  ) {
    throw new WechatPayError(
      'INVALID_CONFIG',
      `WeChat Pay ${name} must be an http(s) origin with no path, got ${url}`,
    )
  }
  return parsed.origin
}
