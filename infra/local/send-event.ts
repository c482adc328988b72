/**
 * `npm run sandbox:event -- CODE [CODE...]`: sends the queue function of a running sandbox one SQS
 * batch whose records carry what an EventBridge rule targeting SQS delivers, through
 * serverless-offline's Lambda invoke API, and prints the function's answer ({batchItemFailures}).
 * It finds the sandbox where `npm start` put it: SANDBOX_PORTS, if set, as for `npm start`; and
 * WECHATPAY_MODE=direct leaves sub_mchid out, as a direct merchant's events do.
 */
import { randomUUID } from 'node:crypto'
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import { sandboxInput } from './banner.ts'
import { noSandboxAt, sandboxMode, sandboxPorts } from './ports.ts'

const codes = process.argv.slice(2)
if (codes.length === 0) {
  console.error('usage: npm run sandbox:event -- AUTHORIZATION_CODE [AUTHORIZATION_CODE...]')
  process.exit(2)
}

const records = codes.map((code) => ({
  messageId: randomUUID(),
  receiptHandle: randomUUID(),
  body: JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': 'PayScoreAuthorizationCancelled',
    source: 'com.example.payscore',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: {
      authorization_code: code,
      ...sandboxInput(sandboxMode()),
      reason: '用户申请解除授权',
    },
  }),
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:payscore-terminate-local-cancellations',
  awsRegion: 'us-east-1',
}))

const endpoint = process.env.SANDBOX_LAMBDA_URL ?? `http://127.0.0.1:${sandboxPorts().lambda}`
const lambda = new LambdaClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  // On loopback: a refused connection is no sandbox, not a network blip to retry.
  maxAttempts: 1,
})
let answer: InvokeCommandOutput
try {
  answer = await lambda.send(
    new InvokeCommand({
      FunctionName: 'payscore-terminate-local-queue',
      Payload: JSON.stringify({ Records: records }),
    }),
  )
} catch (error) {
  const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  console.error(
    answered === undefined
      ? noSandboxAt(endpoint, error)
      : `the Lambda invoke API at ${endpoint} answered ${answered}: ${(error as Error).name}: ${(error as Error).message}`,
  )
  lambda.destroy()
  process.exit(1)
}
const result = JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString() || 'null') as {
  batchItemFailures?: Array<{ itemIdentifier: string }>
}
const failed = new Set(result?.batchItemFailures?.map((failure) => failure.itemIdentifier))
for (const [index, record] of records.entries()) {
  console.log(
    `${codes[index]}: ${failed.has(record.messageId) ? 'left on the queue (not done)' : 'done, deleted'}`,
  )
}
lambda.destroy()
