import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import type { Observability } from './observability.ts'

/**
 * What every entry point's middy chain starts with: the Lambda context on every log line, never the
 * event itself, whatever POWERTOOLS_LOGGER_LOG_EVENT says (it holds codes, openids, ciphertexts),
 * and the EMF metrics flushed when the invocation ends.
 */
export const observed = (observability: Observability) => [
  injectLambdaContext(observability.logger, { logEvent: false }),
  logMetrics(observability.metrics),
]
