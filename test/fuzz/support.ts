import assert from 'node:assert/strict'
import type { WechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'

const CODE_IN_PATH = /^\/v3\/payscore\/partner\/permissions\/authorization-code\/([^/?]*)/

/** The authorization codes of the requests the simulator received after index `since`. */
export function codesSentSince(simulator: WechatPaySimulator, since: number): string[] {
  return simulator.requests.slice(since).map((request) => {
    const raw = CODE_IN_PATH.exec(request.url)?.[1]
    assert.ok(raw !== undefined, `unexpected request ${request.method} ${request.url}`)
    return decodeURIComponent(raw)
  })
}

/** Collects unhandled rejections for the whole file; a fuzz run must leave none. */
export function trackUnhandledRejections() {
  const reasons: unknown[] = []
  const listener = (reason: unknown) => {
    reasons.push(reason)
  }
  process.on('unhandledRejection', listener)
  return {
    reasons,
    assertNone() {
      assert.deepEqual(reasons.map(String), [], 'unhandled rejections')
    },
    stop() {
      process.off('unhandledRejection', listener)
    },
  }
}
