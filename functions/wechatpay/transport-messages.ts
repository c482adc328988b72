/**
 * The two ends of a request as the transport (transport.ts) turns them between node:http and fetch's
 * types: the Request body read back, and the answer made a Response as fetch makes it (headers joined
 * as fetch joins them, the body decoded as fetch decodes it, streamed to the reader's pace).
 */
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { pipeline, type Readable } from 'node:stream'

/**
 * node:zlib when an answer is compressed, which WeChat's are not (we do not ask): required then,
 * not imported, so that loading it stays off the way to the connection opened ahead.
 */
const zlib = () => createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')

/** Statuses whose answer has no body, whatever the server sends. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * The request's body, read with a reader that is then released: ky cancels the body of every
 * request it made once the call is over, which is free on a released stream and costs an error
 * (with its stack) on one that `arrayBuffer()` left locked.
 */
export async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value)
  reader.releaseLock()
  return Buffer.concat(chunks)
}

/** The answer as fetch gives it: headers joined as fetch joins repeats, the body decoded and streamed. */
export function toResponse(incoming: IncomingMessage, method: string, signal: AbortSignal): Response {
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
    if (coding === 'identity' || coding === '') continue
    const { constants, createBrotliDecompress, createGunzip, createInflate } = zlib()
    // As fetch: a truncated compressed body gives what it holds rather than an error.
    const flush = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH }
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip(flush))
    else if (coding === 'deflate') decoders.push(createInflate(flush))
    else if (coding === 'br') {
      const brotli = constants.BROTLI_OPERATION_FLUSH
      decoders.push(createBrotliDecompress({ flush: brotli, finishFlush: brotli }))
    } else return incoming
  }
  if (decoders.length === 0) return incoming
  return pipeline([incoming, ...decoders], () => undefined) as unknown as Readable
}
