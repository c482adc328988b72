/**
 * The client's transport (ky's fetch over node:http and node:https) against real local servers:
 * what fetch would give, plus a connect timeout that fails over, connections opened ahead, and TLS
 * checked against the trusted certificates only.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { terminateRequest } from '../../functions/authorizations/reference.ts'
import { postForNoContent } from '../../functions/wechatpay/operations.ts'
import { createTransport, type Transport } from '../../functions/wechatpay/transport.ts'
import { createTestMerchant } from '../helpers/merchant.ts'
import { createTestCertificate } from '../helpers/tls.ts'
import { until } from '../helpers/wait.ts'
import { clientFor, inSeconds, startSimulator } from '../helpers/wechatpay.ts'

const merchant = createTestMerchant()

/** Listens on a loopback port; every socket it accepts is counted, and closed with the test. */
async function listen(t: TestContext, server: Server) {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => sockets.add(socket.on('close', () => sockets.delete(socket))))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  let connections = 0
  server.on('connection', () => {
    connections += 1
  })
  return { port: (server.address() as { port: number }).port, connections: () => connections }
}

async function httpServer(t: TestContext, listener: RequestListener) {
  const server = createHttpServer(listener)
  const { port, connections } = await listen(t, server)
  return { url: `http://127.0.0.1:${port}`, connections }
}

function transport(t: TestContext, options: Parameters<typeof createTransport>[0] = {}): Transport {
  const created = createTransport(options)
  t.after(() => created.close())
  return created
}

const terminate = (code: string) =>
  terminateRequest(
    {
      mode: 'partner',
      service_id: '500001',
      sub_mchid: '1900000109',
      authorization_code: code,
      openid: null,
      sub_openid: null,
      appid: null,
      sub_appid: null,
    },
    '用户申请解除授权',
  )

describe('transport: a connection that hangs is a failed connection', () => {
  /** Accepts TCP and then says nothing: a TLS handshake to it never ends. */
  async function silentServer(t: TestContext) {
    const { port } = await listen(
      t,
      createTcpServer(() => undefined),
    )
    return `https://127.0.0.1:${port}`
  }

  it('fails over to the backup host once the connect timeout passes, long before the attempt timeout', async (t) => {
    const simulator = await startSimulator(t, merchant)
    const client = clientFor(merchant, await silentServer(t), {
      backupUrl: simulator.url,
      attemptTimeoutMs: 5_000,
      fetch: transport(t, { connectTimeoutMs: 200 }).fetch,
    })
    const started = Date.now()
    const answer = await postForNoContent(client, terminate('code_hang_1'), { deadline: inSeconds(10) })
    assert.equal(answer.attempts, 2)
    assert.equal(simulator.requests.length, 1, 'the backup host got the request')
    assert.ok(Date.now() - started < 2_000, `failed over after ${Date.now() - started} ms`)
  })

  it('without a backup host, every attempt ends in NETWORK, not TIMEOUT: nothing was sent, so a POST is retried', async (t) => {
    const client = clientFor(merchant, await silentServer(t), {
      attemptTimeoutMs: 5_000,
      fetch: transport(t, { connectTimeoutMs: 100 }).fetch,
    })
    await assert.rejects(postForNoContent(client, terminate('code_hang_2'), { deadline: inSeconds(10) }), {
      code: 'NETWORK',
      attempts: 3,
    })
  })
})

describe('transport: connections', () => {
  it('keeps one connection alive for calls one after another', async (t) => {
    const server = await httpServer(t, (_request, response) => response.writeHead(204).end())
    const { fetch } = transport(t)
    for (let call = 0; call < 3; call++) assert.equal((await fetch(`${server.url}/x`)).status, 204)
    assert.equal(server.connections(), 1)
  })

  it('sends the first request on the connection opened ahead of it', async (t) => {
    const server = await httpServer(t, (_request, response) => response.writeHead(204).end())
    const { fetch, preconnect } = transport(t)
    preconnect(server.url)
    await until(() => server.connections() === 1, 'connected before any request')
    assert.equal((await fetch(`${server.url}/x`)).status, 204)
    assert.equal(server.connections(), 1, 'and the request used it')
  })

  it('does not use a connection opened ahead once it has been idle longer than the idle timeout', async (t) => {
    const server = await httpServer(t, (_request, response) => response.writeHead(204).end())
    const { fetch, preconnect } = transport(t, { idleTimeoutMs: 100 })
    preconnect(server.url)
    await new Promise((resolve) => setTimeout(resolve, 250))
    assert.equal((await fetch(`${server.url}/x`)).status, 204)
    assert.equal(server.connections(), 2)
  })
})

describe('transport: TLS', () => {
  async function tlsServer(t: TestContext) {
    const certificate = createTestCertificate()
    const server = createHttpsServer(
      { key: certificate.privateKeyPem, cert: certificate.certificatePem },
      (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('over TLS'),
    )
    const { port, connections } = await listen(t, server)
    return { url: `https://127.0.0.1:${port}`, certificate, connections }
  }

  it('speaks TLS to a server whose certificate it trusts', async (t) => {
    const { url, certificate } = await tlsServer(t)
    const response = await transport(t, { ca: certificate.certificatePem }).fetch(`${url}/x`)
    assert.equal(await response.text(), 'over TLS')
  })

  it('sends the first request on the TLS connection opened ahead of it (TCP first, TLS on it)', async (t) => {
    const { url, certificate, connections } = await tlsServer(t)
    const { fetch, preconnect } = transport(t, { ca: certificate.certificatePem })
    preconnect(url)
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(connections(), 1, 'connected before any request')
    assert.equal(await (await fetch(`${url}/x`)).text(), 'over TLS')
    assert.equal(connections(), 1, 'and the request used it')
  })

  it("refuses a certificate it does not trust: a failed connection, as fetch's", async (t) => {
    const { url } = await tlsServer(t)
    await assert.rejects(transport(t).fetch(`${url}/x`), (error: TypeError) => {
      assert.equal(error.message, 'fetch failed')
      assert.equal((error.cause as { code?: string }).code, 'DEPTH_ZERO_SELF_SIGNED_CERT')
      return true
    })
  })
})

describe('transport: answers as fetch gives them', () => {
  it('undoes gzip, deflate and br, and leaves an unknown coding as it came', async (t) => {
    const text = '{"code":"x"}'.repeat(100)
    const coded: Record<string, Buffer> = {
      gzip: gzipSync(text),
      deflate: deflateSync(text),
      br: brotliCompressSync(text),
      unknown: Buffer.from(text),
    }
    const server = await httpServer(t, (request, response) => {
      const coding = request.url!.slice(1)
      response.writeHead(200, { 'content-encoding': coding }).end(coded[coding])
    })
    const { fetch } = transport(t)
    for (const coding of Object.keys(coded)) {
      assert.equal(await (await fetch(`${server.url}/${coding}`)).text(), text, coding)
    }
  })

  it('joins a repeated header as fetch does, and gives no body for a 204', async (t) => {
    const server = await httpServer(t, (_request, response) => {
      response.setHeader('wechatpay-nonce', ['a', 'b'])
      response.writeHead(204).end()
    })
    const response = await transport(t).fetch(`${server.url}/x`)
    assert.equal(response.headers.get('wechatpay-nonce'), 'a, b')
    assert.equal(response.body, null)
  })

  it('sends the body given as `payload` (what ky forwards), with its length', async (t) => {
    let received = ''
    const server = await httpServer(t, (request, response) => {
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => {
        received += chunk
      })
      request.on('end', () =>
        response.writeHead(204, { 'x-length': request.headers['content-length'] }).end(),
      )
    })
    const body = '{"reason":"用户申请解除授权"}'
    const init = { method: 'POST', payload: body } as RequestInit
    const response = await transport(t).fetch(`${server.url}/x`, init)
    assert.equal(received, body)
    assert.equal(response.headers.get('x-length'), String(Buffer.byteLength(body)))
  })

  it('ends a body the reader cancels: the connection is closed, not kept for the next request', async (t) => {
    const server = await httpServer(t, (_request, response) => {
      response.writeHead(200)
      response.write(Buffer.alloc(1024))
    })
    const { fetch } = transport(t)
    const response = await fetch(`${server.url}/x`)
    const reader = response.body!.getReader()
    await reader.read()
    await reader.cancel()
    const response2 = fetch(`${server.url}/y`)
    await response2
    assert.equal(server.connections(), 2)
  })
})
