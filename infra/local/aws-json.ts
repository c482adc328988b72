/**
 * The awsJson1_1 protocol's answers, as the AWS stand-ins (Secrets Manager, EventBridge) send them,
 * so that the real AWS SDK reads them exactly as it reads the service's.
 */
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const AWS_JSON = 'application/x-amz-json-1.1'

/** An error by AWS's name (`ThrottlingException`, ...), with the status the service answers it with. */
export class AwsError extends Error {
  readonly type: string
  readonly status: number
  constructor(type: string, message: string, status = 400) {
    super(message)
    this.type = type
    this.status = status
  }
}

/** Errors go out the way awsJson1_1 services send them: `__type` in the body and `x-amzn-ErrorType`. */
export function reply(response: ServerResponse, result: object): void {
  const headers: Record<string, string> = { 'content-type': AWS_JSON, 'x-amzn-RequestId': randomUUID() }
  if (result instanceof AwsError) {
    headers['x-amzn-ErrorType'] = result.type
    response
      .writeHead(result.status, headers)
      .end(JSON.stringify({ __type: result.type, message: result.message }))
    return
  }
  response.writeHead(200, headers).end(JSON.stringify(result))
}

/**
 * A stand-in's HTTP server on `host:port` (0: any free one). `handle` answers each request; what it
 * throws is answered as the service's `internalError` (500), unless `closing` was aborted: a request
 * cut short by close() has no one left to answer. close() aborts `closing` (ending the handlers'
 * waits), then stops the server and its connections.
 */
export async function serveAwsJson(options: {
  port: number
  host: string
  closing: AbortController
  internalError: string
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>
}): Promise<{ url: string; close(): Promise<void> }> {
  const { host, closing } = options
  const server = createServer((request, response) => {
    options.handle(request, response).catch((error: unknown) => {
      if (closing.signal.aborted) return
      reply(response, new AwsError(options.internalError, String(error), 500))
    })
  })
  server.listen(options.port, host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      if (!server.listening) return
      closing.abort()
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    },
  }
}
