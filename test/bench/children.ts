/** The benchmark's child processes: started here, tracked, and never left behind. */
import { type ChildProcess, execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'

const HERE = new URL('./', import.meta.url).pathname
const live = new Set<ChildProcess>()

/** Ends `child` with the rest if the benchmark is stopped early. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

/** Ends every child still running, by its own pid; called on exit and on Ctrl-C. */
export function killChildren() {
  for (const child of live) child.kill('SIGKILL')
  live.clear()
}
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren()
    process.exit(130)
  })
}

export interface ForkOptions {
  env?: Record<string, string>
  /** Extra node flags, e.g. --cpu-prof. */
  execArgv?: string[]
  timeoutMs?: number
  pinCpu?: number
}

/** Forks `script` (a file beside this one); its stdout (the handler's logs) goes to /dev/null. */
export function forkScript(script: string, options: ForkOptions = {}): ChildProcess {
  const child = fork(HERE + script, [], {
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  track(child)
  if (options.pinCpu !== undefined) pin(child, options.pinCpu)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000)
  })
  Object.defineProperty(child, 'stderrTail', { get: () => stderr })
  return child
}

/** Binds every thread of `child` to one CPU (taskset), when the machine has it; otherwise leaves it be. */
export function pin(child: ChildProcess, cpu: number) {
  try {
    execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(child.pid)], { stdio: 'ignore' })
  } catch {
    // No taskset (or not Linux): the figures are noisier, not wrong.
  }
}

/** Runs `script` to its end and returns the one message it sends (shared.ts finish()). */
export async function runScript<T>(script: string, options: ForkOptions = {}): Promise<T> {
  const child = forkScript(script, options)
  const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  let result: T | undefined
  child.on('message', (message) => {
    result = message as T
  })
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
  clearTimeout(timeout)
  if (result === undefined || code !== 0) {
    const tail = (child as unknown as { stderrTail: string }).stderrTail
    throw new Error(`${script} ended with ${signal ?? `code ${code}`} and no result\n${tail}`)
  }
  return result
}

/** Starts a long-lived child (stack.ts) and waits for its first message. */
export async function startScript<T>(script: string): Promise<{ child: ChildProcess; info: T }> {
  const child = forkScript(script)
  const [info] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error(`${script} exited before it was ready`)
    }),
  ])) as [T]
  return { child, info }
}

/** Asks a long-lived child to stop (it closes its servers on disconnect) and waits for it. */
export async function stopScript(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  const timeout = setTimeout(() => child.kill('SIGKILL'), 5_000)
  child.disconnect()
  await exited
  clearTimeout(timeout)
}
