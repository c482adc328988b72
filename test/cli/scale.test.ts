/**
 * bulk-terminate at scale, through the real CLI process against a local Lambda Invoke API that
 * answers at once (fake-lambda.ts): every row once, --concurrency and --rate held, and the input
 * streamed (a file far larger than the heap it is given). Peak memory by size: memory.ts.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { startFakeLambda } from './fake-lambda.ts'
import { BIN, finished, readResults, runCli, spawnCli } from './helpers.ts'
import { countLines, writeInput } from './memory.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-scale-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const IDS = ['--service-id', '500001', '--sub-mchid', '1900000109']
const bulk = (name: string, ...more: string[]) => [
  '--stage',
  'local',
  'bulk-terminate',
  '--input',
  join(dir, `${name}.csv`),
  '--output',
  join(dir, `${name}-results.csv`),
  ...IDS,
  ...more,
]

describe('bulk-terminate at scale', () => {
  it('2,000 rows: one call and one result row each; at most --concurrency calls in flight, and all of them used', async () => {
    const lambda = await startFakeLambda(5)
    try {
      await writeInput(join(dir, 'many.csv'), 2_000)
      const run = await runCli(bulk('many', '--concurrency', '6', '--rate', '100000'), {
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      })
      assert.equal(run.code, 0, run.stderr)
      const rows = readResults(join(dir, 'many-results.csv'))
      assert.equal(rows.length, 2_000)
      assert.equal(new Set(rows.map((row) => row.authorization_code)).size, 2_000)
      assert.ok(rows.every((row) => row.outcome === 'terminated'))
      assert.equal(lambda.invocations(), 2_000)
      assert.equal(lambda.peakConcurrency(), 6)
    } finally {
      await lambda.close()
    }
  })

  it('--rate: calls start evenly, about the rate in any second', async () => {
    const lambda = await startFakeLambda()
    try {
      await writeInput(join(dir, 'paced.csv'), 30)
      const run = await runCli(bulk('paced', '--rate', '20'), { AWS_ENDPOINT_URL_LAMBDA: lambda.url })
      assert.equal(run.code, 0, run.stderr)
      const times = lambda.arrivals
      assert.equal(times.length, 30)
      // Arrivals are timed by this busy process, so a few may bunch up (29 intervals of 50 ms take
      // 1,450 ms); without the limit all 30 arrive within a few milliseconds.
      assert.ok(times.at(-1)! - times[0]! >= 1_100, `30 calls at 20/s took ${times.at(-1)! - times[0]!} ms`)
      for (const [index, time] of times.entries()) {
        const inSecond = times.filter((other) => other >= time && other < time + 1000).length
        assert.ok(inSecond <= 24, `${inSecond} calls in the second after call ${index}`)
      }
    } finally {
      await lambda.close()
    }
  })

  it('on a terminal (a pseudo-terminal from util-linux script), progress is a bar with rows, rate, ETA and counts', async () => {
    const lambda = await startFakeLambda()
    try {
      await writeInput(join(dir, 'tty.csv'), 40)
      const command = [process.execPath, BIN, ...bulk('tty', '--rate', '40')].join(' ')
      const run = await finished(
        spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: lambda.url },
        }),
      )
      assert.equal(run.code, 0, run.stdout + run.stderr)
      assert.match(run.stdout, /█+░* \d+% \| \d+\/40 rows \| [\d.]+ calls\/s \| ETA \S+ \| terminated \d+/)
      assert.match(run.stdout, /█{40} 100% \| 40\/40 rows/)
      assert.doesNotMatch(run.stdout, /^progress /m)
    } finally {
      await lambda.close()
    }
  })

  it('streams the input: 50,000 rows (48 MB) pass through a 48 MB heap', async () => {
    // Every row is invalid, so none costs a call; the Invoke API is there to show that none was made.
    const lambda = await startFakeLambda()
    try {
      await writeInput(join(dir, 'large.csv'), 50_000, { padding: 960, invalid: true })
      const run = await finished(
        spawnCli(bulk('large'), { AWS_ENDPOINT_URL_LAMBDA: lambda.url }, ['--max-old-space-size=48']),
      )
      assert.equal(run.code, 1, run.stderr)
      assert.match(run.stdout, /^invalid +50000$/m)
      assert.equal(await countLines(join(dir, 'large-results.csv')), 50_001)
      assert.equal(lambda.invocations(), 0)
    } finally {
      await lambda.close()
    }
  })
})
