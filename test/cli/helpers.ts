/**
 * Drives the real `payscore-terminate` process (cli/bin.mjs on this Node 24) and starts the
 * sandbox stack on free ports for it to call.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'csv-parse/sync'
import { type Sandbox, startSandbox } from '../../infra/local/sandbox.ts'
import { freePorts, freeSandboxPorts } from '../infra/ports.ts'

export const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Starts the CLI (`nodeArgs` go to node itself); its stdout and stderr are pipes (not a terminal). */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
}

/** Collects what a started CLI prints until it exits. */
export async function finished(child: ChildProcess): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

export const runCli = (args: readonly string[], env: Record<string, string> = {}) =>
  finished(spawnCli(args, env))

export { freePorts }

/** The sandbox the CLI tests share (it takes seconds to start): filled in by sandbox.test.ts's `before`. */
export interface CliSandbox {
  sandbox: Sandbox
  /** What the CLI needs to reach it: `--stage local` and this environment. */
  env: Record<string, string>
  /** A folder for the test's files. */
  dir: string
}

/** The `npm start` stack on free ports. */
export async function startCliSandbox(): Promise<Pick<CliSandbox, 'sandbox' | 'env'>> {
  const sandbox = await startSandbox({ ports: await freeSandboxPorts(), slowDelayMs: 500 })
  return { sandbox, env: { AWS_ENDPOINT_URL_LAMBDA: sandbox.lambdaUrl } }
}

/** RESULTS.csv as records keyed by column. */
export function readResults(path: string): Array<Record<string, string>> {
  return parse(readFileSync(path), { columns: true }) as Array<Record<string, string>>
}

/**
 * Requests the WeChat Pay simulator received that name an authorization code or openid, in the path,
 * the query string or the body (terminate and query).
 */
export const wechatCalls = (sandbox: Sandbox, name: string, method?: 'POST' | 'GET') =>
  sandbox.simulator.requests.filter(
    (request) =>
      (method === undefined || request.method === method) &&
      `${decodeURIComponent(request.url)} ${request.body}`.split(/[^0-9A-Za-z_*-]+/).includes(name),
  ).length

let serial = 0
/** An authorization code no other test run uses (the simulator keeps state per code). */
export const uniqueCode = (prefix = 'cli') => `${prefix}_${Date.now().toString(36)}${(serial++).toString(36)}`
