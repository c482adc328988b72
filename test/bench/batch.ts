/**
 * Wall time of one SQS batch of 10 records against one batch of 1 record, through the real queue
 * handler (the production bundle), with every WeChat Pay answer 100 ms late (the latency proxy in
 * stack.ts) and EVENT_BUS set, as deployed: each batch also puts its outcome events, in one
 * PutEvents call to the EventBridge stand-in. QUEUE_CONCURRENCY comes from BENCH_QUEUE_CONCURRENCY
 * (unset: the handler's default).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { sqsEvent } from '../helpers/lambda.ts'
import { BODY, benchContext, finish, freshCode, handlerEnv, median, readStack, stackStats } from './shared.ts'

export interface BatchResult {
  concurrency: string
  singleMs: number
  batchMs: number
  records: number
  repetitions: number
  /** PutEvents calls the EventBridge stand-in received per batch (one, as production makes). */
  putEventsPerBatch: number
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>

const RECORDS = 10
const REPETITIONS = 7
const concurrency = process.env.BENCH_QUEUE_CONCURRENCY

const stack = readStack()
Object.assign(
  process.env,
  handlerEnv(stack, {
    WECHATPAY_BASE_URL: stack.slowWechatpayUrl,
    EVENT_BUS: 'payscore-bench',
    AWS_ENDPOINT_URL_EVENTBRIDGE: stack.eventBridgeUrl,
    ...(concurrency ? { QUEUE_CONCURRENCY: concurrency } : {}),
  }),
)
const { handler } = (await import(process.env.BENCH_QUEUE_HANDLER ?? '../../functions/queue.ts')) as {
  handler: Handler
}

async function timeBatch(records: number) {
  const event = sqsEvent(
    Array.from({ length: records }, () => JSON.stringify({ authorization_code: freshCode(), ...BODY })),
  )
  const context = benchContext(crypto.randomUUID())
  const started = performance.now()
  const response = await handler(event, context)
  const elapsed = performance.now() - started
  if (response.batchItemFailures.length > 0) throw new Error('a record was left on the queue')
  return elapsed
}

// Warm-up: the secret, the client, and as many open connections as a batch uses.
await timeBatch(1)
await timeBatch(RECORDS)
const single: number[] = []
const batch: number[] = []
const before = await stackStats(stack)
for (let repetition = 0; repetition < REPETITIONS; repetition++) {
  single.push(await timeBatch(1))
  batch.push(await timeBatch(RECORDS))
}
const after = await stackStats(stack)

finish({
  concurrency: concurrency ?? 'default',
  singleMs: median(single),
  batchMs: median(batch),
  records: RECORDS,
  repetitions: REPETITIONS,
  putEventsPerBatch: (after.eventCalls - before.eventCalls) / (2 * REPETITIONS),
} satisfies BatchResult)
