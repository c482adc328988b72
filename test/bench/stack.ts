/**
 * The stand-ins, in a process of their own so that their CPU (the simulator signs and verifies too)
 * is never counted against ours: the WeChat Pay simulator, the Secrets Manager stand-in, a bare 204
 * server for the plain fetch, ky and axios POSTs, a 100 ms latency proxy in front of the simulator,
 * and a control endpoint (`GET /stats`) counting what the stand-ins received. Started by run.ts with
 * fork(); it sends its addresses and keys once, then lives until the parent disconnects.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startSecretsManager } from '../../infra/local/secrets-manager.ts'
import { startWechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { loadPlatformCertificate } from '../helpers/keys.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { startLatencyProxy } from './latency-proxy.ts'
import type { StackInfo } from './shared.ts'

const UPSTREAM_LATENCY_MS = 100
const SECRET_ID = 'payscore-terminate/merchant'

async function listen(server: ReturnType<typeof createServer>) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const merchant = createTestMerchant()
const platform = loadPlatformCertificate()
const simulator = await startWechatPaySimulator({
  merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.merchantKeys.publicKey }],
  wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey },
  platformCertificate: { serialNo: platform.serialNo, privateKey: platform.privateKey },
})
const secretsManager = await startSecretsManager({ secrets: { [SECRET_ID]: merchant.secretString } })
const proxy = await startLatencyProxy(simulator.url, UPSTREAM_LATENCY_MS)

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
  // Only counts are kept: the recorded requests would otherwise grow for the whole run.
  simulator.requests.length = 0
  totalRequests += wechatpayRequests
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ secretCalls, wechatpayRequests: totalRequests }))
})
const controlUrl = await listen(control)

const info: StackInfo = {
  wechatpayUrl: simulator.url,
  slowWechatpayUrl: proxy.url,
  secretsManagerUrl: secretsManager.url,
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
    proxy.close(),
    new Promise((resolve) => bare.close(resolve)),
    new Promise((resolve) => control.close(resolve)),
  ])
  process.exit(0)
}

process.on('disconnect', () => void shutdown())
process.on('SIGTERM', () => void shutdown())
process.send?.(info)
