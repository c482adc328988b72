/**
 * `npm start`: the whole service on loopback with no AWS account and no WeChat merchant. Starts a
 * Secrets Manager stand-in seeded with freshly generated dev keys, the WeChat Pay simulator trusting
 * those keys, and serverless-offline serving the real handlers. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type SecretsManagerStandIn, startSecretsManager } from './secrets-manager.ts'
import {
  MAGIC_CODES,
  MAGIC_STATES,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from './wechatpay-simulator.ts'

/** `npm start`'s ports unless SANDBOX_PORTS says otherwise; tests pass free ports. */
export const SANDBOX_PORTS = { http: 3000, lambda: 3002, wechatpay: 3010, secretsManager: 3020 }
export type SandboxPorts = typeof SANDBOX_PORTS

/**
 * `SANDBOX_PORTS=4000,4002,4010,4020 npm start` moves the sandbox off the fixed ports: the HTTP API,
 * the Lambda invoke API, the WeChat Pay simulator and the Secrets Manager stand-in, in that order.
 */
export function sandboxPorts(value: string | undefined = process.env.SANDBOX_PORTS): SandboxPorts {
  if (value === undefined || value.trim() === '') return SANDBOX_PORTS
  const ports = value.split(',').map((part) => Number(part.trim()))
  const valid = ports.every((port) => Number.isInteger(port) && port > 0 && port < 65_536)
  if (ports.length !== 4 || !valid || new Set(ports).size !== 4) {
    throw new Error(
      'SANDBOX_PORTS must be four different ports, for the HTTP API, the Lambda invoke API, the WeChat ' +
        `Pay simulator and Secrets Manager (e.g. 4000,4002,4010,4020), got "${value}"`,
    )
  }
  const [http, lambda, wechatpay, secretsManager] = ports as [number, number, number, number]
  return { http, lambda, wechatpay, secretsManager }
}
export const SANDBOX_SECRET_ID = 'payscore-terminate/local'
const MCHID = '1900000100'
const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'
const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001002025010100000000000001'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface Sandbox {
  httpUrl: string
  lambdaUrl: string
  simulator: WechatPaySimulator
  secretsManager: SecretsManagerStandIn
  offline: ChildProcess
  stop(): Promise<void>
}

export interface SandboxOptions {
  ports?: SandboxPorts
  /** Where serverless-offline's own output goes (the functions' logs). */
  onOutput?: (text: string) => void
  /** WeChat's slow answer for SIM_SLOW codes, longer than the client's 5 s attempt timeout. */
  slowDelayMs?: number
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ports = options.ports ?? SANDBOX_PORTS
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const wechatpay = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const secret = {
    mchid: MCHID,
    merchant_serial_no: MERCHANT_SERIAL,
    merchant_private_key: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    wechatpay_public_key_id: PUBLIC_KEY_ID,
    wechatpay_public_key: wechatpay.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
  const simulator = await startWechatPaySimulator({
    merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.publicKey }],
    wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: wechatpay.privateKey },
    port: ports.wechatpay,
    slowDelayMs: options.slowDelayMs ?? 10_000,
  })
  const secretsManager = await startSecretsManager({
    port: ports.secretsManager,
    secrets: { [SANDBOX_SECRET_ID]: JSON.stringify(secret) },
  }).catch(async (error: unknown) => {
    await simulator.close()
    throw error
  })
  const offline = spawn(
    process.execPath,
    [
      `${ROOT}node_modules/serverless/bin/serverless.js`,
      'offline',
      'start',
      '--stage',
      'local',
      '--httpPort',
      String(ports.http),
      '--lambdaPort',
      String(ports.lambda),
      `--param=wechatpayBaseUrl=${simulator.url}`,
    ],
    {
      cwd: ROOT,
      // Its own process group, so that stopping it stops its workers too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_EC2_METADATA_DISABLED: 'true',
        FORCE_COLOR: '0',
      },
    },
  )
  const stop = async () => {
    if (offline.exitCode === null && offline.signalCode === null) {
      const exited = once(offline, 'exit')
      killGroup(offline, 'SIGINT')
      const timer = setTimeout(() => killGroup(offline, 'SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    // Anything left in its group (esbuild's service process) goes too, and is waited for.
    killGroup(offline, 'SIGKILL')
    for (let waited = 0; groupAlive(offline) && waited < 3_000; waited += 50) await sleep(50)
    await Promise.all([simulator.close(), secretsManager.close()])
  }
  try {
    const httpUrl = await ready(offline, options.onOutput)
    return {
      httpUrl,
      lambdaUrl: `http://127.0.0.1:${ports.lambda}`,
      simulator,
      secretsManager,
      offline,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** serverless-offline prints `Server ready: http://...` (on stderr) once the routes are up. */
function ready(child: ChildProcess, onOutput?: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      const text = chunk.toString()
      onOutput?.(text)
      output += text
      const match = /Server ready: (http:\/\/[^\s]+)/.exec(output)
      if (match) resolve(match[1]!)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
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

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal)
  } catch {
    // the group is already gone
  }
}

function banner(sandbox: Sandbox) {
  const magic = [
    ...Object.entries(MAGIC_CODES).map(([prefix, entry]) => `  ${prefix.padEnd(15)} ${entry.description}`),
    ...Object.entries(MAGIC_STATES).map(
      ([prefix, state]) => `  ${prefix.padEnd(15)} the authorization starts as ${state}`,
    ),
  ].join('\n')
  return `
payscore-terminate sandbox is up (Ctrl-C stops everything)

  HTTP API              ${sandbox.httpUrl}/v1/authorizations/{authorization_code}/terminate
  Lambda invoke API     ${sandbox.lambdaUrl}   (functions payscore-terminate-local-{http,queue,invoke})
  WeChat Pay simulator  ${sandbox.simulator.url}
  Secrets Manager       ${sandbox.secretsManager.url}   (secret ${SANDBOX_SECRET_ID}, dev keys made just now)

Try it (a new code gives 200 terminated; the same again 200 already_terminated):

  curl -s -X POST ${sandbox.httpUrl}/v1/authorizations/demo_$(date +%s)/terminate \\
    -H 'content-type: application/json' \\
    -d '{"service_id":"500001","sub_mchid":"1900000109","reason":"用户申请解除授权"}'

Send a queue event (an EventBridge cancellation inside an SQS record) to the queue function:

  npm run sandbox:event -- demo_queue_1

Magic code prefixes (add any suffix for a fresh authorization, e.g. SIM_503_a1):
${magic}
`
}

if (import.meta.main) {
  let ports: SandboxPorts
  try {
    ports = sandboxPorts()
  } catch (error) {
    console.error((error as Error).message)
    process.exit(2)
  }
  const sandbox = await startSandbox({ ports, onOutput: (text) => process.stderr.write(text) }).catch(
    (error: unknown) => {
      console.error(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`)
      console.error(`Are ports ${Object.values(ports).join(', ')} free? SANDBOX_PORTS can move them.`)
      process.exit(1)
    },
  )
  console.log(banner(sandbox))
  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    await sandbox.stop()
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  sandbox.offline.once('exit', async (code) => {
    if (stopping) return
    console.error(`serverless offline stopped (${code}); stopping the sandbox`)
    await sandbox.stop()
    process.exit(1)
  })
}
