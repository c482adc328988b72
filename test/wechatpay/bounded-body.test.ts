import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import { after, before, describe, it, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createGzip, gzipSync } from 'node:zlib'

/**
 * A 512 MB function must survive any answer: the client reads at most 64 KiB of decoded body and
 * cuts the transfer off there. Measured in a child process running the real client against a real
 * local server, so that neither the server nor the test runner counts.
 */
const MiB = 1024 * 1024
const HUGE = 300 * MiB
const MAX_GROWTH = 32 * MiB
const child = fileURLToPath(new URL('./bounded-body.child.ts', import.meta.url))

/** ~300 KB of gzip that expands to 300 MB of zeros, compressed from one reused 1 MiB buffer. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 })
  const chunks: Buffer[] = []
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk))
  const zeros = Buffer.alloc(MiB)
  for (let written = 0; written < HUGE; written += MiB) {
    if (!gzip.write(zeros)) await once(gzip, 'drain')
  }
  gzip.end()
  await once(gzip, 'end')
  return Buffer.concat(chunks)
}

/** Writes `HUGE` bytes of zeros as the stream drains; resolves with what was written when it ends. */
async function stream300MB(response: ServerResponse) {
  const chunk = Buffer.alloc(64 * 1024)
  const closed = once(response, 'close')
  let written = 0
  while (written < HUGE && !response.destroyed) {
    written += chunk.length
    if (!response.write(chunk)) await Promise.race([once(response, 'drain'), closed])
  }
  response.end()
  return written
}

describe('client: bounded answers, memory measured in a child process', () => {
  let baseUrl = ''
  let bomb: Buffer = Buffer.alloc(0)
  const warmup = gzipSync(Buffer.alloc(MiB))
  const sent: number[] = []
  const server = createServer((request, response) => {
    request.resume()
    const gzipped = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }
    // The same path as the calls measured (too large, cut off), at 1 MiB: loads and compiles it.
    if (request.url === '/warmup') response.writeHead(200, gzipped).end(warmup)
    else if (request.url === '/bomb') response.writeHead(200, gzipped).end(bomb)
    else if (request.url === '/bomb-400') response.writeHead(400, gzipped).end(bomb)
    else {
      response.writeHead(200, { 'Content-Type': 'application/json' })
      void stream300MB(response).then((written) => sent.push(written))
    }
  })

  before(async () => {
    bomb = await gzipBomb()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  after(() => {
    server.closeAllConnections()
    server.close()
  })

  async function callInChild(path: string) {
    const process_ = spawn(process.execPath, ['--expose-gc', child, baseUrl, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const timer = setTimeout(() => process_.kill(), 60_000)
    try {
      let output = ''
      process_.stdout.on('data', (data: Buffer) => {
        output += data
      })
      const [exitCode] = await once(process_, 'exit')
      assert.equal(exitCode, 0, 'the child process ended normally')
      return JSON.parse(output) as { code: string; status?: number; growth: number; peakGrowth: number }
    } finally {
      clearTimeout(timer)
      if (process_.exitCode === null) process_.kill()
    }
  }

  function assertBounded(t: TestContext, result: { growth: number; peakGrowth: number }) {
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
    t.diagnostic(`resident set growth ${mib(result.growth)}, at its peak ${mib(result.peakGrowth)}`)
    assert.ok(result.peakGrowth < MAX_GROWTH, `peak growth ${mib(result.peakGrowth)}`)
    assert.ok(result.growth < MAX_GROWTH, `growth ${mib(result.growth)}`)
  }

  it('a 2xx of 300 MB: RESPONSE_TOO_LARGE, the transfer cut off, memory growth under 32 MiB', async (t) => {
    const result = await callInChild('/huge')
    assertBounded(t, result)
    assert.deepEqual(
      { code: result.code, status: result.status },
      { code: 'RESPONSE_TOO_LARGE', status: 200 },
    )
    assertBounded(t, result)
    await waitFor(() => sent.length > 0)
    // What the socket buffers took before the client closed the connection, not 300 MB.
    assert.ok(sent[0]! < 64 * MiB, `the server wrote ${(sent[0]! / MiB).toFixed(1)} MiB`)
  })

  it('a 2xx gzip bomb (300 KB expanding to 300 MB): RESPONSE_TOO_LARGE, memory growth under 32 MiB', async (t) => {
    assert.ok(bomb.length < 400_000, `the bomb is ${bomb.length} bytes`)
    const result = await callInChild('/bomb')
    assertBounded(t, result)
    assert.deepEqual(
      { code: result.code, status: result.status },
      { code: 'RESPONSE_TOO_LARGE', status: 200 },
    )
    assertBounded(t, result)
  })

  it('a 400 gzip bomb: RESPONSE_TOO_LARGE with the status, memory growth under 32 MiB', async (t) => {
    const result = await callInChild('/bomb-400')
    assertBounded(t, result)
    assert.deepEqual(
      { code: result.code, status: result.status },
      { code: 'RESPONSE_TOO_LARGE', status: 400 },
    )
    assertBounded(t, result)
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
