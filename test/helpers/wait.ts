import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Waits until `condition` holds, checking every few milliseconds, and fails after `timeoutMs`: a
 * test waits for what it needs, not a fixed time a busy machine may not keep.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await sleep(5)
  }
}
