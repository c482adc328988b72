/**
 * Cold start: wall time from spawning a fresh `node` to its first result, interleaved, medians kept:
 * (a) the production bundle of the HTTP handler completing one termination, its merchant secret
 * fetched from the Secrets Manager stand-in on the way, started with serverless.yml's NODE_OPTIONS;
 * (b) wechatpay-axios-plugin making the same call with its keys given directly; (c) the
 * do-it-yourself handler (diy-handler.ts: the plugin plus the SDK fetching the same secret), bundled
 * the same way; (d) `node -e ''` as the baseline; and context rows. The drivers are plain
 * JavaScript, so no type stripping is timed.
 */
import { createRequire } from 'node:module'
import type { Bundle } from './bundle.ts'
import { drivers, type Run, timeRun } from './drivers.ts'
import { BODY, freshCode, handlerEnv, median, type StackInfo } from './shared.ts'

export interface ColdResult {
  runs: number
  baselineMs: number
  oursMs: number
  pluginMs: number
  diyMs: number
  /** Context: the do-it-yourself handler built with our alias too (lambda-credentials.ts). */
  diyAliasedMs: number
  /** Context: our client alone, keys given directly (the plugin's conditions). */
  clientMs: number
  /** Context: ours started with --enable-source-maps, as deployed before issue 12 (the map beside it). */
  sourceMapsMs: number
  /** Context: ours with EVENT_BUS set, its first call also putting the outcome event. */
  withEventsMs: number
  /** CPU our cold process used up to its result (user + system, all threads). */
  oursCpuMs: number
  nodeOptions: string
}

const RUNS = 21
export async function measureColdStart(stack: StackInfo, bundle: Bundle): Promise<ColdResult> {
  const run = await drivers(bundle)
  const pluginPath = createRequire(import.meta.url).resolve('wechatpay-axios-plugin')
  const config = {
    mchid: stack.mchid,
    serial: stack.merchantSerial,
    privateKey: stack.merchantPrivateKeyPem,
    certs: { [stack.publicKeyId]: stack.wechatpayPublicKeyPem },
    baseURL: `${stack.wechatpayUrl}/`,
    headers: { 'Wechatpay-Serial': stack.publicKeyId },
  }
  const clientOptions = () => ({
    baseUrl: stack.wechatpayUrl,
    mchid: stack.mchid,
    serialNo: stack.merchantSerial,
    privateKeyPem: stack.merchantPrivateKeyPem,
    publicKeyId: stack.publicKeyId,
    publicKeyPem: stack.wechatpayPublicKeyPem,
    code: freshCode(),
    body: BODY,
  })
  const env = handlerEnv(stack)
  const events = { EVENT_BUS: 'payscore-bench', AWS_ENDPOINT_URL_EVENTBRIDGE: stack.eventBridgeUrl }
  const withSourceMaps = `${bundle.nodeOptions} --enable-source-maps`.trim()
  const rows = {
    baseline: () => timeRun(['-e', ''], run.base, undefined),
    ours: () => run.handler(bundle.http, env),
    plugin: () =>
      run.plugin({
        BENCH_PLUGIN_PATH: pluginPath,
        BENCH_PLUGIN: JSON.stringify({ config, body: BODY, code: freshCode() }),
      }),
    diy: () => run.handler(bundle.diy, env, { nodeOptions: '' }),
    diyAliased: () => run.handler(bundle.diyAliased, env, { nodeOptions: '' }),
    client: () => run.client({ BENCH_CLIENT: JSON.stringify(clientOptions()) }),
    sourceMaps: () => run.handler(bundle.http, env, { nodeOptions: withSourceMaps }),
    withEvents: () => run.handler(bundle.http, { ...env, ...events }),
  }
  const samples = Object.fromEntries(Object.keys(rows).map((row) => [row, [] as number[]])) as Record<
    keyof typeof rows,
    number[]
  >
  const oursCpu: number[] = []
  const order = Object.entries(rows)
  // One unrecorded round first: the files into the page cache, like a container's disk. Each round
  // starts one row further on, so no row always follows the same one (or the idle baseline).
  for (let round = -1; round < RUNS; round++) {
    const start = Math.max(0, round) % order.length
    for (const [row, measure] of [...order.slice(start), ...order.slice(0, start)]) {
      const result: Run & { cpuMs?: number } = await measure()
      if (round < 0) continue
      samples[row as keyof typeof rows].push(result.ms)
      if (row === 'ours') oursCpu.push(result.cpuMs ?? Number.NaN)
    }
  }
  return {
    runs: RUNS,
    baselineMs: median(samples.baseline),
    oursMs: median(samples.ours),
    pluginMs: median(samples.plugin),
    diyMs: median(samples.diy),
    diyAliasedMs: median(samples.diyAliased),
    clientMs: median(samples.client),
    sourceMapsMs: median(samples.sourceMaps),
    withEventsMs: median(samples.withEvents),
    oursCpuMs: median(oursCpu),
    nodeOptions: bundle.nodeOptions,
  }
}
