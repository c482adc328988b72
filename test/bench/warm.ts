/**
 * Warm CPU per call, everything side by side in this one process and in interleaved rounds so that
 * drift hits every row alike: the floor (one RSA-2048 sign + one verify), bare POSTs with fetch,
 * node:http, ky (over our transport, as the client uses it) and axios, the same signed job with no
 * library, our WeChat Pay client alone, the real HTTP handler (the production bundle: the middy
 * chain, logs, metrics), the same with EVENT_BUS set (one PutEvents per call), and
 * wechatpay-axios-plugin. The stand-ins run in another process (stack.ts), so only this side's CPU
 * is counted. Run with --expose-gc: each block ends with a minor GC inside its window, so every row
 * pays for its own garbage and none for its neighbour's.
 */

import { Agent, request } from 'node:http'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import axios from 'axios'
import ky from 'ky'
import { terminateRequest } from '../../functions/authorizations/reference.ts'
import { createClient } from '../../functions/wechatpay/client.ts'
import { postForNoContent } from '../../functions/wechatpay/operations.ts'
import { createSigner, loadPrivateKey } from '../../functions/wechatpay/signer.ts'
import { createTransport } from '../../functions/wechatpay/transport.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'
import { USER_AGENT } from '../../functions/wechatpay/version.ts'
import { httpEvent } from '../helpers/lambda.ts'
import { createPluginTerminate } from './plugin-client.ts'
import { BODY, benchContext, createFloor, finish, freshCode, handlerEnv, readStack } from './shared.ts'

export const WARM_ROWS = [
  'floor',
  'bareFetch',
  'bareHttp',
  'bareKy',
  'bareAxios',
  'signedHttp',
  'client',
  'handler',
  'handlerEvents',
  'plugin',
] as const
export type WarmRow = (typeof WARM_ROWS)[number]
export interface WarmResult {
  /** CPU microseconds per call of each row, one sample per round (same index, same round). */
  samples: Record<WarmRow, number[]>
  rounds: number
  callsPerRound: number
  warmupCalls: number
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30)
const CALLS = Number(process.env.BENCH_CALLS ?? 50)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1500)
const stack = readStack()

/**
 * The bundle twice (a query string makes a second module instance): without EVENT_BUS and with it.
 * Each reads its configuration when it is first used, so each is called once with its environment.
 */
async function loadHandler(tag: string, env: Record<string, string>): Promise<Handler> {
  Object.assign(process.env, env)
  const { handler } = (await import(`${process.env.BENCH_HANDLER ?? '../../functions/http.ts'}?${tag}`)) as {
    handler: Handler
  }
  await handler(httpEvent(freshCode(), BODY), benchContext(crypto.randomUUID()))
  return handler
}
const handler = await loadHandler('plain', handlerEnv(stack))
const events = { EVENT_BUS: 'payscore-bench', AWS_ENDPOINT_URL_EVENTBRIDGE: stack.eventBridgeUrl }
const handlerWithEvents = await loadHandler('events', handlerEnv(stack, events))

const signer = createSigner({
  mchid: stack.mchid,
  serialNo: stack.merchantSerial,
  privateKey: loadPrivateKey(stack.merchantPrivateKeyPem),
})
const verifier = createVerifier({ publicKey: { id: stack.publicKeyId, key: stack.wechatpayPublicKeyPem } })
const client = createClient({ signer, verifier, baseUrl: stack.wechatpayUrl, backupUrl: null })
const pluginTerminate = createPluginTerminate(stack)
const floor = createFloor()
const bareUrl = new URL(`${stack.bareUrl}/v3/payscore/partner/permissions/authorization-code/code/terminate`)
const bareBody = JSON.stringify(BODY)
const bareHeaders = { 'content-type': 'application/json' }
const kyOverTransport = ky.create({ fetch: createTransport().fetch, retry: 0 })
const agent = new Agent({ keepAlive: true })
const simulator = new URL(stack.wechatpayUrl)
const terminatePath = (code: string) =>
  `/v3/payscore/partner/permissions/authorization-code/${code}/terminate`

/** One POST with node:http on a keep-alive connection; resolves with the answer's status, headers and body. */
function post(url: URL, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Headers; body: string }>((resolve, reject) => {
    const outgoing = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path, headers },
      (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => {
          const answer = new Headers()
          const raw = incoming.rawHeaders
          for (let index = 0; index < raw.length; index += 2) answer.append(raw[index]!, raw[index + 1]!)
          resolve({
            status: incoming.statusCode ?? 0,
            headers: answer,
            body: Buffer.concat(chunks).toString(),
          })
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(bareBody)
  })
}

/** The same job as the client with no library at all: sign, one node:http POST, verify. */
async function signedHttp(code: string) {
  const path = terminatePath(code)
  const answer = await post(simulator, path, {
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
    'Wechatpay-Serial': stack.publicKeyId,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(bareBody)),
    Authorization: signer.authorize('POST', path, bareBody),
  })
  verifier.verify(answer.headers, answer.body)
  if (answer.status !== 204) throw new Error(`signed POST answered ${answer.status}`)
}

const byHandler = (call: Handler) => ({
  input: () => ({ event: httpEvent(freshCode(), BODY), context: benchContext(crypto.randomUUID()) }),
  call: async ({ event, context }: { event: APIGatewayProxyEventV2; context: Context }) => {
    const response = await call(event, context)
    if (response.statusCode !== 200) throw new Error(`handler answered ${response.statusCode}`)
  },
})

/** Each row: how to make one call's input (outside the window) and the call itself. */
const rows: Record<WarmRow, { input: () => unknown; call: (input: never) => unknown }> = {
  floor: { input: () => undefined, call: floor },
  bareFetch: {
    input: () => undefined,
    call: async () => (await fetch(bareUrl, { method: 'POST', body: bareBody, headers: bareHeaders })).text(),
  },
  bareHttp: { input: () => undefined, call: () => post(bareUrl, bareUrl.pathname, bareHeaders) },
  bareKy: {
    input: () => undefined,
    call: async () => (await kyOverTransport.post(bareUrl, { body: bareBody, headers: bareHeaders })).text(),
  },
  bareAxios: { input: () => undefined, call: () => axios.post(bareUrl.href, BODY) },
  signedHttp: { input: freshCode, call: signedHttp },
  client: {
    input: freshCode,
    call: (code: string) =>
      postForNoContent(
        client,
        terminateRequest(
          {
            mode: 'partner',
            service_id: BODY.service_id,
            sub_mchid: BODY.sub_mchid,
            authorization_code: code,
            openid: null,
            sub_openid: null,
            appid: null,
            sub_appid: null,
          },
          BODY.reason,
        ),
        { deadline: Date.now() + 10_000 },
      ),
  },
  handler: byHandler(handler),
  handlerEvents: byHandler(handlerWithEvents),
  plugin: { input: freshCode, call: pluginTerminate },
}

const minorGc = () => (globalThis.gc as ((options: object) => void) | undefined)?.({ type: 'minor' })

async function block(row: WarmRow, count: number) {
  const { input, call } = rows[row]
  const inputs = Array.from({ length: count }, input)
  minorGc()
  const start = process.cpuUsage()
  for (const item of inputs) await call(item as never)
  minorGc()
  const { user, system } = process.cpuUsage(start)
  return (user + system) / count
}

// Warm-up, in blocks and interleaved like the rounds: JIT, connections, caches. The handler's CPU
// per call keeps falling over its first 1,500-2,000 calls (the optimizing compiler, inline caches
// settling): a container that has served that many is what "warm" means here.
for (let done = 0; done < WARMUP; done += CALLS) {
  for (const row of WARM_ROWS) await block(row, CALLS)
}
const samples = Object.fromEntries(WARM_ROWS.map((row) => [row, [] as number[]])) as Record<WarmRow, number[]>
for (let round = 0; round < ROUNDS; round++) {
  for (const row of WARM_ROWS) samples[row].push(await block(row, CALLS))
}
finish({ samples, rounds: ROUNDS, callsPerRound: CALLS, warmupCalls: WARMUP } satisfies WarmResult)
