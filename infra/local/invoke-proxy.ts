/**
 * The sandbox's Lambda invoke API: a pass-through to serverless-offline's, except for one answer.
 * For an unhandled function error, AWS names the error (`"errorType": "InvalidRequestError"`, which
 * a Step Functions Catch or an SDK caller matches on) while serverless-offline 14 always says
 * `"Error"` (hard-coded in its InvocationsController.js). Its `trace` still starts with the error's
 * own stack line (`InvalidRequestError: invalid request: ...`): the proxy puts that name back.
 */
import { once } from 'node:events'
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface InvokeProxy {
  url: string
  close(): Promise<void>
}

/** `{"errorType":"Error","trace":["InvalidRequestError: ...", ...]}` -> errorType InvalidRequestError. */
export function withErrorName(payload: string): string {
  let error: unknown
  try {
    error = JSON.parse(payload)
  } catch {
    return payload
  }
  if (typeof error !== 'object' || error === null) return payload
  const { errorType, trace } = error as { errorType?: unknown; trace?: unknown }
  const name = /^([A-Za-z_$][\w$]*)(?::|$)/.exec(Array.isArray(trace) ? String(trace[0]) : '')?.[1]
  return errorType === 'Error' && name ? JSON.stringify({ ...error, errorType: name }) : payload
}

/** `target`: the Unix socket serverless-offline's invoke API listens on (no TCP port to race for). */
export async function startInvokeProxy(options: { port: number; target: string }): Promise<InvokeProxy> {
  const server = createServer((request, response) => {
    const upstream = httpRequest(
      {
        socketPath: options.target,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      async (answer) => {
        if (answer.headers['x-amz-function-error'] !== 'Unhandled') {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
          return
        }
        const payload = withErrorName(Buffer.concat(await answer.toArray()).toString())
        response.writeHead(answer.statusCode ?? 502, withLength(answer.headers, payload)).end(payload)
      },
    )
    upstream.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' })
      response.end(`serverless-offline's Lambda invoke API did not answer: ${error.message}`)
    })
    request.pipe(upstream)
  })
  server.listen(options.port, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

function withLength(headers: IncomingHttpHeaders, body: string): IncomingHttpHeaders {
  const { 'transfer-encoding': _chunked, 'content-length': _length, ...rest } = headers
  return { ...rest, 'content-length': String(Buffer.byteLength(body)) }
}
