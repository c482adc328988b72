/**
 * The benchmark's fresh processes: small plain-JavaScript drivers written beside the bundles (so no
 * type stripping is timed), started with spawn() and timed from spawn to their result line. The
 * handler driver also makes warm calls after its cold one when asked (the network and memory
 * figures), printing what it measured as JSON.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpEvent } from '../helpers/lambda.ts'
import type { Bundle } from './bundle.ts'
import { track } from './children.ts'
import { BODY, freshCode, type StackStats } from './shared.ts'

export const MARK = 'BENCH_RESULT '
export const CPU_MARK = 'BENCH_CPU_MS '
export const JSON_MARK = 'BENCH_JSON '

/**
 * Imports a handler (BENCH_MODULE), answers BENCH_EVENT and prints its status at once, with the CPU
 * it used so far. Then, when BENCH_WARM_CALLS is set, answers that many more, each for a fresh
 * authorization code, one after another, and prints as JSON how long each took, the peak resident
 * set after the first call and at the end, and what the stand-ins counted after the first call and
 * after the last (BENCH_CONTROL_URL, when set).
 */
const HANDLER_DRIVER = `const { handler } = await import(process.env.BENCH_MODULE)
const event = JSON.parse(process.env.BENCH_EVENT)
const context = (id) => ({ awsRequestId: id, functionName: 'payscore-terminate-bench', getRemainingTimeInMillis: () => 15000 })
const first = await handler(event, context('cold'))
const { user, system } = process.cpuUsage()
process.stdout.write('\\n${MARK}' + first.statusCode + '\\n${CPU_MARK}' + (user + system) / 1000 + '\\n')
const calls = Number(process.env.BENCH_WARM_CALLS ?? 0)
if (calls > 0) {
  const stats = async () => process.env.BENCH_CONTROL_URL ? (await fetch(process.env.BENCH_CONTROL_URL + '/stats')).json() : undefined
  const rssMiB = () => process.resourceUsage().maxRSS / 1024
  const afterCold = await stats()
  const coldRssMiB = rssMiB()
  const warmMs = []
  const prefix = 'w' + process.pid.toString(36) + Date.now().toString(36)
  for (let index = 0; index < calls; index++) {
    const code = (prefix + '_' + index).slice(0, 32)
    const warm = { ...event, rawPath: '/v1/authorizations/' + code + '/terminate', pathParameters: { authorization_code: code } }
    const started = performance.now()
    const response = await handler(warm, context('warm' + index))
    warmMs.push(performance.now() - started)
    if (response.statusCode !== 200) throw new Error('warm call answered ' + response.statusCode)
  }
  const afterWarm = await stats()
  process.stdout.write('${JSON_MARK}' + JSON.stringify({ afterCold, afterWarm, warmMs, coldRssMiB, peakRssMiB: rssMiB() }) + '\\n')
}
process.stdout.write('', () => process.exit(0))
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

export interface Run {
  /** Epoch milliseconds at spawn. */
  spawnedAt: number
  /** Milliseconds from spawn to the result line. */
  ms: number
  /** Everything the process printed. */
  output: string
}

/** Spawns node with `args`; resolves when it exits, with when its result line came. */
export function timeRun(args: string[], env: Record<string, string>, expect: string | undefined) {
  return new Promise<Run>((resolve, reject) => {
    const started = performance.now()
    const spawnedAt = Date.now()
    const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }))
    let out = ''
    let err = ''
    let result: number | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((text) => text.startsWith(MARK))
      if (result === undefined && line) {
        result = performance.now() - started
        if (line.slice(MARK.length) !== expect) reject(new Error(`run answered ${line}: ${err}`))
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-2_000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (expect === undefined && code === 0)
        resolve({ spawnedAt, ms: performance.now() - started, output: out })
      else if (result !== undefined && code === 0) resolve({ spawnedAt, ms: result, output: out })
      else reject(new Error(`run ended with ${code} and no result: ${err}`))
    })
  })
}

export interface HandlerRunOptions {
  warmCalls?: number
  /** Instead of serverless.yml's NODE_OPTIONS. */
  nodeOptions?: string
  /** V8 heap flags (shared.ts lambdaHeapFlags). */
  heap?: string[]
}

/** What the handler driver prints after its warm calls. */
export interface WarmFigures {
  afterCold?: StackStats
  afterWarm?: StackStats
  warmMs: number[]
  coldRssMiB: number
  peakRssMiB: number
}

/** Writes the drivers beside the bundles; returns how to run each kind. */
export async function drivers(bundle: Bundle) {
  const handlerDriver = join(bundle.dir, 'drive-handler.mjs')
  const clientDriver = join(bundle.dir, 'drive-client.mjs')
  const pluginDriver = join(bundle.dir, 'drive-plugin.cjs')
  await writeFile(handlerDriver, HANDLER_DRIVER)
  await writeFile(clientDriver, CLIENT_DRIVER)
  await writeFile(pluginDriver, PLUGIN_DRIVER)
  const { NODE_OPTIONS: _ignored, ...base } = process.env as Record<string, string>
  const flags = (options: string) => options.split(/\s+/).filter(Boolean)
  // BENCH_PROFILE=1: a CPU profile of every fresh process too (its timings then mean little).
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'payscore-bench-profiles', 'cold')}`]
    : []
  return {
    base,
    /** `module` answering a cold call (and `warmCalls` more), started with `nodeOptions` and `heap` flags. */
    handler: async (module: string, env: Record<string, string>, options: HandlerRunOptions = {}) => {
      const args = [
        ...flags(options.nodeOptions ?? bundle.nodeOptions),
        ...(options.heap ?? []),
        ...profile,
        handlerDriver,
      ]
      const run = await timeRun(
        args,
        {
          ...base,
          ...env,
          BENCH_MODULE: module,
          BENCH_EVENT: JSON.stringify(httpEvent(freshCode(), BODY)),
          BENCH_WARM_CALLS: String(options.warmCalls ?? 0),
        },
        '200',
      )
      const lines = run.output.split('\n')
      const cpu = lines.find((line) => line.startsWith(CPU_MARK))
      const json = lines.find((line) => line.startsWith(JSON_MARK))
      return {
        ...run,
        cpuMs: Number(cpu?.slice(CPU_MARK.length)),
        warm: json ? (JSON.parse(json.slice(JSON_MARK.length)) as WarmFigures) : undefined,
      }
    },
    client: (env: Record<string, string>) => timeRun([...profile, clientDriver], { ...base, ...env }, '204'),
    plugin: (env: Record<string, string>) => timeRun([...profile, pluginDriver], { ...base, ...env }, '204'),
  }
}
