/**
 * `npm start` as a user runs it: npm, then the sandbox, then serverless-offline in its own process
 * group with esbuild's service. Ctrl-C and closing the terminal signal npm's whole process group;
 * kill(1) signals npm alone. However it is stopped, nothing of the sandbox may outlive it: no process
 * (found by an environment variable every process of the run inherits) and no port.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type SandboxPorts, sandboxPorts } from '../../infra/local/sandbox.ts'
import { bindable, freeSandboxPortSets } from './ports.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TAG = 'SANDBOX_PROCESS_TEST_RUN'
const started = new Set<string>()

interface Run {
  npm: ChildProcess
  tag: string
  ports: SandboxPorts
  output: () => string
}

/** Every live process of one run, with its command line. */
function processesOf(tag: string): Array<{ pid: number; command: string }> {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // A zombie's environment reads empty: it holds no port and is its parent's to reap.
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`${TAG}=${tag}`)) continue
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()
      found.push({ pid: Number(entry), command })
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found
}

/** `npm start` on `chosen`; `fourPorts`: SANDBOX_PORTS in the four-port form, without EventBridge's. */
async function startNpm(chosen: SandboxPorts, fourPorts = false): Promise<Run> {
  const tag = randomUUID()
  started.add(tag)
  // Its own process group, as a terminal's foreground job is: the group is what Ctrl-C signals.
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      [TAG]: tag,
      SANDBOX_PORTS: Object.values(chosen)
        .slice(0, fourPorts ? 4 : 5)
        .join(','),
    },
  })
  let output = ''
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk))
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk))
  for (let waited = 0; !output.includes('sandbox is up'); waited += 100) {
    assert.ok(npm.exitCode === null && waited < 120_000, `npm start did not come up:\n${output}`)
    await sleep(100)
  }
  return { npm, tag, ports: chosen, output: () => output }
}

/** Waits up to 10 s for every process of the run to end and every port to be free; returns how long. */
async function assertGoneWithin10s(run: Run): Promise<number> {
  const started = Date.now()
  let left = processesOf(run.tag)
  let busy: number[] = []
  for (; Date.now() - started < 10_000; await sleep(100)) {
    left = processesOf(run.tag)
    busy = []
    for (const port of Object.values(run.ports)) if (!(await bindable(port))) busy.push(port)
    if (left.length === 0 && busy.length === 0) return Date.now() - started
  }
  assert.deepEqual({ left, busy }, { left: [], busy: [] }, run.output())
  return Date.now() - started
}

after(() => {
  // Whatever a failed case left behind goes, so that no other test meets it.
  for (const tag of started) for (const { pid } of processesOf(tag)) process.kill(pid, 'SIGKILL')
})

describe('SANDBOX_PORTS', () => {
  it('moves the five ports, in the order HTTP, Lambda, simulator, Secrets Manager, EventBridge', () => {
    assert.deepEqual(sandboxPorts(undefined), {
      http: 3000,
      lambda: 3002,
      wechatpay: 3010,
      secretsManager: 3020,
      eventBridge: 3030,
    })
    assert.deepEqual(sandboxPorts('4000, 4002,4010,4020,4030'), {
      http: 4000,
      lambda: 4002,
      wechatpay: 4010,
      secretsManager: 4020,
      eventBridge: 4030,
    })
  })

  it('still takes the four ports of before: the EventBridge stand-in then takes any free port', () => {
    assert.deepEqual(sandboxPorts('4000, 4002,4010,4020'), {
      http: 4000,
      lambda: 4002,
      wechatpay: 4010,
      secretsManager: 4020,
      eventBridge: 0,
    })
  })

  it('refuses anything but four or five different ports, naming the variable', () => {
    for (const value of [
      '4000,4002,4010',
      '4000,4002,4010,4010',
      '4000,4002,4010,4020,4020',
      '4000,4002,4010,4020,4030,4040',
      '4000,x,4010,4020',
      '4000,4002,4010,4020,0',
      '0,1,2,3',
      '1,2,3,70000',
    ]) {
      assert.throws(() => sandboxPorts(value), /^Error: SANDBOX_PORTS must be four or five different ports/)
    }
  })
})

describe('npm start stops cleanly however it is stopped', { concurrency: true, timeout: 300_000 }, () => {
  const cases = [
    ['SIGINT', 'npm'],
    ['SIGTERM', 'npm'],
    ['SIGHUP', 'npm'],
    ['SIGINT', 'group'],
    ['SIGTERM', 'group'],
    ['SIGHUP', 'group'],
  ] as const
  const portSets: SandboxPorts[] = []
  before(async () => portSets.push(...(await freeSandboxPortSets(cases.length + 1))))
  for (const [index, [signal, target]] of cases.entries()) {
    it(`${signal} to ${target === 'npm' ? 'the npm process alone' : "npm's process group"}`, async (t) => {
      const run = await startNpm(portSets[index]!)
      const tree = processesOf(run.tag).map((process) => process.command)
      // The scan sees the whole tree, so "nothing left" below is not vacuous.
      assert.ok(
        tree.some((command) => command.includes('serverless.js offline')),
        tree.join('\n'),
      )
      assert.ok(
        tree.some((command) => command.includes('esbuild')),
        tree.join('\n'),
      )
      process.kill(target === 'npm' ? run.npm.pid! : -run.npm.pid!, signal)
      t.diagnostic(`all gone and ports free ${await assertGoneWithin10s(run)} ms after the signal`)
      if (signal === 'SIGHUP' && target === 'group') {
        // And it starts again, on the very same ports.
        const again = await startNpm(run.ports)
        process.kill(-again.npm.pid!, 'SIGINT')
        await assertGoneWithin10s(again)
      }
    })
  }

  it('SIGKILL to the sandbox process (no handler runs): serverless-offline and esbuild go too', async (t) => {
    // Started with the four-port SANDBOX_PORTS of before, which still works.
    const run = await startNpm(portSets[cases.length]!, true)
    const sandbox = processesOf(run.tag).find(({ command }) => command.endsWith('infra/local/sandbox.ts'))
    assert.ok(sandbox, 'the sandbox process is found')
    process.kill(sandbox.pid, 'SIGKILL')
    t.diagnostic(`all gone and ports free ${await assertGoneWithin10s(run)} ms after the signal`)
  })
})
