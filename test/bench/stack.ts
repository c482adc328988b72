/**
 * The stand-ins, in a process of their own so that their CPU (the simulator signs and verifies too)
 * is never counted against ours: the WeChat Pay simulator (over HTTP, and over TLS with a
 * certificate made for this run), the Secrets Manager and EventBridge stand-ins, a bare 204 server
 * for the plain POSTs, a proxy holding every answer 100 ms (the queue figure), a proxy making the
 * TLS simulator 30 ms away per round trip (the network figure), and a control endpoint (`GET
 * /stats`) counting what the stand-ins received. Started by run.ts with fork(); it sends its
 * addresses and keys once, then lives until the parent disconnects.
 */
import { once } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server as NetServer,
} from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer } from 'node:tls'
import { startEventBridge } from '../../infra/local/eventbridge.ts'
import { startSecretsManager } from '../../infra/local/secrets-manager.ts'
import { startWechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { loadPlatformCertificate } from '../helpers/keys.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { createTestCertificate } from '../helpers/tls.ts'
import { startLatencyProxy } from './latency-proxy.ts'
import type { StackInfo, StackStats } from './shared.ts'

const UPSTREAM_LATENCY_MS = 100
const ROUND_TRIP_MS = 30
const SECRET_ID = 'payscore-terminate/merchant'

async function listenOn(server: NetServer) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}
const listen = async (server: NetServer) => `http://127.0.0.1:${await listenOn(server)}`

const merchant = createTestMerchant()
const platform = loadPlatformCertificate()
const simulator = await startWechatPaySimulator({
  merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.merchantKeys.publicKey }],
  wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey },
  platformCertificate: { serialNo: platform.serialNo, privateKey: platform.privateKey },
})
const secretsManager = await startSecretsManager({ secrets: { [SECRET_ID]: merchant.secretString } })
const eventBridge = await startEventBridge()
const proxy = await startLatencyProxy(simulator.url, { answerDelayMs: UPSTREAM_LATENCY_MS })

// WeChat Pay over TLS: a terminator in front of the simulator, with this run's certificate, which
// the measuring processes trust through NODE_EXTRA_CA_CERTS (the file below).
const certificate = createTestCertificate()
const caFile = join(tmpdir(), `payscore-bench-ca-${process.pid}.pem`)
writeFileSync(caFile, certificate.certificatePem)
const simulatorPort = Number(new URL(simulator.url).port)
const tlsServer = createTlsServer(
  { key: certificate.privateKeyPem, cert: certificate.certificatePem },
  (socket) => {
    const upstream = connect(simulatorPort, '127.0.0.1')
    // As WeChat's servers (and the proxy): no Nagle, which would hold the answer until the session
    // tickets sent before it were acknowledged, a delayed ACK away (40 ms on loopback).
    socket.setNoDelay(true)
    upstream.setNoDelay(true)
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  },
)
const tlsUrl = `https://127.0.0.1:${await listenOn(tlsServer)}`
const distant = await startLatencyProxy(tlsUrl, { roundTripMs: ROUND_TRIP_MS })
// An echo server behind the same kind of proxy: the round trip the proxy really adds, timers and all.
const echo = createTcpServer((socket) => socket.on('error', () => socket.destroy()).pipe(socket))
const echoProxy = await startLatencyProxy(`tcp://127.0.0.1:${await listenOn(echo)}`, {
  roundTripMs: ROUND_TRIP_MS,
})

// The plain baseline's peer: reads the body, answers 204 at once, keeps the connection like WeChat.
const bare = createServer({ keepAliveTimeout: 8_000 }, (request, response) => {
  request.resume()
  request.on('end', () => response.writeHead(204).end())
})
const bareUrl = await listen(bare)

let totalRequests = 0
const control = createServer((_request, response) => {
  const secretCalls = secretsManager.calls.filter((call) => call.operation === 'GetSecretValue').length
  const wechatpayRequests = simulator.requests.length
  // Only counts are kept: the recorded requests and events would otherwise grow for the whole run.
  simulator.requests.length = 0
  totalRequests += wechatpayRequests
  eventCalls += eventBridge.calls.length
  eventBridge.calls.length = 0
  eventBridge.events.length = 0
  const stats: StackStats = {
    secretCalls,
    wechatpayRequests: totalRequests,
    eventCalls,
    distant: { ...distant.stats },
  }
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats))
})
let eventCalls = 0
const controlUrl = await listen(control)

const info: StackInfo = {
  wechatpayUrl: simulator.url,
  slowWechatpayUrl: proxy.url,
  secretsManagerUrl: secretsManager.url,
  eventBridgeUrl: eventBridge.url,
  tlsWechatpayUrl: tlsUrl,
  distantWechatpayUrl: distant.url,
  echoUrl: echoProxy.url,
  caFile,
  roundTripMs: ROUND_TRIP_MS,
  bareUrl,
  controlUrl,
  secretId: SECRET_ID,
  mchid: MCHID,
  merchantSerial: MERCHANT_SERIAL,
  merchantPrivateKeyPem: merchant.merchantKeys.privatePem,
  publicKeyId: PUBLIC_KEY_ID,
  wechatpayPublicKeyPem: merchant.wechatpayKeys.publicPem,
  latencyMs: UPSTREAM_LATENCY_MS,
}

async function shutdown() {
  bare.closeAllConnections()
  control.closeAllConnections()
  await Promise.allSettled([
    simulator.close(),
    secretsManager.close(),
    eventBridge.close(),
    proxy.close(),
    distant.close(),
    echoProxy.close(),
    new Promise((resolve) => tlsServer.close(resolve)),
    new Promise((resolve) => echo.close(resolve)),
    new Promise((resolve) => bare.close(resolve)),
    new Promise((resolve) => control.close(resolve)),
  ])
  rmSync(caFile, { force: true })
  process.exit(0)
}

process.on('disconnect', () => void shutdown())
process.on('SIGTERM', () => void shutdown())
process.send?.(info)
