import type { IncomingMessage, RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { pipeline, type Readable } from 'node:stream'
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { type ConnectionOptions, type Connections, createConnections, http } from './connections.ts'

/**
 * ky's `fetch`: the same contract as the global fetch for what the client sends (a Request in, a
 * Response out, its body a web stream, decoded as fetch decodes it; rejections as fetch's, a
 * `TypeError('fetch failed')` for a connection that failed, which ky calls a NetworkError), built
 * on node:http and node:https. Node's fetch (undici) costs about twice the CPU per request of
 * node:http on our path (docs/BENCHMARKS.md), and node:http gives what the client needs besides:
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

/** Statuses whose answer has no body, whatever the server sends. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

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
      const abort = () => outgoing.destroy(signal.reason)
      signal.addEventListener('abort', abort, { once: true })
      const done = () => signal.removeEventListener('abort', abort)
      outgoing.once('error', (error) => {
        done()
        if (!answered)
          reject(signal.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }))
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

/**
 * The request's body, read with a reader that is then released: ky cancels the body of every
 * request it made once the call is over, which is free on a released stream and costs an error
 * (with its stack) on one that `arrayBuffer()` left locked.
 */
async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value)
  reader.releaseLock()
  return Buffer.concat(chunks)
}

/** The answer as fetch gives it: headers joined as fetch joins repeats, the body decoded and streamed. */
function toResponse(incoming: IncomingMessage, method: string, signal: AbortSignal): Response {
  const headers = new Headers()
  const raw = incoming.rawHeaders
  for (let index = 0; index < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!)
  const status = incoming.statusCode ?? 0
  const init = { status, statusText: incoming.statusMessage ?? '', headers }
  if (method === 'HEAD' || NULL_BODY.has(status)) {
    incoming.resume()
    return new Response(null, init)
  }
  const body = decoded(incoming, headers.get('content-encoding'))
  // A connection lost mid-body is fetch's `terminated`; our own abort is its reason.
  const failed = (error: Error) =>
    signal.aborted ? signal.reason : new TypeError('terminated', { cause: error })
  return new Response(webStream(body, failed), init)
}

/**
 * A node stream as a web stream, pulled: at most 64 KiB waits in it for the reader. Cancelling it
 * (the client's body limit or timeout) destroys the response, which ends the transfer and the
 * connection.
 */
function webStream(body: Readable, failed: (error: Error) => unknown): ReadableStream<Uint8Array> {
  let open = true
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body.on('data', (chunk: Buffer) => {
          controller.enqueue(chunk)
          if ((controller.desiredSize ?? 1) <= 0) body.pause()
        })
        body.once('end', () => {
          if (open) controller.close()
        })
        body.once('error', (error) => controller.error(failed(error)))
      },
      pull() {
        body.resume()
      },
      cancel() {
        open = false
        body.destroy()
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  )
}

/**
 * The body with its content codings undone, as fetch does (gzip, deflate, br; an unknown coding
 * leaves the body as it came). Decoded bytes are what the client's 64 KiB limit counts.
 */
function decoded(incoming: IncomingMessage, encoding: string | null): Readable {
  const codings = encoding
    ? encoding
        .toLowerCase()
        .split(',')
        .map((coding) => coding.trim())
    : []
  const decoders = []
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip(ZLIB_FLUSH))
    else if (coding === 'deflate') decoders.push(createInflate(ZLIB_FLUSH))
    else if (coding === 'br') decoders.push(createBrotliDecompress(BROTLI_FLUSH))
    else if (coding !== 'identity' && coding !== '') return incoming
  }
  if (decoders.length === 0) return incoming
  return pipeline([incoming, ...decoders], () => undefined) as unknown as Readable
}

// As fetch: a truncated compressed body gives what it holds rather than an error.
const ZLIB_FLUSH = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH }
const BROTLI_FLUSH = {
  flush: constants.BROTLI_OPERATION_FLUSH,
  finishFlush: constants.BROTLI_OPERATION_FLUSH,
}

let shared: Transport | undefined

/** The container's transport: one pool of connections for every client the container builds. */
export function defaultTransport(): Transport {
  shared ??= createTransport()
  return shared
}
