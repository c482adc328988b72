/** Turns the measurements into the table printed by `npm run bench` and docs/BENCHMARKS.md. */
import type { BatchResult } from './batch.ts'
import type { Bundle } from './bundle.ts'
import type { ColdResult } from './cold.ts'
import type { SecretsResult } from './secrets.ts'
import { median } from './shared.ts'
import type { WarmResult, WarmRow } from './warm.ts'

export interface Results {
  warm: WarmResult
  cold: ColdResult
  /** Concurrency 5 (the default), then 10. */
  batches: BatchResult[]
  /** TTL 300 s (the default), then 1 s. */
  secrets: SecretsResult[]
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

export function buildRows({ warm, cold, batches, secrets }: Results): Row[] {
  const cpu = (row: WarmRow) => us(perCall(warm, row))
  const handlerFloor = ratio(warm, 'handler', 'floor')
  const pluginOurs = ratio(warm, 'plugin', 'handler')
  const coldRatio = cold.oursMs / cold.pluginMs
  const rows: Row[] = [
    {
      figure: '1. Warm CPU per termination, HTTP handler ÷ floor (1 RSA-2048 sign + 1 verify)',
      measured: `${x(handlerFloor)} (${cpu('handler')} vs ${cpu('floor')})`,
      target: '≤ 3.00×',
      pass: handlerFloor <= 3,
    },
    context('   bare ky POST on loopback ÷ floor', `${x(ratio(warm, 'bareKy', 'floor'))} (${cpu('bareKy')})`),
    context('   bare fetch POST ÷ floor', `${x(ratio(warm, 'bareFetch', 'floor'))} (${cpu('bareFetch')})`),
    context(
      '   our WeChat Pay client alone ÷ floor',
      `${x(ratio(warm, 'client', 'floor'))} (${cpu('client')})`,
    ),
    {
      figure: '2. Warm CPU, wechatpay-axios-plugin ÷ HTTP handler (ours cheaper by)',
      measured: `${x(pluginOurs)} (plugin ${cpu('plugin')})`,
      target: '≥ 1.25×',
      pass: pluginOurs >= 1.25,
    },
    context('   plugin ÷ our client alone (like for like)', x(ratio(warm, 'plugin', 'client'))),
    context('   bare axios POST ÷ floor', `${x(ratio(warm, 'bareAxios', 'floor'))} (${cpu('bareAxios')})`),
    {
      figure: `3. Cold start to first result, bundled handler ÷ plugin (median of ${cold.runs})`,
      measured: `${x(coldRatio)} (${ms(cold.oursMs)} vs ${ms(cold.pluginMs)}; node -e '' ${ms(cold.baselineMs)})`,
      target: '≤ 1.00×',
      pass: coldRatio <= 1,
    },
    context(
      '   our client alone, keys given (plugin conditions) ÷ plugin',
      `${x(cold.clientMs / cold.pluginMs)} (${ms(cold.clientMs)})`,
    ),
    context(
      '   handler with linked source map under --enable-source-maps ÷ plugin',
      `${x(cold.mappedMs / cold.pluginMs)} (${ms(cold.mappedMs)})`,
    ),
  ]
  for (const batch of batches) {
    const value = batch.batchMs / batch.singleMs
    const measured = `${x(value)} (${ms(batch.batchMs)} vs ${ms(batch.singleMs)})`
    if (batch.concurrency === 'default') {
      rows.push({
        figure: `4. Queue batch of ${batch.records} ÷ batch of 1, 100 ms upstream (QUEUE_CONCURRENCY default, 10)`,
        measured,
        target: '≤ 1.50×',
        pass: value <= 1.5,
      })
    } else {
      rows.push(context(`   the same at QUEUE_CONCURRENCY ${batch.concurrency}`, measured))
    }
  }
  for (const run of secrets) {
    const allowed = Math.max(1, Math.ceil(run.elapsedSeconds / run.ttlSeconds))
    const how = run.parallel > 1 ? `, ${run.parallel} at a time` : ''
    rows.push({
      figure: `5. GetSecretValue per ${run.invocations.toLocaleString('en')} warm invocations, TTL ${run.ttlSeconds} s${how}`,
      measured: `${run.secretCalls} over ${run.elapsedSeconds.toFixed(1)} s`,
      target: `≤ 1 per TTL (${allowed})`,
      pass: run.secretCalls <= allowed,
    })
  }
  const memory = secrets[0]!
  const rss = `${memory.peakRssMiB.toFixed(0)} MiB (V8 new space ${memory.newSpaceMiB.toFixed(0)} MiB)`
  rows.push(context('   peak RSS of that measuring process (maxRSS)', rss))
  return rows
}

function context(figure: string, measured: string): Row {
  return { figure, measured, target: '(context)', pass: undefined }
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
      const figure = row.pass === undefined ? `↳ ${row.figure.trim()}` : row.figure
      return `| ${[figure, row.measured, row.target, verdict(row)].map(cell).join(' | ')} |`
    }),
  ].join('\n')
}

export function warmDetails(warm: WarmResult) {
  const labels: Record<WarmRow, string> = {
    floor: 'floor: 1 RSA-2048 sign + 1 verify (node:crypto)',
    bareFetch: 'bare fetch POST, 204 at once',
    bareKy: 'bare ky POST, 204 at once',
    bareAxios: 'bare axios POST, 204 at once',
    signedFetch: 'sign + one fetch to the simulator + verify, no ky and no retries',
    client: 'our client alone: postForNoContent (sign, ky, verify)',
    handler: 'HTTP handler, production bundle (middy, Powertools logs + EMF, use case, client)',
    plugin: 'wechatpay-axios-plugin terminate (sign, axios, verify)',
  }
  const rows = (Object.keys(labels) as WarmRow[]).map(
    (row) =>
      `| ${labels[row]} | ${Math.round(perCall(warm, row))} | ${ratio(warm, row, 'floor').toFixed(2)} |`,
  )
  return ['| Row | CPU µs per call | ÷ floor |', '| --- | --- | --- |', ...rows].join('\n')
}
