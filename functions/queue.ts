import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure'
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { logger, metrics, reportInvalid, unhandledErrors } from './runtime/observability.ts'
import { readQueueInput, settleAll } from './runtime/queue.ts'
import { defaultService } from './runtime/service.ts'
import { isDone, type Outcome } from './terminate/outcome.ts'
import { InvalidRequestError, parseTerminateInput } from './terminate/request.ts'

/** The record did not end terminated / already_terminated: SQS keeps it, then the DLQ takes it. */
class RecordNotDoneError extends Error {
  override readonly name = 'RecordNotDoneError'
}

/**
 * SQS (EventBridge -> SQS -> Lambda), with ReportBatchItemFailures: every record that did not end
 * done, malformed ones included, is reported and stays on the queue until the redrive limit.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(
    sqsPartialBatchFailure({
      logger: (reason: unknown, record: SQSRecord) =>
        logger.warn('record left on the queue', {
          message_id: record.messageId,
          receive_count: record.attributes.ApproximateReceiveCount,
          reason: reason instanceof Error ? reason.message : 'unknown',
        }),
    }),
  )
  .use(unhandledErrors())
  .handler(async (event, context) => {
    const service = defaultService()
    const deadline = service.deadline(context)
    const settled = await settleAll(
      event.Records,
      service.config.queueConcurrency,
      async (record): Promise<Outcome> => {
        let input: ReturnType<typeof parseTerminateInput>
        const message = readQueueInput(record.body)
        try {
          input = parseTerminateInput(message)
        } catch (error) {
          if (error instanceof InvalidRequestError) {
            reportInvalid(error, message)
            throw new RecordNotDoneError(
              `invalid input: ${error.issues.map((issue) => issue.path || 'body').join(', ')}`,
            )
          }
          throw error
        }
        const { outcome } = await service.terminate(input, deadline)
        if (!isDone(outcome)) throw new RecordNotDoneError(`outcome ${outcome.outcome}`)
        return outcome
      },
    )
    // The middleware turns the settled results into {batchItemFailures}.
    return settled as unknown as SQSBatchResponse
  })
