/**
 * serverless-offline for the sandbox: the real handlers, bundled by serverless-esbuild, served on the
 * sandbox's ports and pointed at its stand-ins. It runs in a process group of its own (so that a
 * terminal's Ctrl-C reaches the sandbox only, which then stops it in order), led by process-group.ts,
 * which ends the group when the sandbox goes, however the sandbox goes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { maskCode } from '../../functions/runtime/observability.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface OfflineOptions {
  httpPort: number
  /** A port, or a Unix socket's path. */
  lambdaPort: number | string
  wechatpayUrl: string
  secretsManagerUrl: string
  /** Where the functions put their events (AWS_ENDPOINT_URL_EVENTBRIDGE). */
  eventBridgeUrl: string
  /** The functions' WECHATPAY_MODE (serverless param wechatpayMode). */
  mode: 'partner' | 'direct'
  /** Where serverless-offline's own output goes (the functions' logs). */
  onOutput?: (text: string) => void
}

export interface Offline {
  /** The group's leader; its pid is the group's id. */
  process: ChildProcess
  /** The HTTP API's URL, once serverless-offline serves it. */
  ready: Promise<string>
  /** Ends the group and waits until no process of it is left. */
  stop(): Promise<void>
}

export function startOffline(options: OfflineOptions): Offline {
  const leader = spawn(
    process.execPath,
    [
      `${ROOT}infra/local/process-group.ts`,
      process.execPath,
      `${ROOT}node_modules/serverless/bin/serverless.js`,
      'offline',
      'start',
      '--stage',
      'local',
      '--httpPort',
      String(options.httpPort),
      '--lambdaPort',
      String(options.lambdaPort),
      `--param=wechatpayBaseUrl=${options.wechatpayUrl}`,
      `--param=wechatpayMode=${options.mode}`,
    ],
    {
      cwd: ROOT,
      detached: true,
      // stdin is the lifeline: process-group.ts ends the group when it closes.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: options.secretsManagerUrl,
        AWS_ENDPOINT_URL_EVENTBRIDGE: options.eventBridgeUrl,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_EC2_METADATA_DISABLED: 'true',
        FORCE_COLOR: '0',
      },
    },
  )
  // A leader that died already cannot read: writing nothing to it must not crash the sandbox.
  leader.stdin?.on('error', () => {})
  const stop = async () => {
    if (leader.exitCode === null && leader.signalCode === null) leader.stdin?.end()
    else signalGroup(leader, 'SIGINT')
    for (let waited = 0; groupAlive(leader) && waited < 8_000; waited += 50) await sleep(50)
    // The leader gives the group 5 s before SIGKILL; should it be gone, the sandbox does it.
    signalGroup(leader, 'SIGKILL')
    for (let waited = 0; groupAlive(leader) && waited < 2_000; waited += 50) await sleep(50)
  }
  return { process: leader, ready: ready(leader, options.onOutput), stop }
}

/**
 * serverless-offline prints every request's path (`POST /v1/authorizations/<code>/terminate (λ: http)`):
 * the authorization codes and openids in paths are masked as the service masks them in its own logs.
 * Route templates (`{authorization_code}`) are left as they are.
 */
// The segment after these names an authorization, except the route's own words (`/authorizations/terminate`).
const ID_IN_PATH =
  /(\/(?:authorizations|authorization-code|openid)\/)(?!\{)(?!terminate(?:[\s?#]|$))([^/\s?#]+)/g

/** And in a query string: `?openid=...`, `&sub_openid=...`, `&authorization_code=...`. */
const ID_IN_QUERY = /([?&](?:authorization_code|openid|sub_openid)=)([^&\s#]+)/g

export function maskIdsInPaths(line: string): string {
  return line
    .replace(ID_IN_PATH, (_, before: string, id: string) => `${before}${maskCode(id)}`)
    .replace(ID_IN_QUERY, (_, before: string, id: string) => `${before}${maskCode(decodeURIComponent(id))}`)
}

/** Whole lines, masked, from a stream that may cut a line anywhere. */
function onMaskedLines(stream: NodeJS.ReadableStream | null, onText: (text: string) => void) {
  let pending = ''
  stream?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n')
    pending = lines.pop()!
    if (lines.length > 0) onText(`${lines.map(maskIdsInPaths).join('\n')}\n`)
  })
  stream?.on('end', () => pending && onText(maskIdsInPaths(pending)))
}

/** serverless-offline prints `Server ready: http://...` (on stderr) once the routes are up. */
function ready(child: ChildProcess, onOutput?: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    // Kept until ready, for the error saying why it never was.
    let output: string | undefined = ''
    const onText = (text: string) => {
      onOutput?.(text)
      if (output === undefined) return
      output += text
      const match = /Server ready: (http:\/\/[^\s]+)/.exec(output)
      if (match) {
        output = undefined
        resolve(match[1]!)
      }
    }
    onMaskedLines(child.stdout, onText)
    onMaskedLines(child.stderr, onText)
    child.once('exit', (code) =>
      reject(new Error(`serverless offline exited (${code}) before it was ready:\n${output}`)),
    )
    setTimeout(
      () => reject(new Error(`serverless offline was not ready after 60 s:\n${output}`)),
      60_000,
    ).unref()
  })
}

function groupAlive(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, 0)
    return Boolean(child.pid)
  } catch {
    return false
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal)
  } catch {
    // the group is already gone
  }
}
