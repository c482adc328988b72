/**
 * `npm run bench`: builds the production bundles, starts the stand-ins in a process of their own,
 * runs each measurement in a fresh process and prints the table; exits 1 when a target is missed
 * (targets.ts). `npm run bench -- --write` also rewrites docs/BENCHMARKS.md.
 * BENCH_PROFILE=1 also writes a CPU profile of each measuring process under the temporary folder.
 */

import { rmSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BatchResult } from './batch.ts'
import { buildBundle } from './bundle.ts'
import { type ForkOptions, pin, runScript, startScript, stopScript } from './children.ts'
import { measureColdStart } from './cold.ts'
import { findings } from './findings.ts'
import { measureMemory } from './memory.ts'
import { measureNetwork } from './network.ts'
import { buildRows, markdownTable, type Results, warmDetails } from './report.ts'
import type { SecretsResult } from './secrets.ts'
import { lambdaHeapFlags, type StackInfo } from './shared.ts'
import { benchOptions, conclude } from './targets.ts'
import type { WarmResult } from './warm.ts'

const ROOT = new URL('../../', import.meta.url).pathname
// Before any work: a mistyped flag must not cost a whole run.
let options: { write: boolean }
try {
  options = benchOptions(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
}
const started = performance.now()
const log = (message: string) =>
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`,
  )

// Two cores or more: the stand-ins on the last, every measuring process on the first.
const pinning = availableParallelism() >= 2
const measuring = (script: string, env: Record<string, string>, execArgv: string[] = []): ForkOptions => ({
  env,
  execArgv: [
    ...execArgv,
    ...(process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'payscore-bench-profiles', script)}`]
      : []),
  ],
  ...(pinning ? { pinCpu: 0 } : {}),
})

/** Share of all CPUs busy over half a second (Linux /proc/stat; elsewhere the 1-minute load average). */
async function busyShare() {
  const sample = async () =>
    (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1).map(Number)
  try {
    const before = await sample()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = await sample()
    const delta = after.map((value, index) => value - before[index]!)
    const total = delta.reduce((sum, value) => sum + value, 0)
    return total > 0 ? 1 - (delta[3]! + delta[4]!) / total : 0
  } catch {
    return Math.min(1, loadavg()[0]! / availableParallelism())
  }
}

// Other work on the machine skews every figure (RSA most): say so rather than report quietly.
const busyAtStart = await busyShare()
const busy = busyAtStart > 0.1
if (busy)
  log(
    `warning: ${(busyAtStart * 100).toFixed(0)} % of the CPUs busy before starting: the figures will be noisy`,
  )
log('building the production bundles (esbuild, serverless-esbuild options)')
const bundle = await buildBundle()
// Also on Ctrl-C, which ends the process through children.ts's handler.
process.once('exit', () => rmSync(bundle.dir, { recursive: true, force: true }))
const { child: stackProcess, info: stack } = await startScript<StackInfo>('stack.ts')
if (pinning) pin(stackProcess, availableParallelism() - 1)
let results: Results
try {
  const env = {
    BENCH_STACK: JSON.stringify(stack),
    BENCH_HANDLER: bundle.http,
    BENCH_QUEUE_HANDLER: bundle.queue,
  }
  const heap = (name: string) => lambdaHeapFlags(bundle.memoryMb[name] ?? 1024)
  log('1. warm CPU per call: floor, bare POSTs, our client, the HTTP handler, wechatpay-axios-plugin')
  const warm = await runScript<WarmResult>(
    'warm.ts',
    measuring('warm', env, ['--expose-gc', ...heap('http')]),
  )
  log('2. cold start: fresh processes, interleaved')
  const cold = await measureColdStart(stack, bundle)
  log(`3. the first call over a network of ${stack.roundTripMs} ms a round trip, TLS`)
  const network = await measureNetwork(stack, bundle)
  log('4. queue batches at 100 ms upstream latency, EVENT_BUS set')
  const batches = [
    await runScript<BatchResult>('batch.ts', measuring('batch', env, heap('queue'))),
    await runScript<BatchResult>(
      'batch.ts',
      measuring('batch', { ...env, BENCH_QUEUE_CONCURRENCY: '5' }, heap('queue')),
    ),
  ]
  log('5. peak RSS over 1,000 warm calls, at the deployed memory size and below')
  const sizes = [...new Set([bundle.memoryMb.http ?? 1024, 512, 256])]
  const memory = await measureMemory(stack, bundle, sizes)
  log('GetSecretValue per 1,000 warm invocations')
  const shortTtl = { BENCH_TTL_SECONDS: '1', BENCH_SPREAD_MS: '4000', BENCH_PARALLEL: '5' }
  const secrets = [
    await runScript<SecretsResult>('secrets.ts', measuring('secrets', env, heap('http'))),
    await runScript<SecretsResult>('secrets.ts', measuring('secrets', { ...env, ...shortTtl }, heap('http'))),
  ]
  results = { warm, cold, network, batches, secrets, memory, bundle }
} finally {
  await stopScript(stackProcess)
}

const rows = buildRows(results)
const seconds = (performance.now() - started) / 1000
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  node: process.version,
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  load: `${(busyAtStart * 100).toFixed(0)} % of the CPUs busy with other work at the start${busy ? ' (figures are noisier than on a quiet machine)' : ''}`,
}
log(`done in ${seconds.toFixed(0)} s`)

const markdown = () => `# Benchmarks

Written by \`npm run bench -- --write\` (test/bench/run.ts) on ${machine.date}: ${machine.cpu}, ${machine.cores} cores,
Node ${machine.node}, ${machine.load}; ${seconds.toFixed(0)} s for the whole run. Every figure below comes from that one run.

To reproduce: \`npm ci && npm run bench\` (loopback only, ${seconds < 60 ? 'under a minute' : `about ${Math.ceil(seconds / 60)} minutes`} on ${machine.cores} cores). It prints this table, ends with a one-line summary of the missed targets and exits 1 if there is any (0 when every target is met); it leaves this file as it is unless given \`-- --write\`. \`BENCH_PROFILE=1 npm run bench\` also writes a CPU profile of each measuring process to \`payscore-bench-profiles/\` in the system temp folder.

${markdownTable(rows)}

## Warm CPU per call, side by side

Median over ${results.warm.rounds} interleaved rounds of ${results.warm.callsPerRound} calls each; the ratio column
is the median of the per-round ratios (each row against the floor measured in the same round).

${warmDetails(results.warm)}

${findings(results)}
`
process.exitCode = await conclude(rows, markdown, options, {
  print: (text) => process.stdout.write(text),
  writeDoc: (text) => writeFile(join(ROOT, 'docs/BENCHMARKS.md'), text),
})
