/** What the benchmark's processes share: the stand-ins' addresses, the handler's environment, CPU sampling. */
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import type { Context } from 'aws-lambda'

/** Sent once by stack.ts: where the stand-ins listen and the keys both clients need. */
export interface StackInfo {
  wechatpayUrl: string
  /** The simulator behind the latency proxy. */
  slowWechatpayUrl: string
  secretsManagerUrl: string
  eventBridgeUrl: string
  /** The simulator over TLS (this run's certificate, trusted through `caFile`). */
  tlsWechatpayUrl: string
  /** The TLS simulator behind a proxy that adds `roundTripMs` per round trip. */
  distantWechatpayUrl: string
  /** A TCP echo server behind the same kind of proxy (tcp://host:port), to time a bare round trip. */
  echoUrl: string
  /** The certificate of the TLS simulator, for NODE_EXTRA_CA_CERTS. */
  caFile: string
  roundTripMs: number
  bareUrl: string
  controlUrl: string
  secretId: string
  mchid: string
  merchantSerial: string
  merchantPrivateKeyPem: string
  publicKeyId: string
  wechatpayPublicKeyPem: string
  latencyMs: number
}

export interface StackStats {
  secretCalls: number
  wechatpayRequests: number
  /** PutEvents calls received by the EventBridge stand-in. */
  eventCalls: number
  /** What crossed the distant (30 ms) proxy so far. */
  distant: { connections: number; roundTrips: number; lastConnectionAt: number }
}

export const BODY = { service_id: '500001', sub_mchid: '1900000109', reason: '用户申请解除授权' }

/** The stand-ins' addresses from run.ts; a measuring process also ends when run.ts goes away. */
export function readStack(): StackInfo {
  process.once('disconnect', () => process.exit(1))
  const text = process.env.BENCH_STACK
  if (!text) throw new Error('BENCH_STACK is not set: run the benchmark with `npm run bench`')
  return JSON.parse(text) as StackInfo
}

export async function stackStats(stack: StackInfo): Promise<StackStats> {
  const response = await fetch(`${stack.controlUrl}/stats`)
  return (await response.json()) as StackStats
}

/** The environment the real handlers read once per container, pointed at the stand-ins. */
export function handlerEnv(stack: StackInfo, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    MERCHANT_SECRET_ID: stack.secretId,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.secretsManagerUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    WECHATPAY_BASE_URL: stack.wechatpayUrl,
    WECHATPAY_BACKUP_URL: '',
    ...overrides,
  }
}

let counter = 0
/** A code the simulator has never seen, so every call really terminates (the simulator keeps states). */
export function freshCode() {
  counter += 1
  return `b${process.pid.toString(36)}_${Date.now().toString(36)}_${counter}`.slice(0, 32)
}

/** A Lambda context that never runs out during a call; built outside the measured window. */
export function benchContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'payscore-terminate-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:payscore-terminate-bench',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/payscore-terminate-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 15_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }
}

/** User + system CPU of this whole process (all threads, GC included), in microseconds. */
export function cpuMicros() {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** CPU microseconds per call of `work`, run `count` times one after another; inputs are made beforehand. */
export async function cpuPerCall<T>(
  inputs: readonly T[],
  work: (input: T) => unknown | Promise<unknown>,
): Promise<number> {
  const start = cpuMicros()
  for (const input of inputs) await work(input)
  return (cpuMicros() - start) / inputs.length
}

/**
 * The floor: what one termination cannot avoid on our side, one RSA-2048 SHA256withRSA signature (the
 * request) and one verification (the answer), with node:crypto and KeyObjects as the client holds them.
 */
export function createFloor() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const request = Buffer.from(
    `POST\n/v3/payscore/partner/permissions/authorization-code/code/terminate\n1700000000\n${'n'.repeat(32)}\n${JSON.stringify(BODY)}\n`,
  )
  const answer = Buffer.from(`1700000000\n${'n'.repeat(32)}\n\n`)
  const answerSignature = sign('sha256', answer, privateKey)
  return () => {
    sign('sha256', request, privateKey).toString('base64')
    if (!verify('sha256', answer, publicKey, answerSignature)) throw new Error('floor: verify failed')
  }
}

export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Peak resident set size of this process so far, in MiB (resourceUsage reports KiB). */
export const peakRssMiB = () => process.resourceUsage().maxRSS / 1024

/** Hands the result to run.ts and lets the process end. */
export function finish(result: object) {
  process.send?.(result, () => process.exit(0))
  if (!process.send) {
    console.log(JSON.stringify(result, null, 2))
    process.exit(0)
  }
}

/**
 * The V8 heap limits the Lambda Node.js runtime starts a function with, from its memory size (its
 * bootstrap: new space a tenth of the memory, half of it per semi-space, the rest old space). The
 * measuring processes run with them, so the young generation grows as it would in Lambda, not as
 * this machine's memory would let it.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10)
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`]
}
