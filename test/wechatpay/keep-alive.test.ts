import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { it } from 'node:test'
import { createTestMerchant } from '../helpers/merchant.ts'
import { clientFor, inSeconds } from '../helpers/wechatpay.ts'

/**
 * WeChat Pay keeps idle connections about 8 s (`Keep-Alive: timeout=8`). A client that reuses a
 * connection the server is closing gets a reset, so ours must let idle connections go sooner. Node's
 * fetch keeps idle sockets 4 s by default and honours the server's hint less a margin; this test
 * holds that on the real client against a server that would keep the socket for a minute.
 */
it('closes an idle keep-alive connection before WeChat does (under 8 s)', async (t) => {
  const server = createServer((_request, response) => {
    response.setHeader('Keep-Alive', 'timeout=8')
    response
      .writeHead(500, { 'Content-Type': 'application/json' })
      .end('{"code":"SYSTEM_ERROR","message":"x"}')
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.closeAllConnections())
  t.after(() => server.close())
  const closed = new Promise<number>((resolve) =>
    server.once('connection', (socket) => socket.once('close', () => resolve(performance.now()))),
  )
  const { port } = server.address() as { port: number }
  const client = clientFor(createTestMerchant(), `http://127.0.0.1:${port}`, { maxAttempts: 1 })
  await assert.rejects(client.call('GET', '/v3/x', { deadline: inSeconds(5) }), { code: 'HTTP_ERROR' })
  const answered = performance.now()
  const idleMs = (await closed) - answered
  assert.ok(idleMs < 8_000, `the client kept an idle connection ${Math.round(idleMs)} ms`)
})
