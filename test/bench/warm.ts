/**
 * Warm CPU per call, everything side by side in this one process and in interleaved rounds so that
 * drift hits every row alike: the floor (one RSA-2048 sign + one verify), bare POSTs with fetch, ky
 * and axios, our WeChat Pay client alone, the real HTTP handler (the production bundle: the middy
 * chain, logs, metrics) and wechatpay-axios-plugin. The stand-ins run in another process (stack.ts),
 * so only this side's CPU is counted. Run with --expose-gc: each block ends with a minor GC inside
 * its window, so every row pays for its own garbage and none for its neighbour's.
 */

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import axios from 'axios'
import ky from 'ky'
import { terminateRequest } from '../../functions/authorizations/reference.ts'
import { createClient } from '../../functions/wechatpay/client.ts'
import { postForNoContent } from '../../functions/wechatpay/operations.ts'
import { createSigner, loadPrivateKey } from '../../functions/wechatpay/signer.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'
import { USER_AGENT } from '../../functions/wechatpay/version.ts'
import { httpEvent } from '../helpers/lambda.ts'
import { createPluginTerminate } from './plugin-client.ts'
import { BODY, benchContext, createFloor, finish, freshCode, handlerEnv, readStack } from './shared.ts'

export const WARM_ROWS = [
  'floor',
  'bareFetch',
  'bareKy',
  'bareAxios',
  'signedFetch',
  'client',
  'handler',
  'plugin',
] as const
export type WarmRow = (typeof WARM_ROWS)[number]
export interface WarmResult {
  /** CPU microseconds per call of each row, one sample per round (same index, same round). */
  samples: Record<WarmRow, number[]>
  rounds: number
  callsPerRound: number
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30)
const CALLS = Number(process.env.BENCH_CALLS ?? 50)
const stack = readStack()
Object.assign(process.env, handlerEnv(stack))
const { handler } = (await import(process.env.BENCH_HANDLER ?? '../../functions/http.ts')) as {
  handler: Handler
}

const signer = createSigner({
  mchid: stack.mchid,
  serialNo: stack.merchantSerial,
  privateKey: loadPrivateKey(stack.merchantPrivateKeyPem),
})
const verifier = createVerifier({ publicKey: { id: stack.publicKeyId, key: stack.wechatpayPublicKeyPem } })
const client = createClient({ signer, verifier, baseUrl: stack.wechatpayUrl, backupUrl: null })
const pluginTerminate = createPluginTerminate(stack)
const floor = createFloor()
const bareUrl = `${stack.bareUrl}/v3/payscore/partner/permissions/authorization-code/code/terminate`
const bareBody = JSON.stringify(BODY)
const bareHeaders = { 'content-type': 'application/json' }
const terminatePath = (code: string) =>
  `/v3/payscore/partner/permissions/authorization-code/${code}/terminate`

/** The same job as the client with none of its plumbing: sign, one fetch, verify. */
async function signedFetch(code: string) {
  const path = terminatePath(code)
  const response = await fetch(stack.wechatpayUrl + path, {
    method: 'POST',
    body: bareBody,
    headers: {
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      'Wechatpay-Serial': stack.publicKeyId,
      'Content-Type': 'application/json',
      Authorization: signer.authorize('POST', path, bareBody),
    },
  })
  verifier.verify(response.headers, await response.text())
  if (response.status !== 204) throw new Error(`signed fetch answered ${response.status}`)
}

/** Each row: how to make one call's input (outside the window) and the call itself. */
const rows: Record<WarmRow, { input: () => unknown; call: (input: never) => unknown }> = {
  floor: { input: () => undefined, call: floor },
  bareFetch: {
    input: () => undefined,
    call: async () => (await fetch(bareUrl, { method: 'POST', body: bareBody, headers: bareHeaders })).text(),
  },
  bareKy: {
    input: () => undefined,
    call: async () => (await ky.post(bareUrl, { body: bareBody, headers: bareHeaders })).text(),
  },
  bareAxios: { input: () => undefined, call: () => axios.post(bareUrl, BODY) },
  signedFetch: { input: freshCode, call: signedFetch },
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
  handler: {
    input: () => ({ event: httpEvent(freshCode(), BODY), context: benchContext(crypto.randomUUID()) }),
    call: async ({ event, context }: { event: APIGatewayProxyEventV2; context: Context }) => {
      const response = await handler(event, context)
      if (response.statusCode !== 200) throw new Error(`handler answered ${response.statusCode}`)
    },
  },
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

for (const row of WARM_ROWS) await block(row, CALLS) // warm-up: JIT, connections, the secret fetch
const samples = Object.fromEntries(WARM_ROWS.map((row) => [row, [] as number[]])) as Record<WarmRow, number[]>
for (let round = 0; round < ROUNDS; round++) {
  for (const row of WARM_ROWS) samples[row].push(await block(row, CALLS))
}
finish({ samples, rounds: ROUNDS, callsPerRound: CALLS } satisfies WarmResult)
