import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRateLimiter } from '../../cli/bulk/rate.ts'

/** A clock that only moves when the limiter sleeps. */
function fakeTime() {
  let now = 1_000
  const slept: number[] = []
  return {
    slept,
    advance: (ms: number) => {
      now += ms
    },
    deps: {
      now: () => now,
      sleep: async (ms: number, signal: AbortSignal | undefined) => {
        signal?.throwIfAborted()
        slept.push(ms)
        now += ms
      },
    },
  }
}

describe('the rate limiter (a token bucket of one token)', () => {
  it('spaces calls evenly at the rate, the first one at once', async () => {
    const time = fakeTime()
    const take = createRateLimiter(10, time.deps)
    for (let index = 0; index < 5; index += 1) await take()
    assert.deepEqual(time.slept, [100, 100, 100, 100])
  })

  it('saves up no burst while idle', async () => {
    const time = fakeTime()
    const take = createRateLimiter(4, time.deps)
    await take()
    time.advance(10_000)
    await take()
    await take()
    assert.deepEqual(time.slept, [250])
  })

  it('takes fractional rates', async () => {
    const time = fakeTime()
    const take = createRateLimiter(0.5, time.deps)
    await take()
    await take()
    assert.deepEqual(time.slept, [2_000])
  })

  it('a wait rejects when its signal aborts (Ctrl-C)', async () => {
    const take = createRateLimiter(1)
    await take()
    const controller = new AbortController()
    const waiting = take(controller.signal)
    controller.abort()
    await assert.rejects(waiting, { name: 'AbortError' })
  })
})
