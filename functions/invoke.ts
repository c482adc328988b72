import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import { logger, metrics, reportInvalid, unhandledErrors } from './runtime/observability.ts'
import { defaultService } from './runtime/service.ts'
import type { Outcome } from './terminate/outcome.ts'
import { InvalidRequestError, parseTerminateInput } from './terminate/request.ts'

/**
 * Direct invocation (Step Functions, SDK): the event is the input, the result the outcome. Invalid
 * input throws an error named InvalidRequestError, which a Step Functions Catch can match.
 */
export const handler = middy<unknown, Outcome>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(unhandledErrors())
  .handler(async (event, context) => {
    const service = defaultService()
    let input: ReturnType<typeof parseTerminateInput>
    try {
      input = parseTerminateInput(event)
    } catch (error) {
      if (error instanceof InvalidRequestError) reportInvalid(error, event)
      throw error
    }
    return (await service.terminate(input, service.deadline(context))).outcome
  })
