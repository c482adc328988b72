/**
 * A local HTTP server speaking Lambda's Invoke API (POST /2015-03-31/functions/NAME/invocations)
 * that answers every event with a `terminated` outcome, at once or after a delay. Only for what the
 * CLI does whatever the answers (memory, throughput, interruption): the handlers' behaviour is
 * tested against the sandbox's real ones.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface FakeLambda {
  url: string
  invocations: () => number
  /** The most invocations that were in progress at once. */
  peakConcurrency: () => number
  /** When each invocation arrived (ms, monotonic). */
  arrivals: number[]
  /** The events received, in arrival order. */
  events: Array<Record<string, string>>
  close(): Promise<void>
}

const INVOKE = /^\/2015-03-31\/functions\/[^/]+\/invocations$/

/**
 * `delayMs`: how long each answer takes (0: at once), or a function of the event that says.
 * `refuses`: events the function throws InvalidRequestError for, as a deployed function whose input
 * rules differ from the CLI's would (another version).
 */
export async function startFakeLambda(
  delayMs: number | ((event: Record<string, string>) => number) = 0,
  refuses: (event: Record<string, string>) => boolean = () => false,
): Promise<FakeLambda> {
  let invocations = 0
  let inProgress = 0
  let peak = 0
  const arrivals: number[] = []
  const events: Array<Record<string, string>> = []
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (request.method !== 'POST' || !INVOKE.test(request.url ?? '')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}')
      return
    }
    invocations += 1
    arrivals.push(performance.now())
    inProgress += 1
    peak = Math.max(peak, inProgress)
    const event = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>
    events.push(event)
    const delay = typeof delayMs === 'number' ? delayMs : delayMs(event)
    if (delay > 0) await sleep(delay)
    inProgress -= 1
    if (refuses(event)) {
      const error = {
        errorType: 'InvalidRequestError',
        errorMessage: 'invalid request: reason: not allowed here',
      }
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' })
      response.end(JSON.stringify(error))
      return
    }
    const outcome = {
      outcome: 'terminated',
      authorization_code: event.authorization_code,
      service_id: event.service_id,
      sub_mchid: event.sub_mchid,
      wechatpay: {
        status: 204,
        code: null,
        message: null,
        request_id: `08FAKE${invocations}-0`,
        authorization_state: null,
      },
      attempts: 1,
    }
    response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' })
    response.end(JSON.stringify(outcome))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    invocations: () => invocations,
    peakConcurrency: () => peak,
    arrivals,
    events,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
