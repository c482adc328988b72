/**
 * The first call over a realistic network: the production bundle against the simulator behind TLS
 * (this run's certificate, trusted through NODE_EXTRA_CA_CERTS in the measuring process only), once
 * on loopback and once behind a proxy adding 30 ms per round trip (TCP's handshake included, TLS's
 * by its own bytes). Each fresh process answers one cold call and then WARM_CALLS warm ones; the
 * proxy counts the round trips each kind made. The Secrets Manager stand-in stays on loopback: in
 * Lambda it is in the same region.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import type { Bundle } from './bundle.ts'
import { drivers } from './drivers.ts'
import { handlerEnv, median, type StackInfo, type StackStats, stackStats } from './shared.ts'

export interface NetworkSide {
  coldMs: number
  /** Median wall time of a warm call (one after another, on the connection kept alive). */
  warmMs: number
}

export interface NetworkResult {
  runs: number
  warmCalls: number
  roundTripMs: number
  /** What one round trip through the proxy really takes (an echo, timers and all): the figures' unit. */
  measuredRoundTripMs: number
  local: NetworkSide
  distant: NetworkSide & {
    /** Round trips to WeChat Pay's address during the cold call and per warm call. */
    coldRoundTrips: number
    warmRoundTrips: number
    coldConnections: number
    /** Milliseconds from spawn until the process opened its connection to WeChat Pay. */
    connectedAfterMs: number
  }
  /** Context: the do-it-yourself handler's cold call over the same network. */
  diyColdMs: number
}

const RUNS = 7
const WARM_CALLS = 10

/** Median round trip of a 1-byte echo through a proxy like the one in front of WeChat Pay. */
async function echoRoundTrip(url: string): Promise<number> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  socket.setNoDelay(true)
  await once(socket, 'connect')
  const times: number[] = []
  for (let ping = 0; ping < 11; ping++) {
    const started = performance.now()
    socket.write('x')
    await once(socket, 'data')
    if (ping > 0) times.push(performance.now() - started) // the first also waited for the handshake
  }
  socket.destroy()
  return median(times)
}

const counted = (after: StackStats['distant'], before: StackStats['distant']) => ({
  connections: after.connections - before.connections,
  roundTrips: after.roundTrips - before.roundTrips,
})

export async function measureNetwork(stack: StackInfo, bundle: Bundle): Promise<NetworkResult> {
  const run = await drivers(bundle)
  const trust = { NODE_EXTRA_CA_CERTS: stack.caFile, BENCH_CONTROL_URL: stack.controlUrl }
  const sides = { local: stack.tlsWechatpayUrl, distant: stack.distantWechatpayUrl }
  const samples = {
    localCold: [] as number[],
    localWarm: [] as number[],
    distantCold: [] as number[],
    distantWarm: [] as number[],
    coldRoundTrips: [] as number[],
    warmRoundTrips: [] as number[],
    coldConnections: [] as number[],
    connectedAfter: [] as number[],
    diyCold: [] as number[],
  }
  for (let round = -1; round < RUNS; round++) {
    const ordered = Object.entries(sides) as Array<['local' | 'distant', string]>
    for (const [side, url] of round % 2 ? ordered.reverse() : ordered) {
      const before = await stackStats(stack)
      const env = { ...handlerEnv(stack, { WECHATPAY_BASE_URL: url }), ...trust }
      const { ms, warm, spawnedAt } = await run.handler(bundle.http, env, { warmCalls: WARM_CALLS })
      if (!warm?.afterCold || !warm.afterWarm) throw new Error(`the ${side} run printed no warm figures`)
      if (round < 0) continue
      samples[`${side}Cold`].push(ms)
      samples[`${side}Warm`].push(median(warm.warmMs))
      if (side === 'distant') {
        const cold = counted(warm.afterCold.distant, before.distant)
        const warmCounts = counted(warm.afterWarm.distant, warm.afterCold.distant)
        samples.coldRoundTrips.push(cold.roundTrips)
        samples.coldConnections.push(cold.connections)
        samples.connectedAfter.push(warm.afterCold.distant.lastConnectionAt - spawnedAt)
        samples.warmRoundTrips.push(warmCounts.roundTrips / WARM_CALLS)
      }
    }
    const diyEnv = { ...handlerEnv(stack, { WECHATPAY_BASE_URL: stack.distantWechatpayUrl }), ...trust }
    const diy = await run.handler(bundle.diy, diyEnv, { nodeOptions: '' })
    if (round >= 0) samples.diyCold.push(diy.ms)
  }
  return {
    runs: RUNS,
    warmCalls: WARM_CALLS,
    roundTripMs: stack.roundTripMs,
    measuredRoundTripMs: await echoRoundTrip(stack.echoUrl),
    local: { coldMs: median(samples.localCold), warmMs: median(samples.localWarm) },
    distant: {
      coldMs: median(samples.distantCold),
      warmMs: median(samples.distantWarm),
      coldRoundTrips: median(samples.coldRoundTrips),
      warmRoundTrips: median(samples.warmRoundTrips),
      coldConnections: median(samples.coldConnections),
      connectedAfterMs: median(samples.connectedAfter),
    },
    diyColdMs: median(samples.diyCold),
  }
}
