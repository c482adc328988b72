import type { RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { type ConnectionOptions, type Connections, createConnections, http } from './connections.ts'
import { readAll, toResponse } from './transport-messages.ts'

/**
 * ky's `fetch`: the same contract as the global fetch for what the client sends (a Request in, a
 * Response out, its body a web stream, decoded as fetch decodes it; rejections as fetch's, a
 * `TypeError('fetch failed')` for a connection that failed, which ky calls a NetworkError), built
 * on node:http and node:https. A request through Node's fetch (undici) costs three to four times the
 * CPU of one through node:http (docs/BENCHMARKS.md), and node:http gives what the client needs besides:
 * a connect timeout (a connection that hangs fails over, as one refused does), a connection opened
 * ahead of the first request, and TLS sessions resumed. It never follows a redirect.
 */
export interface Transport {
  fetch: typeof fetch
  /** Opens a connection to `origin` (an http(s) URL) ahead of the first request there. */
  preconnect(origin: string): void
  /** Closes every connection (tests). */
  close(): void
}

/**
 * What the transport takes besides a standard fetch's arguments: ky passes every option it does not
 * know on to its `fetch`, and the client gives the body that way (`payload`) rather than as the
 * Request's body, a web stream that would be made, read back and cancelled on every attempt.
 */
export interface TransportInit extends RequestInit {
  payload?: string
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = { connectTimeoutMs: 3_000, idleTimeoutMs: 6_000 }

export function createTransport(options: Partial<ConnectionOptions> = {}): Transport {
  const settings = { ...DEFAULT_CONNECTION_OPTIONS, ...options }
  const agents: Partial<Record<'http:' | 'https:', Connections>> = {}
  const agentFor = (protocol: string) => {
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`unsupported protocol ${protocol}`)
    agents[protocol] ??= createConnections(protocol === 'https:', settings)
    return agents[protocol]
  }
  const endpoint = (url: URL) => ({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
  })

  async function send(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const { signal } = request
    let agent: Connections
    try {
      agent = agentFor(url.protocol)
    } catch (cause) {
      throw new TypeError('fetch failed', { cause })
    }
    const given = (init as TransportInit | undefined)?.payload
    const payload =
      given !== undefined ? Buffer.from(given) : request.body ? await readAll(request.body) : undefined
    const headers: Record<string, string> = {}
    for (const [name, value] of request.headers) headers[name] = value
    if (payload) headers['content-length'] = String(payload.byteLength)
    signal.throwIfAborted()
    const { host, port } = endpoint(url)
    const requestOptions: RequestOptions = {
      agent,
      host,
      port,
      method: request.method,
      path: url.pathname + url.search,
      headers,
    }
    return new Promise<Response>((resolve, reject) => {
      const outgoing = (url.protocol === 'https:' ? httpsRequest : http.request)(requestOptions)
      let answered = false
      // Whether the whole request was handed to the connection: a failure before that sent nothing.
      let sent = false
      outgoing.once('finish', () => {
        sent = true
      })
      const abort = () => outgoing.destroy(signal.reason)
      signal.addEventListener('abort', abort, { once: true })
      const done = () => signal.removeEventListener('abort', abort)
      outgoing.once('error', (error) => {
        done()
        if (!answered) {
          reject(
            signal.aborted
              ? signal.reason
              : Object.assign(new TypeError('fetch failed', { cause: error }), { requestSent: sent }),
          )
        }
      })
      outgoing.once('response', (incoming) => {
        answered = true
        try {
          resolve(toResponse(incoming, request.method, signal))
        } catch (cause) {
          incoming.destroy()
          reject(new TypeError('fetch failed', { cause }))
        }
        incoming.once('close', done)
      })
      outgoing.end(payload)
    })
  }

  return {
    fetch: send as typeof fetch,
    preconnect(origin) {
      const url = new URL(origin)
      const { host, port } = endpoint(url)
      agentFor(url.protocol).preconnect(host, port)
    },
    close() {
      for (const agent of Object.values(agents)) agent.destroy()
    },
  }
}

let shared: Transport | undefined

/** The container's transport: one pool of connections for every client the container builds. */
export function defaultTransport(): Transport {
  shared ??= createTransport()
  return shared
}
