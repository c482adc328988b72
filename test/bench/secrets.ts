/**
 * GetSecretValue calls per 1,000 warm invocations of the real HTTP handler (the production bundle,
 * EVENT_BUS set as deployed), counted at the Secrets Manager stand-in. BENCH_TTL_SECONDS sets the handler's SECRET_TTL_SECONDS (unset: the default, 300 s);
 * BENCH_SPREAD_MS spreads the invocations over that long, BENCH_PARALLEL at a time, so that a
 * short TTL expires under concurrent callers.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'
import { httpEvent } from '../helpers/lambda.ts'
import { BODY, benchContext, finish, freshCode, handlerEnv, readStack, stackStats } from './shared.ts'

export interface SecretsResult {
  ttlSeconds: number
  invocations: number
  parallel: number
  secretCalls: number
  elapsedSeconds: number
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>

const INVOCATIONS = 1_000
const ttl = process.env.BENCH_TTL_SECONDS
const spreadMs = Number(process.env.BENCH_SPREAD_MS ?? 0)
const parallel = Number(process.env.BENCH_PARALLEL ?? 1)

const stack = readStack()
const events = { EVENT_BUS: 'payscore-bench', AWS_ENDPOINT_URL_EVENTBRIDGE: stack.eventBridgeUrl }
Object.assign(process.env, handlerEnv(stack, { ...events, ...(ttl ? { SECRET_TTL_SECONDS: ttl } : {}) }))
const { handler } = (await import(process.env.BENCH_HANDLER ?? '../../functions/http.ts')) as {
  handler: Handler
}

async function invoke() {
  const response = await handler(httpEvent(freshCode(), BODY), benchContext(crypto.randomUUID()))
  if (response.statusCode !== 200) throw new Error(`handler answered ${response.statusCode}`)
}

await invoke() // the cold call: the container's first fetch, not counted
const before = await stackStats(stack)
const started = performance.now()
for (let sent = 0; sent < INVOCATIONS; sent += parallel) {
  const due = started + (spreadMs * sent) / INVOCATIONS
  const wait = due - performance.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  await Promise.all(Array.from({ length: Math.min(parallel, INVOCATIONS - sent) }, invoke))
}
const elapsedSeconds = (performance.now() - started) / 1000
const after = await stackStats(stack)

finish({
  ttlSeconds: ttl ? Number(ttl) : 300,
  invocations: INVOCATIONS,
  parallel,
  secretCalls: after.secretCalls - before.secretCalls,
  elapsedSeconds,
} satisfies SecretsResult)
