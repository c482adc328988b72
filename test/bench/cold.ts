/**
 * Cold start: wall time from spawning a fresh `node` to its first result, for (a) the production
 * bundle of the HTTP handler completing one termination, its merchant secret fetched from the
 * Secrets Manager stand-in on the way, (b) wechatpay-axios-plugin loaded and making the same call
 * with its keys given directly (no secret fetch), and (c) `node -e ''` as the baseline. The drivers
 * are plain JavaScript, so no type stripping is timed; the runs are interleaved and the medians kept.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { httpEvent } from '../helpers/lambda.ts'
import type { Bundle } from './bundle.ts'
import { track } from './children.ts'
import { BODY, freshCode, handlerEnv, median, type StackInfo } from './shared.ts'

export interface ColdResult {
  runs: number
  baselineMs: number
  oursMs: number
  pluginMs: number
  /** Our client alone, keys given directly: the plugin's conditions. */
  clientMs: number
  /** The handler with a linked source map, under --enable-source-maps (serverless.yml's setting). */
  mappedMs: number
}

const RUNS = 15
const MARK = 'BENCH_RESULT '

const OURS_DRIVER = `import { handler } from './http.mjs'
const context = { awsRequestId: 'cold', functionName: 'payscore-terminate-bench', getRemainingTimeInMillis: () => 15000 }
const response = await handler(JSON.parse(process.env.BENCH_EVENT), context)
process.stdout.write('\\n${MARK}' + response.statusCode + '\\n', () => process.exit(0))
`

const CLIENT_DRIVER = `import { terminateOnce } from './client.mjs'
const status = await terminateOnce(JSON.parse(process.env.BENCH_CLIENT))
process.stdout.write('\\n${MARK}' + status + '\\n', () => process.exit(0))
`

const PLUGIN_DRIVER = `const { Wechatpay } = require(process.env.BENCH_PLUGIN_PATH)
const options = JSON.parse(process.env.BENCH_PLUGIN)
const wxpay = new Wechatpay(options.config)
wxpay.v3.payscore.partner.permissions['authorization-code']['{authorization_code}'].terminate
  .post(options.body, { authorization_code: options.code })
  .then((response) => process.stdout.write('\\n${MARK}' + response.status + '\\n', () => process.exit(0)))
`

/** Milliseconds from spawn to the result line (or to exit, for the baseline); rejects on a wrong result. */
function timeRun(args: string[], env: Record<string, string>, expect: string | undefined) {
  return new Promise<number>((resolve, reject) => {
    const started = performance.now()
    const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }))
    let out = ''
    let err = ''
    let result: number | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((text) => text.startsWith(MARK))
      if (result === undefined && line) {
        result = performance.now() - started
        if (line.slice(MARK.length) !== expect) reject(new Error(`cold run answered ${line}: ${err}`))
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-2_000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (expect === undefined && code === 0) resolve(performance.now() - started)
      else if (result !== undefined) resolve(result)
      else reject(new Error(`cold run ended with ${code} and no result: ${err}`))
    })
  })
}

export async function measureColdStart(stack: StackInfo, bundle: Bundle): Promise<ColdResult> {
  const ours = join(bundle.dir, 'cold-ours.mjs')
  const plugin = join(bundle.dir, 'cold-plugin.cjs')
  await writeFile(ours, OURS_DRIVER)
  await writeFile(plugin, PLUGIN_DRIVER)
  const client = join(bundle.dir, 'cold-client.mjs')
  await writeFile(client, CLIENT_DRIVER)
  const mapped = join(dirname(bundle.mappedHttp), 'cold-ours.mjs')
  await writeFile(mapped, OURS_DRIVER)
  const { NODE_OPTIONS: _ignored, ...base } = process.env as Record<string, string>
  const pluginPath = createRequire(import.meta.url).resolve('wechatpay-axios-plugin')
  const config = {
    mchid: stack.mchid,
    serial: stack.merchantSerial,
    privateKey: stack.merchantPrivateKeyPem,
    certs: { [stack.publicKeyId]: stack.wechatpayPublicKeyPem },
    baseURL: `${stack.wechatpayUrl}/`,
    headers: { 'Wechatpay-Serial': stack.publicKeyId },
  }
  const clientOptions = (code: string) => ({
    baseUrl: stack.wechatpayUrl,
    mchid: stack.mchid,
    serialNo: stack.merchantSerial,
    privateKeyPem: stack.merchantPrivateKeyPem,
    publicKeyId: stack.publicKeyId,
    publicKeyPem: stack.wechatpayPublicKeyPem,
    code,
    body: BODY,
  })
  const samples = {
    baseline: [] as number[],
    ours: [] as number[],
    plugin: [] as number[],
    client: [] as number[],
    mapped: [] as number[],
  }
  // One unrecorded round first: the files into the page cache, like a container's disk.
  for (let run = -1; run < RUNS; run++) {
    if (run === 0) for (const list of Object.values(samples)) list.length = 0
    samples.baseline.push(await timeRun(['-e', ''], base, undefined))
    const event = JSON.stringify(httpEvent(freshCode(), BODY))
    samples.ours.push(await timeRun([ours], { ...base, ...handlerEnv(stack), BENCH_EVENT: event }, '200'))
    const options = JSON.stringify({ config, body: BODY, code: freshCode() })
    const env = { ...base, BENCH_PLUGIN_PATH: pluginPath, BENCH_PLUGIN: options }
    samples.plugin.push(await timeRun([plugin], env, '204'))
    const only = JSON.stringify(clientOptions(freshCode()))
    samples.client.push(await timeRun([client], { ...base, BENCH_CLIENT: only }, '204'))
    const again = { ...base, ...handlerEnv(stack), BENCH_EVENT: JSON.stringify(httpEvent(freshCode(), BODY)) }
    samples.mapped.push(await timeRun(['--enable-source-maps', mapped], again, '200'))
  }
  return {
    runs: RUNS,
    baselineMs: median(samples.baseline),
    oursMs: median(samples.ours),
    pluginMs: median(samples.plugin),
    clientMs: median(samples.client),
    mappedMs: median(samples.mapped),
  }
}
