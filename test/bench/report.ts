/** Turns the measurements into the table printed by `npm run bench` and docs/BENCHMARKS.md. */
import type { BatchResult } from './batch.ts'
import type { Bundle } from './bundle.ts'
import type { ColdResult } from './cold.ts'
import type { MemoryRun } from './memory.ts'
import type { NetworkResult } from './network.ts'
import type { SecretsResult } from './secrets.ts'
import { median } from './shared.ts'
import type { WarmResult, WarmRow } from './warm.ts'

export interface Results {
  warm: WarmResult
  cold: ColdResult
  network: NetworkResult
  /** QUEUE_CONCURRENCY default (10), then 5. */
  batches: BatchResult[]
  /** TTL 300 s (the default), then 1 s. */
  secrets: SecretsResult[]
  /** The HTTP function's deployed memory size first, then smaller ones. */
  memory: MemoryRun[]
  bundle: Bundle
}

export interface Row {
  figure: string
  measured: string
  target: string
  /** undefined: shown for context, no target. */
  pass: boolean | undefined
}

const x = (value: number) => `${value.toFixed(2)}×`
const us = (value: number) => `${Math.round(value)} µs`
const ms = (value: number) => `${value.toFixed(0)} ms`

/** Median over the rounds of row a ÷ row b measured in the same round. */
export function ratio(warm: WarmResult, a: WarmRow, b: WarmRow) {
  return median(warm.samples[a].map((value, round) => value / warm.samples[b][round]!))
}

export const perCall = (warm: WarmResult, row: WarmRow) => median(warm.samples[row])

/** The network figure's floors: what no client could do better, in the proxy's real round trips. */
export function networkFloors(network: NetworkResult) {
  const trip = network.measuredRoundTripMs
  return {
    // The secret fetch and WeChat's TCP and TLS handshakes overlap the cold start; one round trip
    // for the request is left (or the handshakes themselves, were the cold start shorter).
    cold: Math.max(network.local.coldMs, 2 * trip) + trip,
    warm: network.local.warmMs + trip,
  }
}

function target(figure: string, measured: string, bound: string, pass: boolean): Row {
  return { figure, measured, target: bound, pass }
}

function context(figure: string, measured: string): Row {
  return { figure, measured, target: '(context)', pass: undefined }
}

export function buildRows({ warm, cold, network, batches, secrets, memory }: Results): Row[] {
  const cpu = (row: WarmRow) => us(perCall(warm, row))
  const floorRatio = (row: WarmRow) => `${x(ratio(warm, row, 'floor'))} (${cpu(row)})`
  const handlerFloor = ratio(warm, 'handler', 'floor')
  const pluginOurs = ratio(warm, 'plugin', 'handler')
  const coldPlugin = cold.oursMs / cold.pluginMs
  const coldDiy = cold.oursMs / cold.diyMs
  const floors = networkFloors(network)
  const networkCold = network.distant.coldMs / floors.cold
  const networkWarm = network.distant.warmMs / floors.warm
  const rows: Row[] = [
    target(
      '1. Warm CPU per termination, HTTP handler ÷ floor (1 RSA-2048 sign + 1 verify)',
      `${x(handlerFloor)} (${cpu('handler')} vs ${cpu('floor')})`,
      '≤ 3.00×',
      handlerFloor <= 3,
    ),
    context('   bare node:http POST (what the transport is built on) ÷ floor', floorRatio('bareHttp')),
    context('   bare fetch POST ÷ floor', floorRatio('bareFetch')),
    context('   bare ky POST over our transport ÷ floor', floorRatio('bareKy')),
    context('   our WeChat Pay client alone ÷ floor', floorRatio('client')),
    context(
      '   HTTP handler with EVENT_BUS set (one PutEvents per call) ÷ floor',
      floorRatio('handlerEvents'),
    ),
    target(
      '1. Warm CPU, wechatpay-axios-plugin ÷ HTTP handler (ours cheaper by)',
      `${x(pluginOurs)} (plugin ${cpu('plugin')})`,
      '≥ 1.25×',
      pluginOurs >= 1.25,
    ),
    context('   plugin ÷ our client alone (like for like)', x(ratio(warm, 'plugin', 'client'))),
    context('   plugin ÷ HTTP handler with EVENT_BUS set', x(ratio(warm, 'plugin', 'handlerEvents'))),
    context('   bare axios POST ÷ floor', floorRatio('bareAxios')),
    target(
      `2. Cold first call, bundled handler ÷ plugin given its keys (median of ${cold.runs})`,
      `${x(coldPlugin)} (${ms(cold.oursMs)} vs ${ms(cold.pluginMs)}; node -e '' ${ms(cold.baselineMs)})`,
      '≤ 1.00×',
      coldPlugin <= 1,
    ),
    target(
      '2. Cold first call, bundled handler ÷ do-it-yourself (plugin + SDK secret fetch)',
      `${x(coldDiy)} (${ms(cold.oursMs)} vs ${ms(cold.diyMs)})`,
      '≤ 0.80×',
      coldDiy <= 0.8,
    ),
    context(
      '   do-it-yourself built with our alias too (env credentials only)',
      `${x(cold.oursMs / cold.diyAliasedMs)} (${ms(cold.diyAliasedMs)})`,
    ),
    context(
      '   our client alone, keys given (plugin conditions) ÷ plugin',
      `${x(cold.clientMs / cold.pluginMs)} (${ms(cold.clientMs)})`,
    ),
    context(
      '   handler under --enable-source-maps (the deployed setting before) ÷ plugin',
      `${x(cold.sourceMapsMs / cold.pluginMs)} (${ms(cold.sourceMapsMs)})`,
    ),
    context(
      '   handler with EVENT_BUS set (its first call also puts the event) ÷ plugin',
      `${x(cold.withEventsMs / cold.pluginMs)} (${ms(cold.withEventsMs)})`,
    ),
    target(
      `3. First call over the network (${network.roundTripMs} ms a round trip, TLS), cold ÷ floor`,
      `${x(networkCold)} (${ms(network.distant.coldMs)} vs ${ms(floors.cold)}; ${network.distant.coldRoundTrips} round trips)`,
      '≤ 1.20×',
      networkCold <= 1.2,
    ),
    target(
      '3. Warm call over the same network ÷ (1 round trip + the call on loopback)',
      `${x(networkWarm)} (${ms(network.distant.warmMs)} vs ${ms(floors.warm)}; ${network.distant.warmRoundTrips} round trip)`,
      '≤ 1.10×',
      networkWarm <= 1.1,
    ),
    context(
      '   one round trip through the proxy, measured',
      `${network.measuredRoundTripMs.toFixed(1)} ms; cold on loopback ${ms(network.local.coldMs)}, warm ${network.local.warmMs.toFixed(1)} ms`,
    ),
    context(
      '   WeChat Pay connection opened after spawn (node starts, the bundle compiles)',
      `${ms(network.distant.connectedAfterMs)} (node -e '' ${ms(cold.baselineMs)})`,
    ),
    context(
      '   do-it-yourself cold over the same network ÷ ours',
      `${x(network.diyColdMs / network.distant.coldMs)} (${ms(network.diyColdMs)})`,
    ),
  ]
  for (const batch of batches) {
    const value = batch.batchMs / batch.singleMs
    const measured = `${x(value)} (${ms(batch.batchMs)} vs ${ms(batch.singleMs)}; ${batch.putEventsPerBatch} PutEvents a batch)`
    if (batch.concurrency === 'default') {
      rows.push(
        target(
          `4. Queue batch of ${batch.records} ÷ batch of 1, 100 ms upstream, EVENT_BUS set (QUEUE_CONCURRENCY 10)`,
          measured,
          '≤ 1.20×',
          value <= 1.2,
        ),
      )
    } else {
      rows.push(context(`   the same at QUEUE_CONCURRENCY ${batch.concurrency}`, measured))
    }
  }
  for (const run of memory) {
    const share = Math.min(1, run.memoryMb / 1769)
    rows.push(
      context(
        `5. Peak RSS, ${run.calls.toLocaleString('en')} warm calls with EVENT_BUS, heap as Lambda sets it at ${run.memoryMb} MB`,
        `${run.peakRssMiB.toFixed(0)} MiB (${run.coldRssMiB.toFixed(0)} after the cold call; ${(share * 100).toFixed(0)} % of a vCPU)`,
      ),
    )
  }
  for (const run of secrets) {
    const allowed = Math.max(1, Math.ceil(run.elapsedSeconds / run.ttlSeconds))
    const how = run.parallel > 1 ? `, ${run.parallel} at a time` : ''
    rows.push(
      target(
        `Secrets: GetSecretValue per ${run.invocations.toLocaleString('en')} warm invocations, TTL ${run.ttlSeconds} s${how}`,
        `${run.secretCalls} over ${run.elapsedSeconds.toFixed(1)} s`,
        `≤ 1 per TTL (${allowed})`,
        run.secretCalls <= allowed,
      ),
    )
  }
  return rows
}

const verdict = (row: Row) => (row.pass === undefined ? '' : row.pass ? 'PASS' : 'MISS')

export function formatTable(rows: readonly Row[]) {
  const widths = [
    Math.max(...rows.map((row) => row.figure.length)),
    Math.max(...rows.map((row) => row.measured.length)),
    Math.max(...rows.map((row) => row.target.length)),
  ]
  return rows
    .map((row) =>
      [
        row.figure.padEnd(widths[0]!),
        row.measured.padEnd(widths[1]!),
        row.target.padEnd(widths[2]!),
        verdict(row),
      ]
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function markdownTable(rows: readonly Row[]) {
  const cell = (text: string) => text.trim().replaceAll('|', '\\|')
  return [
    '| Figure | Measured | Target | Result |',
    '| --- | --- | --- | --- |',
    // Context rows, indented in the terminal, are marked with an arrow here.
    ...rows.map((row) => {
      const figure =
        row.pass === undefined && row.figure.startsWith(' ') ? `↳ ${row.figure.trim()}` : row.figure
      return `| ${[figure, row.measured, row.target, verdict(row)].map(cell).join(' | ')} |`
    }),
  ].join('\n')
}

export function warmDetails(warm: WarmResult) {
  const labels: Record<WarmRow, string> = {
    floor: 'floor: 1 RSA-2048 sign + 1 verify (node:crypto)',
    bareFetch: 'bare fetch POST, 204 at once',
    bareHttp: 'bare node:http POST, keep-alive, 204 at once',
    bareKy: 'bare ky POST over our transport, 204 at once',
    bareAxios: 'bare axios POST, 204 at once',
    signedHttp: 'sign + one node:http POST to the simulator + verify, no library',
    client: 'our client alone: postForNoContent (sign, ky over the transport, verify)',
    handler: 'HTTP handler, production bundle (middy, Powertools logs + EMF, use case, client)',
    handlerEvents: 'the same with EVENT_BUS set: one PutEvents per call (AWS SDK)',
    plugin: 'wechatpay-axios-plugin terminate (sign, axios, verify)',
  }
  const rows = (Object.keys(labels) as WarmRow[]).map(
    (row) =>
      `| ${labels[row]} | ${Math.round(perCall(warm, row))} | ${ratio(warm, row, 'floor').toFixed(2)} |`,
  )
  return ['| Row | CPU µs per call | ÷ floor |', '| --- | --- | --- |', ...rows].join('\n')
}
