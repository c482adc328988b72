/**
 * `node infra/local/process-group.ts COMMAND [ARG...]`, spawned with `detached: true` and a pipe as
 * stdin: runs COMMAND in this process's new process group and ends the whole group when that pipe
 * closes. The sandbox holds the other end, and the kernel closes it however the sandbox ends (SIGKILL
 * and a crash included), so serverless-offline and esbuild's service never outlive it holding ports.
 * Closing the pipe is also how the sandbox stops them on purpose: one way out, always taken.
 */
import { spawn } from 'node:child_process'

/** How long the group gets to stop on SIGINT before it is killed. */
const GRACE_MS = 5_000

const [command, ...args] = process.argv.slice(2)
if (!command) {
  console.error('usage: node infra/local/process-group.ts COMMAND [ARG...]')
  process.exit(2)
}

/** Signals every other process of the group: this one has a handler for each signal it sends itself. */
function signalGroup(signal: NodeJS.Signals) {
  try {
    process.kill(-process.pid, signal)
  } catch {
    // the group is already gone
  }
}

// A signal meant for the group reaches COMMAND as well; this process outlives it to clean up after it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {})

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] })
child.on('error', (error) => {
  console.error(`${command} did not start: ${error.message}`)
  process.exit(127)
})
child.on('exit', (code, signal) => {
  // Whatever COMMAND left behind in the group (esbuild's service) goes with it.
  signalGroup('SIGTERM')
  process.exit(code ?? (signal === 'SIGINT' ? 0 : 1))
})

let ending = false
const endGroup = () => {
  if (ending) return
  ending = true
  signalGroup('SIGINT')
  // SIGKILL cannot be handled: it ends this process too, last.
  setTimeout(() => process.kill(-process.pid, 'SIGKILL'), GRACE_MS).unref()
}
process.stdin.on('end', endGroup)
process.stdin.on('error', endGroup)
process.stdin.resume()
