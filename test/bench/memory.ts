/**
 * Memory: a fresh process runs the production bundle of the HTTP handler as deployed (EVENT_BUS
 * set, so every call also puts its event) for one cold call and 1,000 warm ones, with the heap
 * limits Lambda gives a function of each memory size measured; its peak resident set (maxRSS) is
 * read after the cold call and at the end.
 */
import type { Bundle } from './bundle.ts'
import { drivers } from './drivers.ts'
import { handlerEnv, lambdaHeapFlags, median, type StackInfo } from './shared.ts'

export interface MemoryRun {
  memoryMb: number
  calls: number
  coldRssMiB: number
  peakRssMiB: number
  /** Median wall time of a warm call, for the record (loopback, this machine's full core). */
  warmMs: number
}

const CALLS = 1_000

/** One run per memory size, the deployed size of the HTTP function first. */
export async function measureMemory(
  stack: StackInfo,
  bundle: Bundle,
  sizesMb: number[],
): Promise<MemoryRun[]> {
  const run = await drivers(bundle)
  const env = handlerEnv(stack, {
    EVENT_BUS: 'payscore-bench',
    AWS_ENDPOINT_URL_EVENTBRIDGE: stack.eventBridgeUrl,
  })
  const runs: MemoryRun[] = []
  for (const memoryMb of sizesMb) {
    const { warm } = await run.handler(bundle.http, env, {
      warmCalls: CALLS,
      heap: lambdaHeapFlags(memoryMb),
    })
    if (!warm) throw new Error('the memory run printed no figures')
    runs.push({
      memoryMb,
      calls: CALLS,
      coldRssMiB: warm.coldRssMiB,
      peakRssMiB: warm.peakRssMiB,
      warmMs: median(warm.warmMs),
    })
  }
  return runs
}
