import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { readQueueInput, settleAll } from '../../functions/runtime/queue.ts'
import { eventBridgeEnvelope } from '../helpers/lambda.ts'

describe('readQueueInput', () => {
  it('reads the input JSON itself', () => assert.deepEqual(readQueueInput('{"a":1}'), { a: 1 }))
  it('unwraps the detail of an EventBridge event', () =>
    assert.deepEqual(readQueueInput(eventBridgeEnvelope({ a: 1 })), { a: 1 }))
  it('returns undefined for text that is not JSON', () => assert.equal(readQueueInput('{x'), undefined))
  it('ignores one leading byte order mark, as HTTP bodies do; not two', () => {
    assert.deepEqual(readQueueInput('\ufeff{"a":1}'), { a: 1 })
    assert.equal(readQueueInput('\ufeff\ufeff{"a":1}'), undefined)
  })
  it('keeps an object that only looks partly like an envelope', () =>
    assert.deepEqual(readQueueInput('{"detail":{"a":1}}'), { detail: { a: 1 } }))
})

describe('settleAll', () => {
  it('runs at most `limit` at once, keeps order and settles every item', async () => {
    let running = 0
    let peak = 0
    const results = await settleAll([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1
      peak = Math.max(peak, running)
      await sleep(5)
      running -= 1
      if (n % 2 === 0) throw new Error(`even ${n}`)
      return n * 10
    })
    assert.equal(peak, 3)
    assert.deepEqual(
      results.map((result) =>
        result.status === 'fulfilled' ? result.value : (result.reason as Error).message,
      ),
      [10, 'even 2', 30, 'even 4', 50, 'even 6', 70],
    )
  })

  it('starts everything at once when the limit allows', async () => {
    let running = 0
    let peak = 0
    await settleAll([1, 2, 3], 10, async () => {
      running += 1
      peak = Math.max(peak, running)
      await sleep(1)
      running -= 1
    })
    assert.equal(peak, 3)
  })
})
