/**
 * The publisher with the production client settings (eventBridgeClient: two attempts of at most
 * 1.5 s), through the real SDK against the EventBridge stand-in.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import type { EventEntry } from '../../functions/events/entries.ts'
import { createPublisher, type EntryResult, eventBridgeClient } from '../../functions/events/publisher.ts'
import { startEventBridge } from '../../infra/local/eventbridge.ts'

const BASE = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }

async function setUp(t: TestContext) {
  const eb = await startEventBridge()
  const client = eventBridgeClient({ ...BASE, endpoint: eb.url })
  t.after(async () => {
    client.destroy()
    await eb.close()
  })
  return { eb, publisher: createPublisher({ client }) }
}

const entries = (count: number, DetailType = 'PayScore Authorization Termination'): EventEntry[] =>
  Array.from({ length: count }, (_, n) => ({
    Source: 'payscore-terminate',
    DetailType,
    Detail: JSON.stringify({ n }),
    EventBusName: 'payscore',
  }))

const soon = () => Date.now() + 4_000
const codes = (results: EntryResult[]) => results.map((r) => (r.accepted ? 'ok' : r.errorCode))

describe('publisher', () => {
  it('puts up to 10 entries in one PutEvents call, each accepted with its EventId', async (t) => {
    const { eb, publisher } = await setUp(t)
    const results = await publisher.publish(entries(10), soon())
    assert.equal(eb.calls.length, 1)
    assert.deepEqual(
      results.map((r) => r.accepted && r.eventId),
      eb.events.map((e) => e.eventId),
    )
    assert.deepEqual(
      eb.events.map((e) => e.detail),
      Array.from({ length: 10 }, (_, n) => ({ n })),
    )
  })

  it('puts more than 10 in calls of 10, results in the order given; nothing for nothing', async (t) => {
    const { eb, publisher } = await setUp(t)
    const results = await publisher.publish(entries(12), soon())
    assert.deepEqual(
      eb.calls.map((c) => c.entries).sort((a, b) => b - a),
      [10, 2],
    )
    assert.equal(results.length, 12)
    const idOf = new Map(eb.events.map((e) => [e.eventId, (e.detail as { n: number }).n]))
    assert.deepEqual(
      results.map((r) => (r.accepted ? idOf.get(r.eventId) : -1)),
      Array.from({ length: 12 }, (_, n) => n),
    )
    assert.deepEqual(await publisher.publish([], soon()), [])
    assert.equal(eb.calls.length, 2)
  })

  it('reports per-entry failures as EventBridge does, the others accepted', async (t) => {
    const { eb, publisher } = await setUp(t)
    eb.failEntries({ errorCode: 'InternalFailure', times: 1 })
    const malformed = { ...entries(1)[0]!, Detail: 'not json' }
    const results = await publisher.publish([...entries(2), malformed], soon())
    assert.deepEqual(codes(results), ['InternalFailure', 'ok', 'MalformedDetail'])
    assert.equal(eb.events.length, 1)
  })

  it('fails every entry when the call fails: throttled on both attempts', async (t) => {
    const { eb, publisher } = await setUp(t)
    eb.fail({ error: 'ThrottlingException' })
    const results = await publisher.publish(entries(3), soon())
    assert.deepEqual(codes(results), Array(3).fill('ThrottlingException'))
    assert.equal(eb.calls.length, 2, 'maxAttempts 2')
    assert.ok(results.every((r) => !r.accepted && !r.errorMessage.includes('{')))
  })

  it('an InternalException once is retried and the entries accepted', async (t) => {
    const { eb, publisher } = await setUp(t)
    eb.fail({ error: 'InternalException', times: 1 })
    assert.deepEqual(codes(await publisher.publish(entries(2), soon())), ['ok', 'ok'])
    assert.equal(eb.calls.length, 2)
  })

  it('answers by the deadline when EventBridge hangs: every entry DeadlineExceeded', async (t) => {
    const { eb, publisher } = await setUp(t)
    eb.delayMs = Number.POSITIVE_INFINITY
    const started = Date.now()
    const results = await publisher.publish(entries(2), Date.now() + 300)
    const elapsed = Date.now() - started
    assert.deepEqual(codes(results), ['DeadlineExceeded', 'DeadlineExceeded'])
    assert.ok(elapsed >= 250 && elapsed < 1_000, `answered after ${elapsed} ms`)
  })

  it('with time to spare, a hang is a timeout of its own after two attempts of 1.5 s', async (t) => {
    const { eb, publisher } = await setUp(t)
    eb.delayMs = Number.POSITIVE_INFINITY
    const started = Date.now()
    const results = await publisher.publish(entries(1), Date.now() + 10_000)
    const elapsed = Date.now() - started
    assert.deepEqual(codes(results), ['TimeoutError'])
    assert.equal(eb.calls.length, 2)
    assert.ok(elapsed >= 2_900 && elapsed < 4_500, `answered after ${elapsed} ms`)
  })

  it('a deadline already past sends nothing', async (t) => {
    const { eb, publisher } = await setUp(t)
    assert.deepEqual(codes(await publisher.publish(entries(1), Date.now() - 1)), ['DeadlineExceeded'])
    assert.equal(eb.calls.length, 0)
  })

  it('an endpoint where nothing listens fails every entry, by the error name', async (t) => {
    const server = createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const client = eventBridgeClient({ ...BASE, endpoint: `http://127.0.0.1:${port}` })
    t.after(() => client.destroy())
    const results = await createPublisher({ client }).publish(entries(2), soon())
    assert.equal(results.length, 2)
    assert.ok(
      results.every((r) => !r.accepted && r.errorCode !== ''),
      JSON.stringify(codes(results)),
    )
  })
})
