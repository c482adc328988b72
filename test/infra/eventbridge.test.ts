import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge'
import { type EventBridgeOptions, startEventBridge } from '../../infra/local/eventbridge.ts'
import { scanLine } from '../leaks/scanner.ts'

const BASE = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A fresh stand-in and a real client that does not retry unless told to. */
async function setUp(t: TestContext, config: EventBridgeClientConfig = {}, options: EventBridgeOptions = {}) {
  const eb = await startEventBridge(options)
  const client = new EventBridgeClient({ ...BASE, endpoint: eb.url, maxAttempts: 1, ...config })
  t.after(async () => {
    client.destroy()
    await eb.close()
  })
  const put = (Entries: PutEventsRequestEntry[]) => client.send(new PutEventsCommand({ Entries }))
  return { eb, client, put }
}

const entry = (detail: object = { n: 1 }, DetailType = 'Test'): PutEventsRequestEntry => ({
  Source: 'payscore-terminate',
  DetailType,
  Detail: JSON.stringify(detail),
  EventBusName: 'payscore-bus',
})

describe('EventBridge stand-in: PutEvents through the real SDK', () => {
  it('accepts entries, answers an EventId each and records them with their Detail parsed', async (t) => {
    const { eb, put } = await setUp(t)
    const answer = await put([entry({ a: 1 }), { ...entry({ b: 2 }), EventBusName: undefined }])
    assert.equal(answer.FailedEntryCount, 0)
    assert.equal(answer.Entries?.length, 2)
    assert.ok(answer.Entries?.every((e) => UUID.test(e.EventId ?? '')))
    assert.deepEqual(
      eb.events.map((e) => [e.eventId, e.source, e.detailType, e.detail, e.eventBusName]),
      [
        [answer.Entries?.[0]?.EventId, 'payscore-terminate', 'Test', { a: 1 }, 'payscore-bus'],
        [answer.Entries?.[1]?.EventId, 'payscore-terminate', 'Test', { b: 2 }, 'default'],
      ],
    )
    assert.deepEqual(
      eb.calls.map((c) => [c.operation, c.entries]),
      [['PutEvents', 2]],
    )
  })

  it('fails entries the way the service does: InvalidArgument, MalformedDetail, counted', async (t) => {
    const { eb, put } = await setUp(t)
    const answer = await put([
      entry(),
      { ...entry(), Source: undefined },
      { ...entry(), Detail: '{"a":' },
      { ...entry(), Detail: '[1]' },
      { ...entry(), DetailType: undefined },
    ])
    assert.equal(answer.FailedEntryCount, 4)
    assert.deepEqual(
      answer.Entries?.map((e) => e.ErrorCode ?? 'ok'),
      ['ok', 'InvalidArgument', 'MalformedDetail', 'MalformedDetail', 'InvalidArgument'],
    )
    assert.match(answer.Entries?.[1]?.ErrorMessage ?? '', /Source/)
    assert.equal(eb.events.length, 1)
  })

  it('refuses more than 10 entries, or more than 256 KiB, as a whole (ValidationException)', async (t) => {
    const { eb, put } = await setUp(t)
    await assert.rejects(put(Array.from({ length: 11 }, () => entry())), { name: 'ValidationException' })
    await assert.rejects(put([entry({ big: 'x'.repeat(262_144) })]), { name: 'ValidationException' })
    assert.equal(eb.events.length, 0)
  })

  for (const error of [
    'ThrottlingException',
    'AccessDeniedException',
    'ResourceNotFoundException',
  ] as const) {
    it(`fails a whole call with ${error}, as the SDK names it`, async (t) => {
      const { eb, put } = await setUp(t)
      eb.fail({ error })
      await assert.rejects(put([entry()]), { name: error })
      eb.clearFaults()
      assert.equal((await put([entry()])).FailedEntryCount, 0)
    })
  }

  it('an InternalException (500) is retried by the SDK; `times` clears the fault', async (t) => {
    const { eb, put } = await setUp(t, { maxAttempts: 2 })
    eb.fail({ error: 'InternalException', times: 1 })
    assert.equal((await put([entry()])).FailedEntryCount, 0)
    assert.deepEqual(
      eb.calls.map((c) => c.attempt),
      ['attempt=1; max=2', 'attempt=2; max=2'],
    )
  })

  it('fails single entries on demand, by DetailType and a number of times', async (t) => {
    const { eb, put } = await setUp(t)
    eb.failEntries({ errorCode: 'InternalFailure', detailType: 'Closed', times: 1 })
    const answer = await put([
      entry({ n: 1 }, 'Opened'),
      entry({ n: 2 }, 'Closed'),
      entry({ n: 3 }, 'Closed'),
    ])
    assert.equal(answer.FailedEntryCount, 1)
    assert.deepEqual(
      answer.Entries?.map((e) => e.ErrorCode ?? 'ok'),
      ['ok', 'InternalFailure', 'ok'],
    )
    assert.deepEqual(
      eb.events.map((e) => e.detail),
      [{ n: 1 }, { n: 3 }],
    )
  })

  it('delays, or never answers until closed: the SDK times out', async (t) => {
    const { eb, put } = await setUp(t, {
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    })
    eb.delayMs = 50
    assert.equal((await put([entry()])).FailedEntryCount, 0)
    eb.delayMs = Number.POSITIVE_INFINITY
    const started = Date.now()
    await assert.rejects(put([entry()]), { name: 'TimeoutError' })
    assert.ok(Date.now() - started < 1_000)
    assert.equal(eb.events.length, 1)
  })

  it('is reached through AWS_ENDPOINT_URL_EVENTBRIDGE, as the functions reach it', async (t) => {
    const eb = await startEventBridge()
    const previous = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = eb.url
    const client = new EventBridgeClient({ ...BASE, maxAttempts: 1 })
    t.after(async () => {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE
      else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = previous
      client.destroy()
      await eb.close()
    })
    await client.send(new PutEventsCommand({ Entries: [entry()] }))
    assert.equal(eb.events.length, 1)
  })

  it('prints one line per accepted event: named fields, openids and codes masked, never the Detail', async (t) => {
    const lines: string[] = []
    const { put } = await setUp(t, {}, { print: (line) => lines.push(line) })
    const code = 'demo_authorization_0001'
    const openid = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'
    await put([
      entry({ authorization_code: code, openid, sub_openid: null }, 'PayScore Authorization Closed'),
      entry({ resource: { nested: { sub_openid: openid } } }, 'PayScore Notification'),
      { ...entry(), Detail: 'not json' },
    ])
    assert.equal(lines.length, 2)
    assert.match(lines[0]!, /^eventbridge: PayScore Authorization Closed on payscore-bus \{/)
    for (const line of lines) {
      assert.ok(!line.includes(code) && !line.includes(openid), line)
      assert.deepEqual(scanLine(line, { codes: [code, openid] }), [])
    }
    assert.match(lines[0]!, /"openid":"oUpF\*+eS6o"/)
    assert.ok(!lines[1]!.includes('resource'), 'a notification resource is never printed')
  })
})
