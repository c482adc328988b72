import { Logger } from '@aws-lambda-powertools/logger'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import type { Outcome } from '../authorizations/outcome.ts'
import type { QueryResult } from '../authorizations/query.ts'
import type { InvalidRequestError } from '../authorizations/request.ts'
import type { EventEntry } from '../events/entries.ts'
import type { EntryResult } from '../events/publisher.ts'
import { entrySummary } from '../events/summary.ts'
import type { CredentialsError } from '../merchant/errors.ts'
import { errorClass, type WechatPayError } from '../wechatpay/errors.ts'
import { loggedIdentity, maskCode } from './mask.ts'
import { sourceMappedStack } from './source-mapped.ts'

export { maskCode }

/**
 * Structured JSON logs and EMF metrics (Powertools), service `payscore-terminate`, namespace
 * `PayscoreTerminate` (the dashboard and alarms read it). Log level: POWERTOOLS_LOG_LEVEL.
 * Everything the functions say goes through one of these, so a test can hand the handlers its own.
 */
export interface Observability {
  readonly logger: Logger
  readonly metrics: Metrics
  /** One line and one set of metrics per termination. */
  reportOutcome(result: Outcome, latencyMs: number): void
  /** One line and one metric per query. */
  reportQuery(result: QueryResult, latencyMs: number): void
  /** Invalid input: one warning naming the bad fields (never their values) and one metric. */
  reportInvalid(error: InvalidRequestError, input: unknown): void
  /** Every WeChat Pay error the use cases meet; verification failures are what alarms watch. */
  observeWechatPayError(error: WechatPayError, during: 'terminate' | 'query'): void
  /**
   * One line and one `Notification` metric (dimension `result`) per notification; an unauthenticated
   * one also counts as `NotificationVerificationFailures`, which an alarm watches.
   */
  reportNotification(result: NotificationResult, fields: Record<string, unknown>, latencyMs: number): void
  /** An event EventBridge did not accept: one warning (named fields only, masked) and `OutcomeEventsFailed`. */
  reportEventFailed(entry: EventEntry, result: EntryResult): void
  /** Once per failed read of the merchant secret. */
  observeSecretError(error: CredentialsError, facts: { version?: string; servingCached: boolean }): void
  /** A middy onError step: see unhandledErrors below. */
  unhandledErrors<Response>(respond?: Response): {
    onError(request: { error: unknown; response: Response | undefined }): Promise<void>
  }
}

export interface ObservabilityOptions {
  /**
   * Where the log lines and EMF metrics go instead of stdout / stderr: a test reads what the
   * functions say from its own Console rather than patching the process's streams. Powertools keeps
   * its Console private, so it is swapped on each instance made here, and nowhere else.
   */
  console?: Console
}

export type NotificationResult =
  | 'published'
  | 'not_published'
  | 'unauthenticated'
  | 'malformed'
  | 'too_large'
  | 'secret_unusable'

export function createObservability(options: ObservabilityOptions = {}): Observability {
  const writing = <T extends Logger | Metrics>(instance: T): T =>
    options.console ? Object.assign(instance, { console: options.console }) : instance
  const logger = writing(new Logger({ serviceName: 'payscore-terminate' }))
  const metrics = writing(new Metrics({ namespace: 'PayscoreTerminate', serviceName: 'payscore-terminate' }))
  /**
   * `Outcome` at once under its own `outcome` dimension. Made once, not per call: each
   * singleMetric() builds a new Metrics with its own Console, about 100 µs or 7 % of a warm call's
   * CPU (docs/BENCHMARKS.md). Publishing clears the dimension, so every call sets it afresh.
   */
  const outcomeMetric = writing(metrics.singleMetric())
  const queryMetric = writing(metrics.singleMetric())
  const notificationMetric = writing(metrics.singleMetric())

  return {
    logger,
    metrics,
    reportOutcome(result, latencyMs) {
      outcomeMetric.addDimension('outcome', result.outcome)
      outcomeMetric.addMetric('Outcome', MetricUnit.Count, 1)
      metrics.addMetric('WechatPayLatency', MetricUnit.Milliseconds, latencyMs)
      if (result.attempts > 1) metrics.addMetric('Retries', MetricUnit.Count, result.attempts - 1)
      const done = result.outcome === 'terminated' || result.outcome === 'already_terminated'
      ;(done ? logger.info : logger.warn).call(logger, 'termination finished', {
        outcome: result.outcome,
        ...loggedIdentity(result),
        wechatpay_status: result.wechatpay.status,
        wechatpay_code: result.wechatpay.code,
        wechatpay_message: result.wechatpay.message,
        request_id: result.wechatpay.request_id,
        authorization_state: result.wechatpay.authorization_state,
        attempts: result.attempts,
        latency_ms: Math.round(latencyMs),
      })
    },
    reportQuery(result, latencyMs) {
      queryMetric.addDimension('result', result.result)
      queryMetric.addMetric('Query', MetricUnit.Count, 1)
      metrics.addMetric('WechatPayLatency', MetricUnit.Milliseconds, latencyMs)
      const wechatpay = result.result === 'found' ? result.state.wechatpay : result.wechatpay
      ;(result.result === 'found' || result.result === 'not_found' ? logger.info : logger.warn).call(
        logger,
        'query finished',
        {
          result: result.result,
          ...(result.result === 'found'
            ? { ...loggedIdentity(result.state), authorization_state: result.state.authorization_state }
            : {}),
          wechatpay_status: wechatpay.status,
          request_id: wechatpay.request_id,
          attempts: result.attempts,
          latency_ms: Math.round(latencyMs),
        },
      )
    },
    reportInvalid(error, input) {
      metrics.addMetric('InvalidRequests', MetricUnit.Count, 1)
      logger.warn('invalid request: nothing was sent to WeChat Pay', {
        issues: error.issues.map((issue) => issue.path),
        ...loggedIdentity(input),
      })
    },
    observeWechatPayError(error, during) {
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
    },
    reportNotification(result, fields, latencyMs) {
      notificationMetric.addDimension('result', result)
      notificationMetric.addMetric('Notification', MetricUnit.Count, 1)
      metrics.addMetric('NotificationLatency', MetricUnit.Milliseconds, latencyMs)
      if (result === 'unauthenticated')
        metrics.addMetric('NotificationVerificationFailures', MetricUnit.Count, 1)
      ;(result === 'published' ? logger.info : logger.warn).call(logger, 'notification finished', {
        result,
        ...fields,
        latency_ms: Math.round(latencyMs),
      })
    },
    reportEventFailed(entry, result) {
      metrics.addMetric('OutcomeEventsFailed', MetricUnit.Count, 1)
      logger.warn('event not accepted by EventBridge', entrySummary(entry, result))
    },
    observeSecretError(error, { version, servingCached }) {
      const fields = {
        error_code: error.code,
        field: error.field,
        reason: error.message,
        secret_version: version,
      }
      if (servingCached) logger.warn('serving the cached merchant secret: refresh failed', fields)
      else logger.error('merchant secret unusable', fields)
    },
    /**
     * An error nothing handled is logged by name, message and stack only (its cause chain may carry
     * request details) and counted as `UnhandledErrors`, which an alarm watches (handled 500s and
     * failed batches do not reach Lambda's own Errors metric). `respond` is the answer to give
     * instead, if any; invalid input and the errors an entry point throws by contract are the
     * caller's, not ours: they go on to Lambda, counted as `ContractErrors`, which the invoke
     * function's Errors alarm takes away from Lambda's own Errors (infra/resources/alarms.yml).
     */
    unhandledErrors<Response>(respond?: Response) {
      return {
        onError: async (request: { error: unknown; response: Response | undefined }) => {
          if (request.error instanceof Error && CONTRACT_ERRORS.has(request.error.name)) {
            metrics.addMetric('ContractErrors', MetricUnit.Count, 1)
            return
          }
          const { name, message, stack } =
            request.error instanceof Error ? request.error : new Error(String(request.error))
          metrics.addMetric('UnhandledErrors', MetricUnit.Count, 1)
          // The stack names the TypeScript sources, read from the bundle's source map only now.
          logger.error('unexpected error', {
            error_name: name,
            error_message: message,
            error_stack: stack && sourceMappedStack(stack),
          })
          if (respond !== undefined) request.response = respond
        },
      }
    },
  }
}

/** Errors the invoke function throws by contract (README, "Direct invocation"): not ours. */
const CONTRACT_ERRORS = new Set([
  'InvalidRequestError',
  'AuthorizationNotFoundError',
  'QueryFailedError',
  'QueryRetryableError',
])

let shared: Observability | undefined

/** The container's logger and metrics. */
export function defaultObservability(): Observability {
  shared ??= createObservability()
  return shared
}
