import { WechatPayError } from './errors.ts'

/**
 * The most body the client reads of any answer, counted in decoded bytes (after fetch has undone
 * any Content-Encoding). WeChat's answers are under 2 KiB; a 300 MB answer or a 300 KB gzip bomb
 * read whole would cost about 1 GB and end a 512 MB function with its whole batch.
 */
export const MAX_BODY_BYTES = 64 * 1024

/**
 * The body as UTF-8 text (as `Response.text()` decodes it, whatever charset is claimed), read up to
 * MAX_BODY_BYTES. One byte more and reading stops at once (the stream is cancelled, which ends the
 * transfer and the decompression) with RESPONSE_TOO_LARGE: what was read is of no use. A read that
 * fails (the request's signal, a broken connection) throws as `Response.text()` would; so does one
 * that takes longer than `timeoutMs`, with a TimeoutError.
 */
export async function readBody(response: Response, timeoutMs = Number.POSITIVE_INFINITY): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    if (timeoutMs === Number.POSITIVE_INFINITY) return
    timer = setTimeout(
      () => reject(new DOMException('the body did not arrive in time', 'TimeoutError')),
      timeoutMs,
    )
  })
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late])
      if (done) break
      size += value.byteLength
      if (size > MAX_BODY_BYTES) {
        throw new WechatPayError(
          'RESPONSE_TOO_LARGE',
          `WeChat Pay answered more than ${MAX_BODY_BYTES} bytes`,
        )
      }
      chunks.push(value)
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined)
    throw error
  } finally {
    clearTimeout(timer)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}
