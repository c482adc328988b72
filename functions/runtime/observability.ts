import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import type { Outcome } from '../terminate/outcome.ts'
import type { InvalidRequestError } from '../terminate/request.ts'
import { errorClass, type WechatPayError } from '../wechatpay/errors.ts'

/**
 * Structured JSON logs and EMF metrics (Powertools), service `payscore-terminate`, namespace
 * `PayscoreTerminate` (the dashboard and alarms read it). Log level: POWERTOOLS_LOG_LEVEL.
 */
export const logger = new Logger({ serviceName: 'payscore-terminate' })
export const metrics = new Metrics({ namespace: 'PayscoreTerminate', serviceName: 'payscore-terminate' })

/**
 * Authorization codes identify a user's authorization: logs keep a quarter of each end, at most 4
 * characters, enough to correlate with the caller's records and not enough to reuse.
 */
export function maskCode(code: unknown): string {
  if (typeof code !== 'string') return '[not a string]'
  const shown = Math.min(4, Math.floor(code.length / 4))
  return shown === 0
    ? '*'.repeat(code.length)
    : `${code.slice(0, shown)}${'*'.repeat(code.length - 2 * shown)}${code.slice(-shown)}`
}

/** Called for every WeChat Pay error the use case meets; verification failures are what alarms watch. */
export function observeWechatPayError(error: WechatPayError, during: 'terminate' | 'query') {
  const fields = {
    during,
    error_code: error.code,
    wechatpay_status: error.status,
    wechatpay_code: error.wechatCode,
    request_id: error.requestId,
  }
  if (errorClass(error.code) === 'unverified') {
    metrics.addMetric('VerificationFailures', MetricUnit.Count, 1)
    logger.warn('WeChat Pay response failed verification', fields)
  } else {
    logger.info('WeChat Pay call did not succeed', fields)
  }
}

/**
 * Emits `Outcome` at once under its own `outcome` dimension. Made once, not per call: each
 * singleMetric() builds a new Metrics with its own Console, about 100 µs or 7 % of a warm call's CPU
 * (docs/BENCHMARKS.md). Publishing clears the dimension, so every call sets it afresh.
 */
const outcomeMetric = metrics.singleMetric()

/** One line and one set of metrics per termination. */
export function reportOutcome(result: Outcome, latencyMs: number) {
  outcomeMetric.addDimension('outcome', result.outcome)
  outcomeMetric.addMetric('Outcome', MetricUnit.Count, 1)
  metrics.addMetric('WechatPayLatency', MetricUnit.Milliseconds, latencyMs)
  if (result.attempts > 1) metrics.addMetric('Retries', MetricUnit.Count, result.attempts - 1)
  const line =
    result.outcome === 'terminated' || result.outcome === 'already_terminated' ? logger.info : logger.warn
  line.call(logger, 'termination finished', {
    outcome: result.outcome,
    authorization_code: maskCode(result.authorization_code),
    service_id: result.service_id,
    sub_mchid: result.sub_mchid,
    wechatpay_status: result.wechatpay.status,
    wechatpay_code: result.wechatpay.code,
    wechatpay_message: result.wechatpay.message,
    request_id: result.wechatpay.request_id,
    authorization_state: result.wechatpay.authorization_state,
    attempts: result.attempts,
    latency_ms: Math.round(latencyMs),
  })
}

/** Invalid input: one warning naming the bad fields (never their values) and one metric. */
export function reportInvalid(error: InvalidRequestError, input: unknown) {
  metrics.addMetric('InvalidRequests', MetricUnit.Count, 1)
  const code =
    typeof input === 'object' && input !== null
      ? (input as Record<string, unknown>).authorization_code
      : undefined
  logger.warn('invalid request: nothing was sent to WeChat Pay', {
    issues: error.issues.map((issue) => issue.path),
    authorization_code: maskCode(code),
  })
}

/**
 * A middy onError step for every entry point: an error nothing handled is logged by name, message
 * and stack only (its cause chain may carry request details) and counted as `UnhandledErrors`, which an alarm
 * watches (handled 500s and failed batches do not reach Lambda's own Errors metric). `respond` is
 * the answer to give instead, if any; invalid input is the caller's error, not ours.
 */
export function unhandledErrors<Response>(respond?: Response) {
  return {
    onError: async (request: { error: unknown; response: Response | undefined }) => {
      if (request.error instanceof Error && request.error.name === 'InvalidRequestError') return
      const { name, message, stack } =
        request.error instanceof Error ? request.error : new Error(String(request.error))
      metrics.addMetric('UnhandledErrors', MetricUnit.Count, 1)
      // The stack is mapped to the TypeScript sources (serverless.yml enables source maps).
      logger.error('unexpected error', { error_name: name, error_message: message, error_stack: stack })
      if (respond !== undefined) request.response = respond
    },
  }
}
