/**
 * Interrupting bulk-terminate, through real processes: Ctrl-C as a terminal sends it (SIGINT to the
 * whole foreground process group: npm, its shell and the CLI alike) under each way of running the
 * CLI, and a crash (SIGKILL) that leaves RESULTS.csv as appended, which the next run compacts, and
 * its lock, which the next run takes over; two runs on one RESULTS.csv at once (the second refused).
 * The Invoke API is a local one that answers after a delay (fake-lambda.ts): what is tested here is
 * the CLI's own handling, whatever the answers.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { BIN, finished, readResults, runCli, spawnCli } from './helpers.ts'

const PROJECT = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'cli-interrupt-'))
let lambda: FakeLambda

before(async () => {
  // Even rows take longer than odd ones: calls end out of input order, and so are rows appended.
  lambda = await startFakeLambda((event) =>
    Number(event.authorization_code?.split('_')[1]) % 2 === 0 ? 250 : 50,
  )
})
after(async () => {
  await lambda.close()
  rmSync(dir, { recursive: true, force: true })
})

const codes = Array.from({ length: 40 }, (_, index) => `intr_${index}`)
let files = 0
function csv() {
  files += 1
  const input = join(dir, `input-${files}.csv`)
  writeFileSync(input, `authorization_code\n${codes.join('\n')}\n`)
  return { input, output: join(dir, `results-${files}.csv`) }
}
const args = (file: { input: string; output: string }, ...more: string[]) => [
  '--stage',
  'local',
  'bulk-terminate',
  '--input',
  file.input,
  '--output',
  file.output,
  '--service-id',
  '500001',
  '--sub-mchid',
  '1900000109',
  '--reason',
  'r',
  ...more,
]
const SLOW = ['--rate', '10', '--concurrency', '2']

const dataLines = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').length - 2
  } catch {
    return 0
  }
}

/**
 * Starts `command` in a process group of its own, as a shell starts a foreground job, and sends the
 * signal to the whole group once the CLI has written `rows` rows. Resolves to how it ended.
 */
async function interrupt(command: string[], output: string, signal: NodeJS.Signals, rows = 2) {
  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    cwd: PROJECT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_ENDPOINT_URL_LAMBDA: lambda.url, PAYSCORE_CLI_PROGRESS_INTERVAL_MS: '60000' },
  })
  let stdout = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.resume()
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  try {
    for (let waited = 0; dataLines(output) < rows; waited += 25) {
      assert.ok(
        waited < 30_000 && child.exitCode === null,
        `${command.join(' ')} writes rows and keeps going`,
      )
      await sleep(25)
    }
    process.kill(-child.pid!, signal)
  } catch (error) {
    // The processes this test started do not outlive it.
    process.kill(-child.pid!, 'SIGKILL')
    await exited
    throw error
  }
  const [code, ended] = await exited
  return { code, signal: ended, stdout }
}

/** The rows are the first ones of the input, one each, in input order; none of them twice; unlocked. */
function assertCompacted(output: string) {
  const rows = readResults(output).map((row) => row.authorization_code)
  assert.ok(rows.length >= 2 && rows.length < codes.length, `${rows.length} rows`)
  assert.deepEqual(rows, codes.slice(0, rows.length))
  assert.equal(existsSync(`${output}.lock`), false, 'the lock is gone')
}

describe('Ctrl-C in a terminal: the exit status of each way of running the CLI', () => {
  it('npm run cli: exit 1, the rows of the calls in flight written, the file compacted', async () => {
    const file = csv()
    const run = await interrupt(['npm', 'run', 'cli', '--', ...args(file, ...SLOW)], file.output, 'SIGINT')
    assert.deepEqual([run.code, run.signal], [1, null], run.stdout)
    assert.match(run.stdout, /^interrupted/m)
    assertCompacted(file.output)
  })

  it('the bin itself (cli/bin.mjs on Node 24): exit 1', async () => {
    const file = csv()
    const run = await interrupt([process.execPath, BIN, ...args(file, ...SLOW)], file.output, 'SIGINT')
    assert.deepEqual([run.code, run.signal], [1, null], run.stdout)
    assertCompacted(file.output)
  })

  it("npx payscore-terminate: 1, or killed by SIGINT (130 in a shell) where npx's sh is dash; the CLI finishes first", async () => {
    const file = csv()
    const run = await interrupt(['npx', 'payscore-terminate', ...args(file, ...SLOW)], file.output, 'SIGINT')
    assert.ok(run.code === 1 || run.signal === 'SIGINT', `exit ${run.code}, signal ${run.signal}`)
    assert.match(run.stdout, /^interrupted/m, 'the summary was printed before npx ended')
    assertCompacted(file.output)
  })
})

describe('a crash', () => {
  it('leaves every row written so far; the next run sends only the rest and compacts the file', async () => {
    const file = csv()
    const before = lambda.invocations()
    const crash = await interrupt(
      [process.execPath, BIN, ...args(file, '--rate', '20', '--concurrency', '4')],
      file.output,
      'SIGKILL',
      6,
    )
    assert.equal(crash.signal, 'SIGKILL')
    assert.equal(existsSync(`${file.output}.lock`), true, 'a killed run leaves its lock')
    const left = readResults(file.output)
    assert.ok(left.length >= 6, `${left.length} rows left`)
    assert.notDeepEqual(
      left.map((row) => row.authorization_code),
      codes.slice(0, left.length),
      'as appended: in the order the calls ended',
    )
    await sleep(300) // calls the killed process had sent reach the server
    const sent = lambda.invocations() - before

    const resumed = await runCli(args(file, '--rate', '1000'), { AWS_ENDPOINT_URL_LAMBDA: lambda.url })
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.match(resumed.stdout, new RegExp(`^skipped +${left.length}\\b`, 'm'))
    assert.equal(
      lambda.invocations() - before,
      sent + codes.length - left.length,
      'a row written before the crash is not sent again',
    )
    assert.deepEqual(
      readResults(file.output).map((row) => row.authorization_code),
      codes,
    )
    assert.equal(existsSync(`${file.output}.lock`), false, "the dead run's lock was taken over, then removed")
  })
})

describe('two runs on one RESULTS.csv', () => {
  it('the second is refused while the first writes (exit 2, nothing sent); the first writes every row', async () => {
    const file = csv()
    const before = lambda.invocations()
    const first = spawnCli(args(file, ...SLOW), { AWS_ENDPOINT_URL_LAMBDA: lambda.url })
    const done = finished(first)
    try {
      for (let waited = 0; dataLines(file.output) < 2; waited += 25) {
        assert.ok(waited < 30_000 && first.exitCode === null, 'the first run writes rows and keeps going')
        await sleep(25)
      }
      const second = await runCli(args(file, '--rate', '1000'), { AWS_ENDPOINT_URL_LAMBDA: lambda.url })
      assert.equal(second.code, 2, second.stdout + second.stderr)
      assert.match(
        second.stderr,
        new RegExp(
          `another bulk-terminate \\(pid ${first.pid}\\) is writing .*; if none is, remove .*\\.lock`,
        ),
      )
      assert.equal(first.exitCode, null, 'the first run was still writing')
    } catch (error) {
      first.kill('SIGKILL')
      await done
      throw error
    }
    const run = await done
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.equal(lambda.invocations() - before, codes.length, 'only the first run called, once per row')
    assert.deepEqual(
      readResults(file.output).map((row) => row.authorization_code),
      codes,
    )
    assert.equal(existsSync(`${file.output}.lock`), false)
  })
})
