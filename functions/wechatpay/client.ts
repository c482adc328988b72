import { setTimeout as sleep } from 'node:timers/promises'
import ky, { isNetworkError, type KyInstance } from 'ky'
import { readBody } from './body.ts'
import { type ReceivedResponse, WechatPayError } from './errors.ts'
import {
  answerError,
  isRetryable,
  isRetryableStatus,
  mayHaveArrived,
  retryAfterMs,
  toWechatPayError,
} from './failures.ts'
import { DEFAULT_BACKUP_URL, DEFAULT_BASE_URL, origin } from './origins.ts'
import type { Signer } from './signer.ts'
import { defaultTransport } from './transport.ts'
import type { Verifier } from './verifier.ts'
import { USER_AGENT } from './version.ts'

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
  /** What ky sends with: the container's transport over node:http(s) unless given (transport.ts). */
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
  /** The merchant the request was signed as (in partner mode, the service provider). */
  mchid: string
}

/** What the operations need: one verified call. */
export type WechatPayCaller = Pick<WechatPayClient, 'call'>

/** What one attempt gives: the verified answer, or a failure and whether another attempt may help. */
type Attempt =
  | { response: WechatPayResponse }
  | {
      failure: WechatPayError
      retryable: boolean
      retryAfter?: number | undefined
      failover?: boolean
      /** WeChat may have acted on this request (see WechatPayError.mayHaveActed). */
      mayHaveActed: boolean
    }

export interface WechatPayClient {
  call(method: 'GET' | 'POST', path: string, options: CallOptions): Promise<WechatPayResponse>
  /**
   * Verifies an answer that arrived earlier (a WechatPayError's `response`) with this client's keys:
   * after WeChat signed with a key that the keys of the original call did not hold yet.
   */
  verify(received: ReceivedResponse, attempts: number): WechatPayResponse
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

  // One HTTP attempt per ky call: the retry loop below is ours, so each attempt is signed afresh,
  // may go to the other access point, and knows the deadline. (ky's own retries would clone every
  // request body up front for a retry that our loop builds anyway.) Every answer, error statuses
  // included, comes back as a Response whose body only readBody reads: ky reads error bodies whole
  // (up to 10 MiB) when it throws them, so it does not throw them. The signing hook is made once:
  // each call hands it the body it signs through ky's `context`, not a hook of its own to merge.
  const api: KyInstance = ky.create({
    headers,
    throwHttpErrors: false,
    retry: 0,
    // A redirect would carry our Authorization elsewhere (and turn the POST into a GET): never follow.
    redirect: 'manual',
    fetch: options.fetch ?? defaultTransport().fetch,
    hooks: {
      // The signed URL is the path and query of the very URL being sent.
      beforeRequest: [
        ({ request, options: { context } }) => {
          const url = new URL(request.url)
          const signed = signer.authorize(request.method, url.pathname + url.search, context.body as string)
          request.headers.set('Authorization', signed)
        },
      ],
    },
  })

  // Headers set per call would be merged per call: a request with a body gets its own instance.
  const withBody = api.extend({ headers: { 'Content-Type': 'application/json' } })

  return {
    async call(method, path, { deadline, query, body }) {
      const target = path + (query ? `?${new URLSearchParams(query)}` : '')
      const text = body === undefined ? '' : JSON.stringify(body)
      const send = body === undefined ? api : withBody
      // The body goes to the transport as `payload`, an option ky forwards to its fetch untouched:
      // a Request body would be a stream to make, read back and cancel on every attempt.
      const init = { method, context: { body: text }, ...(body === undefined ? {} : { payload: text }) }

      /** One request and its answer: a verified 2xx, or a failure and whether to try again. */
      async function attempt(url: string, attempts: number): Promise<Attempt> {
        const remaining = deadline - clock()
        const context = () => ({ attempts, pastDeadline: clock() >= deadline })
        let response: Response
        try {
          // ky's timeout ends when the headers arrive; readBody below bounds reading the body.
          response = await send(url, { ...init, timeout: Math.min(attemptTimeoutMs, remaining) })
        } catch (error) {
          const failure = toWechatPayError(error, context())
          const mayHaveActed = mayHaveArrived(error)
          return {
            failure,
            retryable: isRetryable(error, method),
            failover: isNetworkError(error),
            mayHaveActed,
          }
        }
        const { status, headers: answerHeaders } = response
        const answer = { status, requestId: answerHeaders.get('request-id') ?? undefined, attempts }
        const retryAfter = () => retryAfterMs(answerHeaders, clock())
        // A 2xx may mean WeChat acted. Any other answer is its word that it did not: a 4xx refuses, and
        // 429 and 5xx ask for the same request again later (WeChat's guidance), which is safe.
        const mayHaveActed = status < 400
        let responseText: string
        try {
          // An error body, and a GET's, gets the attempt timeout (as ky gave it): a stalled one must not
          // use up the retries' time. A POST's 2xx body is read until the deadline: WeChat may have acted.
          const untilDeadline = deadline - clock()
          const wait =
            response.ok && method === 'POST' ? untilDeadline : Math.min(attemptTimeoutMs, untilDeadline)
          responseText = !response.body ? '' : await readBody(response, wait)
        } catch (error) {
          // A 429 or 5xx is retried for its status alone: its body would only have explained it.
          if (isRetryableStatus(status)) {
            return {
              failure: answerError(answer, undefined, error),
              retryable: true,
              retryAfter: retryAfter(),
              mayHaveActed,
            }
          }
          // Otherwise the answer is unusable: a 2xx may mean WeChat acted, an error's code is unknown;
          // a GET that stalled or broke is asked again (an oversized one would only be so again), a POST
          // is not: the caller settles it (the query says what became of it).
          const { code, message } = toWechatPayError(error, context())
          const failure = new WechatPayError(code, message, { ...answer, cause: error })
          return { failure, retryable: method === 'GET' && code !== 'RESPONSE_TOO_LARGE', mayHaveActed }
        }
        if (!response.ok) {
          const failure = answerError(answer, responseText)
          return { failure, retryable: isRetryableStatus(status), retryAfter: retryAfter(), mayHaveActed }
        }
        // Verification: nothing of a 2xx is used before its signature verified.
        try {
          return { response: verified({ ...answer, headers: answerHeaders, body: responseText }, attempts) }
        } catch (failure) {
          return { failure: failure as WechatPayError, retryable: false, mayHaveActed }
        }
      }

      let host = primary
      // Whether WeChat may have acted on any request of this call, not just the last one.
      let acted = false
      for (let attempts = 1; ; attempts += 1) {
        if (deadline - clock() < minAttemptMs) {
          throw new WechatPayError(
            'DEADLINE_EXCEEDED',
            'no time left before the deadline to call WeChat Pay',
            {
              attempts: attempts - 1,
              mayHaveActed: acted,
            },
          )
        }
        const result = await attempt(host + target, attempts)
        if ('response' in result) return result.response
        acted ||= result.mayHaveActed
        const failure = result.failure.withAttempts(attempts, acted)
        if (attempts >= maxAttempts || !result.retryable) throw failure
        const delay = result.retryAfter ?? jittered(backoff(attempts))
        // Never start a retry that the deadline cannot hold: the last real answer is worth more.
        if (deadline - clock() < delay + minAttemptMs) throw failure
        // A connection that failed goes to the other access point; answers stay where they came from.
        if (secondary && result.failover) host = host === primary ? secondary : primary
        await sleep(delay)
      }
    },
    verify: verified,
  }

  /** The answer once its signature verified; a failure keeps the answer, to verify again with newer keys. */
  function verified(received: ReceivedResponse, attempts: number): WechatPayResponse {
    const { status, headers, body, requestId } = received
    try {
      verifier.verify(headers, body)
    } catch (cause) {
      const { code, message } = cause as WechatPayError
      throw new WechatPayError(code, message, { status, requestId, attempts, response: received, cause })
    }
    return { status, body, requestId, attempts, mchid: signer.mchid }
  }

  function jittered(delay: number) {
    return delay / 2 + (random() * delay) / 2
  }
}
