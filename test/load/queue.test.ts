/**
 * No loss under load: cancellation events on a real SQS protocol (fauxqs) with a redrive policy to a
 * DLQ, consumed by the REAL queue handler through a poller written here (what Lambda's event source
 * mapping does), with transient WeChat Pay faults. Every event must end terminated (or already
 * terminated) at WeChat, or in the DLQ; none may be lost.
 *
 *   node --test test/load/queue.test.ts                 # 2,000 events (also part of npm test)
 *   LOAD_EVENTS=20000 node --test test/load/queue.test.ts
 *
 * Figures: docs/LOAD.md.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { type FauxqsServer, startFauxqs } from 'fauxqs'
import type { Fault } from '../../infra/local/wechatpay-simulator.ts'
import { eventBridgeEnvelope, lambdaContext } from '../helpers/lambda.ts'
import { type Stack, startStack, VALID } from '../helpers/stack.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import { pemBodyLines } from '../leaks/scanner.ts'

const EVENTS = Number(process.env.LOAD_EVENTS ?? 2_000)
const SEED = Number(process.env.LOAD_SEED ?? 20261124)
/** Share of events whose code gets transient WeChat Pay faults (new codes only, not duplicates). */
const FAULTED = 0.1
/** Share of events sent twice (a producer retrying, EventBridge delivering twice). */
const DUPLICATED = 0.05
const VISIBILITY_TIMEOUT_S = 2
const MAX_RECEIVE_COUNT = 3
/** Each handler call tries WeChat at most this often; a faulted code consumes that many faults per receive. */
const MAX_ATTEMPTS = 2
const POLLERS = 4
const TIME_LIMIT_MS = Number(process.env.LOAD_TIME_LIMIT_MS ?? 50_000)
const TRANSIENT: Fault[] = ['server_error', 'unavailable', 'rate_limited', 'reset']

/** mulberry32: the same events, faults and order for the same seed. */
function rng(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

interface PlannedEvent {
  code: string
  body: string
  format: 'plain' | 'eventbridge'
  duplicate: boolean
}

interface Plan {
  events: PlannedEvent[]
  /** Faulted codes and how many faults each gets. */
  faults: Map<string, { fault: Fault; times: number }>
  /** Codes that must end in the DLQ: more faults than MAX_RECEIVE_COUNT receives can consume. */
  expectedDead: Set<string>
}

function plan(count: number, seed: number): Plan {
  const random = rng(seed)
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const events: PlannedEvent[] = []
  const faults = new Map<string, { fault: Fault; times: number }>()
  const expectedDead = new Set<string>()
  const healthy: string[] = []
  const body = (code: string, format: PlannedEvent['format'], index: number) => {
    const input = { ...VALID, authorization_code: code, trace_id: `t${index}` }
    return format === 'plain' ? JSON.stringify(input) : eventBridgeEnvelope(input)
  }
  for (let index = 0; index < count; index += 1) {
    const format = random() < 0.5 ? 'plain' : 'eventbridge'
    if (healthy.length > 0 && random() < DUPLICATED) {
      const code = pick(healthy)
      events.push({ code, body: body(code, format, index), format, duplicate: true })
      continue
    }
    // A few authorizations that WeChat already ended: done as already_terminated.
    const ended = random() < 0.02
    const code = ended ? `SIM_TERMINATED_L${seed % 1000}_${index}` : `load_${seed.toString(36)}_${index}`
    if (!ended && random() < FAULTED) {
      const times = 1 + Math.floor(random() * 8)
      faults.set(code, { fault: pick(TRANSIENT), times })
      if (times > MAX_ATTEMPTS * MAX_RECEIVE_COUNT - 1) expectedDead.add(code)
    } else {
      healthy.push(code)
    }
    events.push({ code, body: body(code, format, index), format, duplicate: false })
  }
  return { events, faults, expectedDead }
}

let stack: Stack
let fauxqs: FauxqsServer
let sqs: SQSClient
let handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>
let logs: () => string[]

before(async () => {
  stack = await startStack()
  const container = stack.container(
    {
      QUEUE_CONCURRENCY: '10',
      WECHATPAY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      WECHATPAY_ATTEMPT_TIMEOUT_MS: '1000',
      DEADLINE_MARGIN_MS: '300',
    },
    { quiet: true },
  )
  handler = container.queue as unknown as typeof handler
  logs = container.logs.text
  fauxqs = await startFauxqs({ port: 0, logger: false })
  sqs = new SQSClient({
    endpoint: fauxqs.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
})
after(async () => {
  sqs.destroy()
  await fauxqs.stop()
  await stack.close()
})

async function createQueues() {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'payscore-terminate-dlq' }))
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  )
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'payscore-terminate-cancellations',
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_TIMEOUT_S),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes!.QueueArn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    }),
  )
  const mainArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: main.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!
  return { mainUrl: main.QueueUrl!, mainArn, dlqUrl: dlq.QueueUrl! }
}

/** The SQS event Lambda would build from received messages. */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {}
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount!,
      SentTimestamp: attributes.SentTimestamp!,
      SenderId: attributes.SenderId ?? 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp!,
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  }
}

async function depth(queueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  )
  return (
    Number(Attributes.ApproximateNumberOfMessages) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed)
  )
}

describe('SQS under load, with transient WeChat Pay faults', () => {
  it(`loses none of ${EVENTS} events: each is terminated at WeChat Pay or in the DLQ`, async () => {
    const started = performance.now()
    const { events, faults, expectedDead } = plan(EVENTS, SEED)
    for (const [code, { fault, times }] of faults) stack.simulator.inject({ fault, code, times })
    const { mainUrl, mainArn, dlqUrl } = await createQueues()

    // Send, 10 per batch, a few batches at a time.
    const codeOf = new Map<string, string>()
    const batches = Array.from({ length: Math.ceil(events.length / 10) }, (_, index) =>
      events.slice(index * 10, index * 10 + 10),
    )
    for (let index = 0; index < batches.length; index += 8) {
      await Promise.all(
        batches.slice(index, index + 8).map(async (batch) => {
          const { Successful = [], Failed = [] } = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: mainUrl,
              Entries: batch.map((event, entry) => ({ Id: String(entry), MessageBody: event.body })),
            }),
          )
          assert.deepEqual(Failed, [])
          for (const sent of Successful) codeOf.set(sent.MessageId!, batch[Number(sent.Id)]!.code)
        }),
      )
    }
    assert.equal(codeOf.size, EVENTS, 'every event was accepted by SQS')
    const sentMs = performance.now() - started

    // Consume: what Lambda's event source mapping does, with ReportBatchItemFailures.
    const stats = { receives: 0, emptyReceives: 0, invocations: 0, records: 0, reported: 0, deletes: 0 }
    const deleted = new Set<string>()
    const handlerErrors: unknown[] = []
    const staleDeletes: string[] = []
    const stopAt = Date.now() + TIME_LIMIT_MS
    const maxReceives = EVENTS * (MAX_RECEIVE_COUNT + 2)
    const poller = async () => {
      while (Date.now() < stopAt && stats.receives < maxReceives) {
        stats.receives += 1
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: mainUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: [
              'ApproximateReceiveCount',
              'SentTimestamp',
              'ApproximateFirstReceiveTimestamp',
            ],
          }),
        )
        if (Messages.length === 0) {
          stats.emptyReceives += 1
          if ((await depth(mainUrl)) === 0) return
          continue
        }
        stats.invocations += 1
        stats.records += Messages.length
        let failed: Set<string>
        try {
          const response = await handler(
            { Records: Messages.map((message) => toRecord(message, mainArn)) },
            lambdaContext(VISIBILITY_TIMEOUT_S * 1000),
          )
          failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier))
        } catch (error) {
          // A failed invocation: Lambda leaves the whole batch on the queue.
          handlerErrors.push(error)
          continue
        }
        stats.reported += failed.size
        const done = Messages.filter((message) => !failed.has(message.MessageId!))
        if (done.length === 0) continue
        const { Successful = [], Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: mainUrl,
            Entries: done.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle!,
            })),
          }),
        )
        stats.deletes += Successful.length
        for (const entry of Successful) deleted.add(done[Number(entry.Id)]!.MessageId!)
        for (const entry of Failed) staleDeletes.push(done[Number(entry.Id)]!.MessageId!)
      }
    }
    await Promise.all(Array.from({ length: POLLERS }, poller))
    const consumedMs = performance.now() - started - sentMs

    // Drain the DLQ.
    const dead = new Map<string, number>()
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 300,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      )
      if (Messages.length === 0) break
      for (const message of Messages) {
        dead.set(message.MessageId!, Number(message.Attributes?.ApproximateReceiveCount))
      }
    }

    const states = new Map<string, number>()
    for (const code of new Set(codeOf.values())) {
      const state = String(stack.simulator.state(code))
      states.set(state, (states.get(state) ?? 0) + 1)
    }
    const report = {
      events: EVENTS,
      uniqueCodes: new Set(codeOf.values()).size,
      duplicates: events.filter((event) => event.duplicate).length,
      eventBridge: events.filter((event) => event.format === 'eventbridge').length,
      faultedCodes: faults.size,
      faultsInjected: [...faults.values()].reduce((sum, { times }) => sum + times, 0),
      expectedInDlq: expectedDead.size,
      deleted: deleted.size,
      inDlq: dead.size,
      lost: [...codeOf.keys()].filter((id) => !deleted.has(id) && !dead.has(id)).length,
      ...stats,
      staleDeletes: staleDeletes.length,
      handlerErrors: handlerErrors.length,
      wechatRequests: stack.simulator.requests.length,
      simulatorStates: Object.fromEntries(states),
      sendMs: Math.round(sentMs),
      consumeMs: Math.round(consumedMs),
      totalMs: Math.round(performance.now() - started),
    }
    console.log(`load: ${JSON.stringify(report)}`)

    assert.equal(handlerErrors.length, 0, `the handler threw: ${handlerErrors.map(String).join('; ')}`)
    assert.equal(await depth(mainUrl), 0, 'the main queue drained within the time limit')
    for (const id of codeOf.keys()) {
      assert.ok(!(deleted.has(id) && dead.has(id)), `${id} both deleted and dead-lettered`)
    }
    assert.equal(report.lost, 0, 'events neither done nor in the DLQ')
    for (const id of deleted) {
      const state = stack.simulator.state(codeOf.get(id)!)
      assert.ok(state === 'UNAVAILABLE', `deleted ${id} but WeChat Pay holds ${state}`)
    }
    const deadCodes = new Set([...dead.keys()].map((id) => codeOf.get(id)!))
    for (const code of deadCodes) {
      // Never terminated: AVAILABLE, or never processed at all (every terminate met a fault).
      const state = stack.simulator.state(code)
      assert.ok(state === 'AVAILABLE' || state === undefined, `${code} dead-lettered yet ${state}`)
    }
    for (const count of dead.values()) assert.ok(count > MAX_RECEIVE_COUNT)
    assert.deepEqual(
      [...deadCodes].sort(),
      [...expectedDead].sort(),
      'exactly the codes faulted past the limit',
    )
    assert.ok(expectedDead.size > 0 && deleted.size > EVENTS / 2, 'the plan exercises both ends')

    const lines = assertNoLeaks(logs(), {
      codes: codeOf.values(),
      secrets: pemBodyLines(stack.merchant.secret.merchant_private_key),
    })
    console.log(`load: ${lines} log lines scanned, no leaks`)
  })
})
