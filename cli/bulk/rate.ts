import { setTimeout as sleep } from 'node:timers/promises'

export interface RateDeps {
  /** ms, monotonic */
  now?: () => number
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>
}

/**
 * A token bucket of one token, refilled `perSecond` times a second: calls start at most that often
 * and evenly spaced, never in a burst (WeChat counts its rate limits per second). `take` resolves
 * when the caller may start a call, or rejects when `signal` aborts the wait.
 */
export function createRateLimiter(perSecond: number, deps: RateDeps = {}) {
  const now = deps.now ?? (() => performance.now())
  const wait = deps.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal }))
  const interval = 1000 / perSecond
  let next = Number.NEGATIVE_INFINITY
  return async function take(signal?: AbortSignal): Promise<void> {
    const at = Math.max(now(), next)
    next = at + interval
    const delay = at - now()
    if (delay > 0) await wait(delay, signal)
  }
}
