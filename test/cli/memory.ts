/**
 * Peak memory of `bulk-terminate` by input size: the real CLI process against a local Lambda Invoke
 * API that answers at once (fake-lambda.ts), on CSV files generated here. Flat figures mean the
 * input is streamed, not loaded. Each size is also run a second time over the same RESULTS.csv,
 * where every row is skipped: that run holds the earlier results (the row book) in memory.
 *
 *   npm run cli:memory                       # 10,000, 100,000 and 1,000,000 rows (a few minutes)
 *   npm run cli:memory -- 20000              # any sizes
 *   CLI_MEMORY_RATE=20 npm run cli:memory -- 2000   # at a given --rate (default: as fast as it goes)
 *
 * Figures: docs/OPERATIONS.md. npm test runs test/cli/scale.test.ts instead (a large file through a
 * small heap).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeLambda } from './fake-lambda.ts'
import { BIN } from './helpers.ts'

const PRELOAD = fileURLToPath(new URL('./max-rss.mjs', import.meta.url))

export interface Measurement {
  rows: number
  /** Peak RSS of the CLI process, MiB. */
  peakMiB: number
  seconds: number
  exitCode: number | null
  /** Data rows in RESULTS.csv afterwards. */
  resultRows: number
}

/**
 * `rows` rows of distinct codes; `padding` extra characters per row in a column the CLI keeps but
 * never sends; `invalid` codes no row may have (a `/`), so that no row costs a call.
 */
export async function writeInput(
  path: string,
  rows: number,
  { padding = 0, invalid = false } = {},
): Promise<void> {
  const file = createWriteStream(path)
  const pad = 'p'.repeat(padding)
  const prefix = invalid ? 'bad/' : 'mem_'
  file.write('authorization_code,user_ref,reason\n')
  for (let start = 0; start < rows; start += 10_000) {
    let chunk = ''
    for (let index = start; index < Math.min(rows, start + 10_000); index += 1) {
      chunk += `${prefix}${index.toString(36)},${pad}u${index},用户申请解除授权\n`
    }
    if (!file.write(chunk)) await once(file, 'drain')
  }
  file.end()
  await once(file, 'finish')
}

export async function countLines(path: string): Promise<number> {
  let lines = 0
  for await (const chunk of createReadStream(path)) {
    for (const byte of chunk as Buffer) if (byte === 0x0a) lines += 1
  }
  return lines
}

/** One run of the real CLI over `input`, appending to `output`. */
export async function measure(
  input: string,
  output: string,
  rows: number,
  lambdaUrl: string,
): Promise<Measurement> {
  const rssFile = `${output}.rss`
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [
      '--import',
      PRELOAD,
      BIN,
      '--stage',
      'local',
      'bulk-terminate',
      '--input',
      input,
      '--output',
      output,
      '--service-id',
      '500001',
      '--sub-mchid',
      '1900000109',
      '--rate',
      process.env.CLI_MEMORY_RATE ?? '100000',
      '--concurrency',
      '32',
    ],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
        MAX_RSS_FILE: rssFile,
        PAYSCORE_CLI_PROGRESS_INTERVAL_MS: '600000',
      },
    },
  )
  const [exitCode] = (await once(child, 'exit')) as [number | null]
  return {
    rows,
    peakMiB: Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    exitCode,
    resultRows: (await countLines(output)) - 1,
  }
}

if (import.meta.main) {
  const sizes = process.argv.slice(2).map(Number)
  const dir = mkdtempSync(join(tmpdir(), 'cli-memory-'))
  const lambda = await startFakeLambda()
  try {
    console.log('rows       | first run: peak RSS, time | resume (all skipped): peak RSS, time')
    for (const rows of sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]) {
      const input = join(dir, `input-${rows}.csv`)
      const output = join(dir, `results-${rows}.csv`)
      await writeInput(input, rows)
      const first = await measure(input, output, rows, lambda.url)
      const resume = await measure(input, output, rows, lambda.url)
      if (
        first.exitCode !== 0 ||
        first.resultRows !== rows ||
        resume.exitCode !== 0 ||
        resume.resultRows !== rows
      ) {
        throw new Error(`run over ${rows} rows went wrong: ${JSON.stringify({ first, resume })}`)
      }
      console.log(
        `${String(rows).padEnd(10)} | ${first.peakMiB} MiB, ${first.seconds} s | ${resume.peakMiB} MiB, ${resume.seconds} s`,
      )
      rmSync(input)
      rmSync(output)
    }
  } finally {
    await lambda.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
