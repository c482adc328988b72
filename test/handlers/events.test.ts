/**
 * Outcome events (README, "Outcome events"): every termination that ends puts one event on
 * EVENT_BUS, from every entry point; the queue deletes a record only once its event is accepted.
 * Against the EventBridge stand-in (the real AWS SDK and wire protocol).
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { SQSBatchResponse } from 'aws-lambda'
import { SOURCE, TERMINATION } from '../../functions/events/entries.ts'
import { eventBridgeEnvelope, httpEvent, lambdaContext, sqsEvent, sqsRecord } from '../helpers/lambda.ts'
import { type Container, freshCode, STACK_BUS, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container

before(async () => {
  stack = await startStack()
  container = stack.container({ QUEUE_CONCURRENCY: '10' })
})
after(() => stack.close())
beforeEach(() => {
  stack.eventBridge.clearFaults()
  stack.eventBridge.events.length = 0
  stack.eventBridge.calls.length = 0
})

const details = () => stack.eventBridge.events.map((event) => event.detail as Record<string, unknown>)
const input = (code: string) => JSON.stringify({ ...VALID, authorization_code: code })

describe('outcome events: HTTP and invoke', () => {
  it('a terminated call puts one event: the outcome JSON plus entry_point, on EVENT_BUS', async () => {
    const code = freshCode()
    const response = await container.http(httpEvent(code, VALID), lambdaContext())
    const outcome = JSON.parse(String(response.body)) as Record<string, unknown>
    assert.equal(stack.eventBridge.events.length, 1)
    const [event] = stack.eventBridge.events
    assert.deepEqual(
      { source: event?.source, detailType: event?.detailType, bus: event?.eventBusName },
      { source: SOURCE, detailType: TERMINATION, bus: STACK_BUS },
    )
    assert.deepEqual(event?.detail, { ...outcome, entry_point: 'http' })
  })

  for (const [prefix, kind] of [
    ['SIM_TERMINATED', 'already_terminated'],
    ['SIM_NOTEXIST', 'rejected'],
    ['SIM_NOAUTH', 'failed'],
  ] as const) {
    it(`${kind} puts one too (${prefix})`, async () => {
      await container.http(httpEvent(freshCode(prefix), VALID), lambdaContext())
      assert.deepEqual(
        details().map((detail) => detail.outcome),
        [kind],
      )
    })
  }

  it('retryable puts none', async () => {
    const response = await container.http(httpEvent(freshCode('SIM_503'), VALID), lambdaContext())
    assert.equal(response.statusCode, 503)
    assert.equal(stack.eventBridge.calls.length, 0)
  })

  it('invalid input puts none', async () => {
    const response = await container.http(httpEvent('bad/code', VALID), lambdaContext())
    assert.equal(response.statusCode, 400)
    assert.equal(stack.eventBridge.calls.length, 0)
  })

  it('invoke puts entry_point invoke; a query puts nothing', async () => {
    const code = freshCode()
    await container.invoke({ ...VALID, authorization_code: code }, lambdaContext())
    await container.invoke({ ...VALID, authorization_code: code, operation: 'query' }, lambdaContext())
    assert.deepEqual(
      details().map((detail) => [detail.entry_point, detail.authorization_code]),
      [['invoke', code]],
    )
  })

  it('an openid call echoes the input: the code its query revealed stays null', async () => {
    const openid = `o${freshCode('e').replaceAll('_', '-')}`
    stack.simulator.inject({ fault: 'bad_signature', reference: openid })
    await container.invoke({ ...VALID, openid, appid: 'wxd678efh567hg6787' }, lambdaContext())
    const [detail] = details()
    assert.equal(detail?.outcome, 'terminated')
    assert.equal(detail?.openid, openid)
    assert.equal(detail?.authorization_code, null)
  })

  it('EventBridge refusing does not change the answer; it is logged, counted, and the line holds no full code', async () => {
    stack.eventBridge.fail({ error: 'InternalException' })
    const code = freshCode()
    const { result, lines } = await container.logs.during(() =>
      container.http(httpEvent(code, VALID), lambdaContext()),
    )
    assert.equal(result.statusCode, 200)
    assert.equal(JSON.parse(String(result.body)).outcome, 'terminated')
    assert.ok(lines.some((line) => line.message === 'event not accepted by EventBridge'))
    assert.ok(lines.some((line) => line.OutcomeEventsFailed === 1))
    assert.ok(!JSON.stringify(lines).includes(code))
  })

  it('with no EVENT_BUS: no events at all, the termination answered as usual', async () => {
    const quiet = stack.container({ EVENT_BUS: '' })
    const { result, lines } = await quiet.logs.during(() =>
      quiet.http(httpEvent(freshCode(), VALID), lambdaContext()),
    )
    assert.equal(result.statusCode, 200)
    assert.equal(JSON.parse(String(result.body)).outcome, 'terminated')
    assert.equal(stack.eventBridge.calls.length, 0)
    assert.ok(!lines.some((line) => line.level === 'ERROR'), 'nothing logged as an error')
  })
})

describe('outcome events: the queue', () => {
  it('one PutEvents call for the batch, with receive_count; only ended outcomes', async () => {
    const done = [freshCode(), freshCode()]
    const refused = freshCode('SIM_NOTEXIST')
    const event = sqsEvent([
      input(done[0]!),
      eventBridgeEnvelope({ ...VALID, authorization_code: done[1] }),
      input(freshCode('SIM_503')),
      input(refused),
      '{not json',
    ])
    event.Records[1] = {
      ...event.Records[1]!,
      attributes: { ...event.Records[1]!.attributes, ApproximateReceiveCount: '3' },
    }
    const response = (await container.queue(event, lambdaContext())) as SQSBatchResponse
    assert.equal(stack.eventBridge.calls.length, 1, 'one call for the batch')
    assert.deepEqual(
      details().map((detail) => [
        detail.authorization_code,
        detail.outcome,
        detail.entry_point,
        detail.receive_count,
      ]),
      [
        [done[0], 'terminated', 'queue', 1],
        [done[1], 'terminated', 'queue', 3],
        [refused, 'rejected', 'queue', 1],
      ],
    )
    assert.deepEqual(
      response.batchItemFailures.map((failure) => failure.itemIdentifier),
      [event.Records[2]!.messageId, event.Records[3]!.messageId, event.Records[4]!.messageId],
    )
  })

  it('a record whose event EventBridge did not accept stays on the queue; its retry puts it again', async () => {
    const [kept, deleted] = [freshCode(), freshCode()]
    stack.eventBridge.failEntries({ errorCode: 'InternalFailure', times: 1 })
    const event = sqsEvent([input(kept), input(deleted)])
    const response = (await container.queue(event, lambdaContext())) as SQSBatchResponse
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[0]!.messageId }])
    assert.equal(
      stack.simulator.state(kept),
      'UNAVAILABLE',
      'terminated, but not done until its event is out',
    )
    // SQS delivers it again: already_terminated, and this time the event is accepted.
    const retry = sqsEvent([input(kept)])
    retry.Records[0] = sqsRecord(retry.Records[0]!.body, 2)
    const second = (await container.queue(retry, lambdaContext())) as SQSBatchResponse
    assert.deepEqual(second.batchItemFailures, [])
    assert.deepEqual(
      details()
        .filter((detail) => detail.authorization_code === kept)
        .map((detail) => [detail.outcome, detail.receive_count]),
      [['already_terminated', 2]],
    )
  })

  it('an EventBridge outage keeps every record of the batch', async () => {
    stack.eventBridge.fail({ error: 'ThrottlingException' })
    const event = sqsEvent([input(freshCode()), input(freshCode())])
    const response = (await container.queue(event, lambdaContext())) as SQSBatchResponse
    assert.equal(response.batchItemFailures.length, 2)
  })

  it('an EventBridge that hangs keeps the records and answers before the Lambda deadline', async () => {
    stack.eventBridge.delayMs = Number.POSITIVE_INFINITY
    try {
      const started = Date.now()
      const event = sqsEvent([input(freshCode())])
      const response = (await container.queue(event, lambdaContext(6_000))) as SQSBatchResponse
      assert.equal(response.batchItemFailures.length, 1)
      assert.ok(Date.now() - started < 6_000, `answered in ${Date.now() - started} ms`)
    } finally {
      stack.eventBridge.delayMs = 0
    }
  })
})
