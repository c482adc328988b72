import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { OutcomeKind } from '../../functions/authorizations/outcome.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'

/** What one HTTP call under a fault came to. */
export interface Observation {
  status: number
  /** From the body, or for a 500 (no detail in the body) from the `termination finished` log line. */
  outcome: OutcomeKind | undefined
  attempts: number | undefined
  body: Record<string, unknown>
  /** Requests WeChat Pay (the simulator) received for this code. */
  terminate: number
  query: number
  /** The function's log lines for this invocation (by its request id). */
  logs: Array<Record<string, unknown>>
  elapsedMs: number
}

export interface Harness {
  stack: Stack
  /** A code nobody used, behind a sandbox magic prefix if given. */
  code(prefix?: string): string
  /** Every code handed out, for the leak scan. */
  readonly codes: ReadonlySet<string>
  /** POST /v1/authorizations/{code}/terminate through the real handler. */
  post(code: string, options?: { remainingMs?: number }): Promise<Observation>
  /** GetSecretValue calls so far. */
  secretReads(): number
  /** The container's log lines so far. */
  logLines(): string[]
  close(): Promise<void>
}

type HttpHandler = (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>

/** The stand-ins plus the real HTTP handler of one Lambda container configured with `env`. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const stack = await startStack()
  const container: Container = stack.container(env)
  const handler = container.http as unknown as HttpHandler
  const requestsFor = (code: string, method: string) =>
    stack.simulator.requests.filter(
      (request) =>
        request.method === method &&
        decodeURIComponent(request.url.split('?')[0]!.split('/authorization-code/')[1] ?? '').replace(
          /\/terminate$/,
          '',
        ) === code,
    ).length

  const codes = new Set<string>()
  return {
    stack,
    codes,
    logLines: container.logs.text,
    code(prefix = 'fault') {
      const code = freshCode(prefix)
      codes.add(code)
      return code
    },
    async post(code, { remainingMs = 15_000 } = {}) {
      const context = lambdaContext(remainingMs)
      const started = performance.now()
      const response = await handler(httpEvent(code, VALID), context)
      const elapsedMs = performance.now() - started
      const logs = container.logs.of(context.awsRequestId)
      const body = JSON.parse(String(response.body)) as Record<string, unknown>
      const finished = logs.find((line) => line.message === 'termination finished')
      return {
        status: Number(response.statusCode),
        outcome: (body.outcome ?? finished?.outcome) as OutcomeKind | undefined,
        attempts: (body.attempts ?? finished?.attempts) as number | undefined,
        body,
        terminate: requestsFor(code, 'POST'),
        query: requestsFor(code, 'GET'),
        logs,
        elapsedMs,
      }
    },
    secretReads: () =>
      stack.secretsManager.calls.filter((call) => call.operation === 'GetSecretValue').length,
    close: () => stack.close(),
  }
}

/** Runs one row and checks what every row promises: outcome, status, and what reached WeChat Pay. */
export async function runRow(
  row: {
    id: string
    outcome: OutcomeKind
    status: number
    sent: { terminate: number | readonly [number, number]; query: number | readonly [number, number] }
    run(h: Harness): Promise<Observation>
    check?(observation: Observation, h: Harness): Promise<void> | void
  },
  h: Harness,
): Promise<Observation> {
  const observation = await row.run(h)
  const within = (count: number, expected: number | readonly [number, number]) =>
    typeof expected === 'number' ? count === expected : count >= expected[0] && count <= expected[1]
  const seen = `${observation.status} ${observation.outcome} (attempts ${observation.attempts}, ${observation.terminate} terminate + ${observation.query} query)`
  if (
    observation.status !== row.status ||
    observation.outcome !== row.outcome ||
    !within(observation.terminate, row.sent.terminate) ||
    !within(observation.query, row.sent.query)
  ) {
    const wanted = `${row.status} ${row.outcome} (${JSON.stringify(row.sent)})`
    throw new Error(`${row.id}: expected ${wanted}, got ${seen}`)
  }
  await row.check?.(observation, h)
  return observation
}
