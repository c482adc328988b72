// First: WeChat Pay's connection starts while the rest of the bundle loads (connect-ahead.ts).
import './runtime/connect-ahead.ts'
import middy from '@middy/core'
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure'
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { isDone, type Outcome } from './authorizations/outcome.ts'
import { InvalidRequestError, parseTerminateInput } from './authorizations/request.ts'
import type { EntryDeps } from './runtime/entry.ts'
import { defaultObservability } from './runtime/observability.ts'
import { observed } from './runtime/observed.ts'
import { readQueueInput, settleAll } from './runtime/queue.ts'
import { defaultService, warmUp } from './runtime/service.ts'

/** The record did not end terminated / already_terminated: SQS keeps it, then the DLQ takes it. */
class RecordNotDoneError extends Error {
  override readonly name = 'RecordNotDoneError'
}

/**
 * SQS (EventBridge -> SQS -> Lambda), with ReportBatchItemFailures: every record that did not end
 * done, malformed ones included, is reported and stays on the queue until the redrive limit.
 */
export function createQueueHandler({
  service = defaultService,
  observability = defaultObservability(),
}: EntryDeps = {}) {
  const { logger } = observability
  return middy<SQSEvent, SQSBatchResponse>()
    .use(observed(observability))
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
    .use(observability.unhandledErrors())
    .handler(async (event, context) => {
      const container = service()
      const deadline = container.deadline(context)
      const terminated = await settleAll(
        event.Records,
        container.config.queueConcurrency,
        async (record): Promise<Outcome> => {
          const message = readQueueInput(record.body)
          let input: ReturnType<typeof parseTerminateInput>
          try {
            input = parseTerminateInput(message, container.config.mode)
          } catch (error) {
            if (!(error instanceof InvalidRequestError)) throw error
            observability.reportInvalid(error, message)
            const fields = error.issues.map((issue) => issue.path || 'body').join(', ')
            throw new RecordNotDoneError(`invalid input: ${fields}`)
          }
          return (await container.terminate(input, deadline)).outcome
        },
      )
      // One PutEvents call for the batch; a record is done only once its event is accepted.
      const ended = terminated.flatMap((result, index) =>
        result.status === 'fulfilled' ? [{ index, outcome: result.value }] : [],
      )
      const published = await container.publish(
        ended.map(({ index, outcome }) => ({
          outcome,
          from: { entryPoint: 'queue', receiveCount: receiveCount(event.Records[index]!) },
        })),
        container.publishDeadline(context),
      )
      const settled: Array<PromiseSettledResult<Outcome>> = [...terminated]
      ended.forEach(({ index, outcome }, at) => {
        const event = published[at]!
        if (!isDone(outcome)) settled[index] = notDone(`outcome ${outcome.outcome}`)
        else if (event !== 'none' && !event.accepted)
          settled[index] = notDone(`outcome event not accepted (${event.errorCode})`)
      })
      // The middleware turns the settled results into {batchItemFailures}.
      return settled as unknown as SQSBatchResponse
    })
}

/** SQS's ApproximateReceiveCount: how many times the record was delivered, this time included. */
function receiveCount(record: SQSRecord): number {
  return Number(record.attributes.ApproximateReceiveCount)
}

function notDone(reason: string): PromiseRejectedResult {
  return { status: 'rejected', reason: new RecordNotDoneError(reason) }
}

export const handler = createQueueHandler()
// Lambda's initialization: the secret's fetch and WeChat Pay's handshakes start now (service.ts).
warmUp()
