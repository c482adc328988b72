/**
 * `npm start`: the whole service on loopback with no AWS account and no WeChat merchant. Starts a
 * Secrets Manager stand-in seeded with freshly generated dev keys, the WeChat Pay simulator trusting
 * those keys (and able to send WeChat's notifications: sandbox-notify.ts), an EventBridge stand-in
 * printing every event the functions put, and serverless-offline serving the real handlers. However
 * it is stopped (Ctrl-C, a closed terminal, a signal to npm alone, npm's death, even SIGKILL),
 * nothing of it is left running.
 */
import type { ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { banner } from './banner.ts'
import { type EventBridgeStandIn, startEventBridge } from './eventbridge.ts'
import { startInvokeProxy } from './invoke-proxy.ts'
import { startOffline } from './offline.ts'
import { SANDBOX_PORTS, type SandboxPorts, sandboxMode, sandboxPorts } from './ports.ts'
import { NOTIFY_CONTROL_ROUTE, notifyControl } from './sandbox-notify.ts'
import { type SecretsManagerStandIn, startSecretsManager } from './secrets-manager.ts'
import { startWechatPaySimulator, type WechatPaySimulator } from './wechatpay-simulator.ts'

export { SANDBOX_PORTS, type SandboxPorts, sandboxMode, sandboxPorts } from './ports.ts'

export const SANDBOX_SECRET_ID = 'payscore-terminate/local'
/** The bus the functions publish to (serverless.yml params.local.publishEventBusName). */
export const SANDBOX_EVENT_BUS = 'payscore-local'
const MCHID = '1900000100'
const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'
const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001002025010100000000000001'
const APIV3_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export interface Sandbox {
  mode: 'partner' | 'direct'
  /** The ports it listens on, those asked as 0 included (what SANDBOX_PORTS would name). */
  ports: SandboxPorts
  httpUrl: string
  lambdaUrl: string
  simulator: WechatPaySimulator
  secretsManager: SecretsManagerStandIn
  /** Every event the functions put (`events`), each also printed to `onOutput`, masked. */
  eventBridge: EventBridgeStandIn
  offline: ChildProcess
  stop(): Promise<void>
}

export interface SandboxOptions {
  /** 0 for any free port, except `http`: serverless-offline must be told its port. */
  ports?: SandboxPorts
  /** The functions' WECHATPAY_MODE; the simulator serves both. Default partner. */
  mode?: 'partner' | 'direct'
  /** Where serverless-offline's own output (the functions' logs) and the printed events go. */
  onOutput?: (text: string) => void
  /** WeChat's slow answer for SIM_SLOW codes, longer than the client's 5 s attempt timeout. */
  slowDelayMs?: number
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ports = options.ports ?? SANDBOX_PORTS
  if (!(ports.http > 0))
    throw new Error('the HTTP API needs a port of its own: serverless-offline cannot take 0')
  const mode = options.mode ?? 'partner'
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const wechatpay = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const secret = {
    mchid: MCHID,
    merchant_serial_no: MERCHANT_SERIAL,
    merchant_private_key: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    wechatpay_public_key_id: PUBLIC_KEY_ID,
    wechatpay_public_key: wechatpay.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    // The merchant's APIv3 key (32 characters), which the notification function decrypts with.
    apiv3_key: Array.from(
      { length: 32 },
      () => APIV3_KEY_ALPHABET[randomInt(APIV3_KEY_ALPHABET.length)],
    ).join(''),
  }
  // Whatever started is stopped, in reverse order, should a later step fail.
  const closers: Array<() => Promise<void>> = []
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close()
  }
  try {
    const simulator = await startWechatPaySimulator({
      merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.publicKey }],
      wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: wechatpay.privateKey },
      port: ports.wechatpay,
      slowDelayMs: options.slowDelayMs ?? 10_000,
      controlRoutes: {
        [NOTIFY_CONTROL_ROUTE]: notifyControl({
          url: `http://127.0.0.1:${ports.http}/v1/wechatpay/notifications`,
          apiv3Key: secret.apiv3_key,
          key: { serial: PUBLIC_KEY_ID, privateKey: wechatpay.privateKey },
          mode,
          mchid: MCHID,
        }),
      },
    })
    closers.push(() => simulator.close())
    const eventBridge = await startEventBridge({
      port: ports.eventBridge,
      print: (line) => options.onOutput?.(`${line}\n`),
    })
    closers.push(() => eventBridge.close())
    const secretsManager = await startSecretsManager({
      port: ports.secretsManager,
      secrets: { [SANDBOX_SECRET_ID]: JSON.stringify(secret) },
    })
    closers.push(() => secretsManager.close())
    // serverless-offline's invoke API listens on a Unix socket (hapi takes a path for a port), behind
    // the proxy on the Lambda port (invoke-proxy.ts).
    const lambdaSocket = join(tmpdir(), `payscore-sandbox-${process.pid}-${randomUUID().slice(0, 8)}.sock`)
    closers.push(() => rm(lambdaSocket, { force: true }))
    const invokeProxy = await startInvokeProxy({ port: ports.lambda, target: lambdaSocket })
    closers.push(() => invokeProxy.close())
    const offline = startOffline({
      httpPort: ports.http,
      lambdaPort: lambdaSocket,
      wechatpayUrl: simulator.url,
      secretsManagerUrl: secretsManager.url,
      eventBridgeUrl: eventBridge.url,
      mode,
      // Its own "listening on" line names the socket behind the proxy: show the proxy's URL instead.
      onOutput: (text) =>
        options.onOutput?.(text.replaceAll(`http://127.0.0.1:${lambdaSocket}`, invokeProxy.url)),
    })
    closers.push(() => offline.stop())
    const httpUrl = await offline.ready
    const portOf = (url: string) => Number(new URL(url).port)
    return {
      mode,
      ports: {
        http: ports.http,
        lambda: portOf(invokeProxy.url),
        wechatpay: portOf(simulator.url),
        secretsManager: portOf(secretsManager.url),
        eventBridge: portOf(eventBridge.url),
      },
      httpUrl,
      lambdaUrl: invokeProxy.url,
      simulator,
      secretsManager,
      eventBridge,
      offline: offline.process,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** What `npm start` prints once this sandbox is up (banner.ts). */
export function sandboxBanner(sandbox: Sandbox): string {
  return banner({
    mode: sandbox.mode,
    ports: sandbox.ports,
    httpUrl: sandbox.httpUrl,
    lambdaUrl: sandbox.lambdaUrl,
    wechatpayUrl: sandbox.simulator.url,
    secretsManagerUrl: sandbox.secretsManager.url,
    secretId: SANDBOX_SECRET_ID,
    eventBridgeUrl: sandbox.eventBridge.url,
    eventBus: SANDBOX_EVENT_BUS,
  })
}

if (import.meta.main) {
  let ports: SandboxPorts
  let mode: 'partner' | 'direct'
  try {
    ports = sandboxPorts()
    mode = sandboxMode()
  } catch (error) {
    console.error((error as Error).message)
    process.exit(2)
  }
  // A closed terminal fails every write (EIO): stopping must not die of that half way.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  let sandbox: Sandbox | undefined
  let stopping = false
  const shutdown = async (exitCode: number) => {
    if (stopping) return
    stopping = true
    // Still starting: exiting closes the lifeline of serverless-offline's group, which then ends.
    await sandbox?.stop()
    process.exit(exitCode)
  }
  // Ctrl-C and kill(1) (npm passes SIGINT and SIGTERM on), and a closed terminal (SIGHUP).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(0))
  // npm does not pass SIGHUP on, and it may die without a word: orphaned, the sandbox stops too.
  const parent = process.ppid
  setInterval(() => process.ppid !== parent && shutdown(0), 500).unref()

  sandbox = await startSandbox({ ports, mode, onOutput: (text) => process.stderr.write(text) }).catch(
    (error: unknown) => {
      console.error(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`)
      const taken = Object.values(ports).filter((port) => port !== 0)
      console.error(`Are ports ${taken.join(', ')} free? SANDBOX_PORTS can move them.`)
      process.exit(1)
    },
  )
  console.log(sandboxBanner(sandbox))
  sandbox.offline.once('exit', (code) => {
    if (stopping) return
    console.error(`serverless offline stopped (${code}); stopping the sandbox`)
    void shutdown(1)
  })
}
