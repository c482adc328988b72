/**
 * A local WeChat Pay (APIv3) for the eight Pay Score authorization endpoints (terminate and query,
 * by code or by openid, partner and direct mode; the path decides the mode): it verifies request
 * signatures, keeps one state per authorization however it is named, signs every answer, and fails
 * on demand (inject() in tests, magic prefixes on codes and openids in the `npm start` sandbox). It
 * is the oracle our client is tested against, so it shares no code with functions/.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuthorizationBook } from './simulator/authorizations.ts'
import { createFaultBook } from './simulator/faults.ts'
import { handleRequest } from './simulator/handle-request.ts'
import { checkOptions, DEFAULT_APPID } from './simulator/options.ts'
import { errorReply } from './simulator/replies.ts'
import { pickResponseKey, type ResponseKey, signatureHeaders } from './simulator/response-signing.ts'
import type {
  Fault,
  RecordedRequest,
  Reply,
  SimulatorOptions,
  WechatPaySimulator,
} from './simulator/types.ts'

export { MAGIC_CODES, MAGIC_STATES, type MagicCode } from './simulator/magic-codes.ts'
export { DEFAULT_APPID } from './simulator/options.ts'
export { SIGNTEST_PREFIX, SKEWED_TIMESTAMP_SECONDS } from './simulator/response-signing.ts'
export { ROUTES, type RouteSpec } from './simulator/routes.ts'
export type * from './simulator/types.ts'

/** WeChat keeps idle connections about 8 s; Node then announces `Keep-Alive: timeout=8` itself. */
const KEEP_ALIVE_MS = 8_000
const DEFAULT_SLOW_DELAY_MS = 10_000

/** Shaped like WeChat's Request-ID (`08` + upper-case hex + `-` + digit); unique per answer. */
function newRequestId() {
  return `08${randomBytes(19).toString('hex').toUpperCase()}-0`
}

async function readBody(request: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function writeReply(response: ServerResponse, reply: Reply, signature: Record<string, string>) {
  const headers: Record<string, string | number> = { 'Request-ID': newRequestId(), ...signature }
  if (reply.body) {
    headers['Content-Type'] = 'application/json; charset=utf-8'
    headers['Content-Length'] = Buffer.byteLength(reply.body)
  }
  response.writeHead(reply.status, headers).end(reply.body)
}

export async function startWechatPaySimulator(options: SimulatorOptions): Promise<WechatPaySimulator> {
  checkOptions(options)
  const clock = options.clock ?? Date.now
  const slowDelayMs = options.slowDelayMs ?? DEFAULT_SLOW_DELAY_MS
  const requests: RecordedRequest[] = []
  const authorizations = createAuthorizationBook(clock, options.appid ?? DEFAULT_APPID)
  const faults = createFaultBook()
  const slowTimers = new Set<NodeJS.Timeout>()
  let closed = false

  function answer(response: ServerResponse, key: ResponseKey, reply: Reply, fault?: Fault) {
    writeReply(response, reply, signatureHeaders(reply.body, key, clock(), fault))
  }

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const incoming = { method: request.method ?? '', url: request.url ?? '', headers: request.headers }
    let body: Buffer
    try {
      body = await readBody(request)
    } catch {
      return // the client went away mid-body: nothing to record or answer
    }
    const control = options.controlRoutes?.[`${incoming.method} ${incoming.url.split('?')[0]}`]
    if (control) {
      const reply = await control(body.toString('utf8'), simulator).catch((error: unknown) =>
        errorReply(500, 'SYSTEM_ERROR', `control route failure: ${String(error)}`),
      )
      return writeReply(response, reply, {})
    }
    requests.push({
      ...incoming,
      headers: { ...request.headers },
      body: body.toString('utf8'),
      receivedAt: clock(),
    })
    if (closed) return
    const header = request.headers['wechatpay-serial']
    const key = pickResponseKey(options, Array.isArray(header) ? header[0] : header)
    const context = { merchants: options.merchants, nowMs: clock(), authorizations, faults }
    let decision: ReturnType<typeof handleRequest>
    try {
      decision = handleRequest({ ...incoming, body }, context)
    } catch (error) {
      return answer(response, key, errorReply(500, 'SYSTEM_ERROR', `simulator failure: ${String(error)}`))
    }
    if (decision.kind === 'answer') return answer(response, key, decision.reply, decision.fault)
    if (decision.kind === 'reset') return request.socket.destroy()
    const timer = setTimeout(() => {
      slowTimers.delete(timer)
      // The operation takes effect even if the client gave up: that is the ambiguous timeout.
      const reply = decision.operation()
      if (!request.socket.destroyed) answer(response, key, reply)
    }, slowDelayMs)
    timer.unref()
    slowTimers.add(timer)
  }

  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (request, response) => {
    void serve(request, response)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address

  const simulator: WechatPaySimulator = {
    url: `http://${host}:${port}`,
    requests,
    inject: (rule) => faults.inject(rule),
    clearFaults: () => faults.clear(),
    state: (reference) => authorizations.state(reference),
    authorization: (reference) => authorizations.authorization(reference),
    setState: (name, state) => authorizations.setState(name, state),
    trustMerchant: (merchant) => {
      const index = options.merchants.findIndex((known) => known.mchid === merchant.mchid)
      options.merchants.splice(index === -1 ? options.merchants.length : index, 1, merchant)
    },
    rotateKeys(keys) {
      if (keys.wechatpayPublicKey) options.wechatpayPublicKey = keys.wechatpayPublicKey
      if (keys.platformCertificate) options.platformCertificate = keys.platformCertificate
    },
    reset() {
      requests.length = 0
      faults.reset()
      authorizations.reset()
    },
    async close() {
      if (closed) return
      closed = true
      for (const timer of slowTimers) clearTimeout(timer)
      slowTimers.clear()
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
    },
  }
  return simulator
}
