import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { eventBridgeEnvelope, lambdaContext, sqsEvent } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container
let handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>

before(async () => {
  stack = await startStack()
  container = stack.container({ QUEUE_CONCURRENCY: '4' })
  handler = container.queue as unknown as typeof handler
})
after(() => stack.close())

const input = (code: string) => JSON.stringify({ ...VALID, authorization_code: code })

describe('SQS entry point', () => {
  it('starts a whole batch at once with one secret fetch, and reports only the records not done', async () => {
    const done = [freshCode(), freshCode(), freshCode()]
    const viaEventBridge = freshCode()
    const bodies = [
      ...done.map(input),
      eventBridgeEnvelope({ ...VALID, authorization_code: viaEventBridge }),
      '{not json',
      JSON.stringify({ ...VALID, authorization_code: 'a/b' }),
      eventBridgeEnvelope('not an object'),
      input(freshCode('SIM_503')),
      input(freshCode('SIM_NOTEXIST')),
      input(freshCode('SIM_NOAUTH')),
    ]
    const event = sqsEvent(bodies)
    const response = await handler(event, lambdaContext())
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier))
    assert.deepEqual(
      event.Records.map((record) => failed.has(record.messageId)),
      [false, false, false, false, true, true, true, true, true, true],
    )
    for (const code of [...done, viaEventBridge]) assert.equal(stack.simulator.state(code), 'UNAVAILABLE')
    assert.equal(stack.secretsManager.calls.filter((call) => call.operation === 'GetSecretValue').length, 1)
  })

  it('deletes an already terminated authorization (done), and keeps a malformed one', async () => {
    const code = freshCode()
    await handler(sqsEvent([input(code)]), lambdaContext())
    const event = sqsEvent([input(code), ''])
    const response = await handler(event, lambdaContext())
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[1]!.messageId }])
  })

  it('sends nothing to WeChat for invalid records', async () => {
    const before = stack.simulator.requests.length
    const response = await handler(
      sqsEvent([
        'null',
        '[]',
        JSON.stringify({ ...VALID, authorization_code: '..' }),
        eventBridgeEnvelope({}),
      ]),
      lambdaContext(),
    )
    assert.equal(response.batchItemFailures.length, 4)
    assert.equal(stack.simulator.requests.length, before)
  })

  it('reports every record when the deadline leaves no time to call WeChat', async () => {
    const event = sqsEvent([input(freshCode()), input(freshCode())])
    const response = await handler(event, lambdaContext(600))
    assert.equal(response.batchItemFailures.length, 2)
  })
})
