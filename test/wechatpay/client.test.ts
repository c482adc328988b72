import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'
import { readState } from '../../functions/authorizations/query.ts'
import { type AuthorizationRef, terminateRequest } from '../../functions/authorizations/reference.ts'
import { MAX_BODY_BYTES } from '../../functions/wechatpay/body.ts'
import type { WechatPayCaller } from '../../functions/wechatpay/client.ts'
import { WechatPayError, type WechatPayErrorCode } from '../../functions/wechatpay/errors.ts'
import { parseAuthorizationHeader } from '../../functions/wechatpay/message.ts'
import { postForNoContent } from '../../functions/wechatpay/operations.ts'
import { VERSION } from '../../functions/wechatpay/version.ts'
import type { Fault } from '../../infra/local/wechatpay-simulator.ts'
import { createTestMerchant, MCHID, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { clientFor, inSeconds, startSimulator } from '../helpers/wechatpay.ts'

const merchant = createTestMerchant()
const request = {
  authorizationCode: 'code_A-1*',
  serviceId: '500001',
  subMchid: '1900000109',
  reason: '用户申请解除授权',
}
const deadline = () => ({ deadline: inSeconds(10) })

type CodeRequest = typeof request

/** Partner mode by code, the way the use cases build it (functions/authorizations/reference.ts). */
function refOf({ authorizationCode, serviceId, subMchid }: CodeRequest): AuthorizationRef {
  return {
    mode: 'partner',
    service_id: serviceId,
    sub_mchid: subMchid,
    authorization_code: authorizationCode,
    openid: null,
    sub_openid: null,
    appid: null,
    sub_appid: null,
  }
}

async function terminateByCode(client: WechatPayCaller, asked: CodeRequest, options: { deadline: number }) {
  return postForNoContent(client, terminateRequest(refOf(asked), asked.reason), options)
}

async function queryByCode(client: WechatPayCaller, asked: CodeRequest, options: { deadline: number }) {
  const { view, attempts } = await readState(refOf(asked), { wechatpay: client, ...options })
  return { authorizationState: view.authorization_state, attempts }
}

/** A loopback port with nothing listening: connections to it are refused. */
async function closedPort() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

async function rejectsWith(promise: Promise<unknown>, expected: Partial<WechatPayError>) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WechatPayError, String(error))
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(error[key as keyof WechatPayError], value, key)
    return true
  })
}

describe('client: terminate and query', () => {
  it('sends exactly the signed bytes WeChat expects and accepts the verified 204', async (t) => {
    const simulator = await startSimulator(t, merchant)
    const result = await terminateByCode(clientFor(merchant, simulator.url), request, deadline())
    assert.equal(result.status, 204)
    assert.equal(result.attempts, 1)
    assert.match(result.requestId ?? '', /\w+/)
    const [sent] = simulator.requests
    assert.equal(sent?.method, 'POST')
    assert.equal(sent?.url, '/v3/payscore/partner/permissions/authorization-code/code_A-1*/terminate')
    assert.equal(sent?.body, '{"service_id":"500001","sub_mchid":"1900000109","reason":"用户申请解除授权"}')
    assert.equal(sent?.headers.accept, 'application/json')
    assert.equal(sent?.headers['content-type'], 'application/json')
    assert.match(
      String(sent?.headers['user-agent']),
      new RegExp(`^payscore-terminate/${VERSION.replaceAll('.', '\\.')} `),
    )
    assert.equal(sent?.headers['wechatpay-serial'], PUBLIC_KEY_ID)
    assert.equal(simulator.state('code_A-1*'), 'UNAVAILABLE')
  })

  it('verifies with a platform certificate and then sends no Wechatpay-Serial', async (t) => {
    const simulator = await startSimulator(t, merchant)
    await terminateByCode(clientFor(merchant, simulator.url, { mode: 'certificate' }), request, deadline())
    assert.equal(simulator.requests[0]?.headers['wechatpay-serial'], undefined)
  })

  it('queries the verified authorization state with the signed query string', async (t) => {
    const simulator = await startSimulator(t, merchant)
    const client = clientFor(merchant, simulator.url)
    assert.equal((await queryByCode(client, request, deadline())).authorizationState, 'AVAILABLE')
    await terminateByCode(client, request, deadline())
    assert.equal((await queryByCode(client, request, deadline())).authorizationState, 'UNAVAILABLE')
    assert.equal(
      simulator.requests[0]?.url,
      '/v3/payscore/partner/permissions/authorization-code/code_A-1*?service_id=500001&sub_mchid=1900000109',
    )
    assert.equal(simulator.requests[0]?.body, '')
  })

  it('refuses a code outside WeChat rule before sending anything', async (t) => {
    const simulator = await startSimulator(t, merchant)
    for (const code of ['../../v3/x', 'a/b', 'a%2Fb', 'a?b', '', 'x'.repeat(33)]) {
      await rejectsWith(
        terminateByCode(
          clientFor(merchant, simulator.url),
          { ...request, authorizationCode: code },
          deadline(),
        ),
        {
          code: 'INVALID_PARAMETER',
        },
      )
    }
    assert.equal(simulator.requests.length, 0)
  })
})

describe('client: retries', () => {
  it('retries a 500 and signs the retry afresh (new nonce and signature)', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'server_error', times: 1 })
    const result = await terminateByCode(clientFor(merchant, simulator.url), request, deadline())
    assert.equal(result.attempts, 2)
    const [first, second] = simulator.requests.map((sent) =>
      parseAuthorizationHeader(String(sent.headers.authorization)),
    )
    assert.ok(first && second)
    assert.notEqual(first.nonce, second.nonce)
    assert.notEqual(first.signature, second.signature)
    assert.equal(
      simulator.requests[0]?.body,
      simulator.requests[1]?.body,
      'the same parameters, as WeChat asks',
    )
  })

  for (const fault of ['rate_limited', 'unavailable', 'server_error'] as const) {
    it(`gives up on ${fault} after the attempts and reports WeChat's answer`, async (t) => {
      const simulator = await startSimulator(t, merchant)
      simulator.inject({ fault })
      const status = { rate_limited: 429, unavailable: 503, server_error: 500 }[fault]
      await rejectsWith(terminateByCode(clientFor(merchant, simulator.url), request, deadline()), {
        code: 'HTTP_ERROR',
        status,
        attempts: 3,
      })
      assert.equal(simulator.requests.length, 3)
    })
  }

  it('does not retry a 4xx and parses it into status, code, message, detail and Request-ID', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'unfinished_orders' })
    await assert.rejects(
      terminateByCode(clientFor(merchant, simulator.url), request, deadline()),
      (error: WechatPayError) => {
        assert.equal(error.code, 'HTTP_ERROR')
        assert.equal(error.status, 400)
        assert.equal(error.wechatCode, 'INVALID_REQUEST')
        assert.equal(error.wechatMessage, '存在未完成订单')
        assert.match(error.requestId ?? '', /\w+/)
        assert.equal(error.attempts, 1)
        return true
      },
    )
  })

  it('carries PARAM_ERROR detail through', async (t) => {
    const simulator = await startSimulator(t, merchant)
    await assert.rejects(
      terminateByCode(clientFor(merchant, simulator.url), { ...request, reason: 'a\u0001' }, deadline()),
      (error: WechatPayError) => {
        assert.equal(error.wechatCode, 'PARAM_ERROR')
        assert.ok(error.detail && typeof error.detail === 'object')
        return true
      },
    )
  })

  it('retries a reset connection', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'reset', times: 1 })
    assert.equal((await terminateByCode(clientFor(merchant, simulator.url), request, deadline())).attempts, 2)
  })

  it('fails over to the backup host when the primary refuses connections', async (t) => {
    const simulator = await startSimulator(t, merchant)
    const client = clientFor(merchant, await closedPort(), { backupUrl: simulator.url })
    const result = await terminateByCode(client, request, deadline())
    assert.equal(result.attempts, 2)
    assert.equal(simulator.requests.length, 1)
  })

  it('without a backup host, a refused connection ends in NETWORK after every attempt, known unsent', async () => {
    await rejectsWith(terminateByCode(clientFor(merchant, await closedPort()), request, deadline()), {
      code: 'NETWORK',
      attempts: 3,
      mayHaveActed: false,
    })
  })

  it('a connection reset once the request was sent: WeChat may have acted', async (t) => {
    const { createServer: createTcpServer } = await import('node:net')
    const server = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => server.close())
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    await rejectsWith(terminateByCode(clientFor(merchant, url, { maxAttempts: 1 }), request, deadline()), {
      code: 'NETWORK',
      mayHaveActed: true,
    })
  })
})

describe('client: deadline and timeouts', () => {
  it('sends nothing when the deadline leaves no time', async (t) => {
    const simulator = await startSimulator(t, merchant)
    await rejectsWith(
      terminateByCode(clientFor(merchant, simulator.url), request, { deadline: Date.now() + 10 }),
      {
        code: 'DEADLINE_EXCEEDED',
        attempts: 0,
      },
    )
    assert.equal(simulator.requests.length, 0)
  })

  it('times out an attempt and does not resend a POST that may have arrived', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'slow' })
    const client = clientFor(merchant, simulator.url, { attemptTimeoutMs: 200 })
    await rejectsWith(terminateByCode(client, request, deadline()), { code: 'TIMEOUT', attempts: 1 })
    assert.equal(simulator.requests.length, 1)
  })

  it('retries a timed-out query (GET is safe to repeat)', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'slow', endpoint: 'query', times: 1 })
    const client = clientFor(merchant, simulator.url, { attemptTimeoutMs: 200 })
    const result = await queryByCode(client, request, deadline())
    assert.equal(result.attempts, 2)
  })

  it('stops retrying before the deadline and returns the last real answer', async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'unavailable' })
    const client = clientFor(merchant, simulator.url, {
      baseDelayMs: 400,
      maxAttempts: 10,
      minAttemptMs: 100,
    })
    const end = Date.now() + 1_000
    await rejectsWith(terminateByCode(client, request, { deadline: end }), {
      code: 'HTTP_ERROR',
      status: 503,
    })
    assert.ok(Date.now() <= end, 'answered before the deadline')
    assert.ok(simulator.requests.length >= 2 && simulator.requests.length < 10)
  })
})

describe('client: verification', () => {
  const cases: Array<[Fault, WechatPayErrorCode]> = [
    ['unsigned', 'MISSING_HEADERS'],
    ['bad_signature', 'BAD_SIGNATURE'],
    ['signtest', 'SIGNTEST_PROBE'],
    ['skewed_timestamp', 'TIMESTAMP_SKEW'],
    ['unknown_serial', 'UNKNOWN_SERIAL'],
  ]
  for (const [fault, code] of cases) {
    it(`never accepts a 204 with ${fault}: ${code}, with status and Request-ID`, async (t) => {
      const simulator = await startSimulator(t, merchant)
      simulator.inject({ fault })
      await rejectsWith(terminateByCode(clientFor(merchant, simulator.url), request, deadline()), {
        code,
        status: 204,
        attempts: 1,
      })
    })
  }

  it('fails verification when WeChat signs with a key we do not hold', async (t) => {
    const simulator = await startSimulator(t, merchant)
    await rejectsWith(terminateByCode(clientFor(createTestMerchant(), simulator.url), request, deadline()), {
      code: 'HTTP_ERROR',
      status: 401,
    })
    const stranger = createTestMerchant()
    const other = await startSimulator(t, { ...merchant, wechatpayKeys: stranger.wechatpayKeys })
    await rejectsWith(terminateByCode(clientFor(merchant, other.url), request, deadline()), {
      code: 'BAD_SIGNATURE',
    })
  })
})

describe('client: configuration', () => {
  for (const url of ['https://api.mch.weixin.qq.com/prefix', 'ftp://x', 'not a url', 'https://user@host']) {
    it(`refuses the base URL ${url}`, () => {
      assert.throws(() => clientFor(merchant, url), { code: 'INVALID_CONFIG' })
    })
  }
})

describe('version', () => {
  it('names the package.json version in the User-Agent', async () => {
    const { readFile } = await import('node:fs/promises')
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    assert.equal(VERSION, pkg.version)
  })
})

describe('client: answers that misbehave', () => {
  /** A raw loopback server answering every request with `respond`. */
  async function rawServer(
    t: import('node:test').TestContext,
    respond: (response: import('node:http').ServerResponse, path: string) => void,
  ) {
    const { createServer: createHttpServer } = await import('node:http')
    const server = createHttpServer((request, response) => respond(response, request.url ?? ''))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      server.closeAllConnections()
      server.close()
    })
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  it('bounds reading a 2xx body by the deadline: a stalled body ends in TIMEOUT/DEADLINE_EXCEEDED, not a hang', {
    timeout: 5_000,
  }, async (t) => {
    const url = await rawServer(t, (response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
      response.write('{"authorization_state":')
    })
    const started = Date.now()
    await assert.rejects(
      clientFor(merchant, url).call('GET', '/v3/x', { deadline: Date.now() + 800 }),
      (error: WechatPayError) => {
        assert.ok(['TIMEOUT', 'DEADLINE_EXCEEDED'].includes(error.code), error.code)
        assert.equal(error.status, 200)
        assert.equal(error.attempts, 1)
        return true
      },
    )
    assert.ok(Date.now() - started < 1_500)
  })

  /** A body of `size` bytes. */
  function answerOf(size: number) {
    return Buffer.alloc(size, 'a')
  }

  it('reads 64 KiB of body and no more: one byte past, the 2xx is RESPONSE_TOO_LARGE, not verified', async (t) => {
    const sizes: Record<string, number> = { '/at-limit': MAX_BODY_BYTES, '/past-limit': MAX_BODY_BYTES + 1 }
    const url = await rawServer(t, (response, path) =>
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(answerOf(sizes[path] ?? 0)),
    )
    const client = clientFor(merchant, url)
    // At the limit the body is read whole and goes on to verification (unsigned here).
    await rejectsWith(client.call('GET', '/at-limit', deadline()), { code: 'MISSING_HEADERS', status: 200 })
    await rejectsWith(client.call('GET', '/past-limit', deadline()), {
      code: 'RESPONSE_TOO_LARGE',
      status: 200,
      attempts: 1,
    })
  })

  it('counts decoded bytes: a small gzip that expands past 64 KiB is RESPONSE_TOO_LARGE', async (t) => {
    const gzipped = gzipSync(answerOf(MAX_BODY_BYTES + 1))
    assert.ok(gzipped.length < 1024)
    const url = await rawServer(t, (response) =>
      response
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })
        .end(gzipped),
    )
    await rejectsWith(clientFor(merchant, url).call('GET', '/v3/x', deadline()), {
      code: 'RESPONSE_TOO_LARGE',
      status: 200,
    })
  })

  it('bounds error bodies too: a 400 past 64 KiB is RESPONSE_TOO_LARGE (its code unreadable), not retried', async (t) => {
    let requests = 0
    const url = await rawServer(t, (response) => {
      requests += 1
      response
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end(`{"code":"INVALID_REQUEST","message":"${'x'.repeat(MAX_BODY_BYTES)}"}`)
    })
    await rejectsWith(terminateByCode(clientFor(merchant, url), request, deadline()), {
      code: 'RESPONSE_TOO_LARGE',
      status: 400,
      attempts: 1,
    })
    assert.equal(requests, 1)
  })

  it('a 429 or 5xx past 64 KiB is still retried by its status, and ends in HTTP_ERROR', async (t) => {
    for (const status of [429, 503]) {
      let requests = 0
      const url = await rawServer(t, (response) => {
        requests += 1
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(answerOf(MAX_BODY_BYTES + 1))
      })
      await rejectsWith(terminateByCode(clientFor(merchant, url), request, deadline()), {
        code: 'HTTP_ERROR',
        status,
        wechatCode: undefined,
        attempts: 3,
      })
      assert.equal(requests, 3)
    }
  })

  it('gives an error body no longer than the attempt timeout: a 503 whose body stalls is retried', {
    timeout: 5_000,
  }, async (t) => {
    let requests = 0
    const url = await rawServer(t, (response) => {
      requests += 1
      response.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': '100' })
      response.write('{"code":"SYSTEM_ERROR",')
    })
    const started = Date.now()
    const client = clientFor(merchant, url, { attemptTimeoutMs: 200, maxAttempts: 2 })
    await rejectsWith(client.call('GET', '/v3/x', { deadline: inSeconds(10) }), {
      code: 'HTTP_ERROR',
      status: 503,
      attempts: 2,
    })
    assert.equal(requests, 2)
    assert.ok(Date.now() - started < 2_000, 'not held until the deadline')
  })

  it('decodes an error body as UTF-8 whatever charset it claims, and parses its fields', async (t) => {
    const url = await rawServer(t, (response) =>
      response
        .writeHead(400, { 'Content-Type': 'application/json; charset=latin1' })
        .end(Buffer.from('{"code":"PARAM_ERROR","message":"参数错误"}')),
    )
    await rejectsWith(terminateByCode(clientFor(merchant, url), request, deadline()), {
      code: 'HTTP_ERROR',
      status: 400,
      wechatCode: 'PARAM_ERROR',
      wechatMessage: '参数错误',
    })
  })

  it('never follows a redirect (it would carry our Authorization elsewhere)', async (t) => {
    let followed = 0
    const target = await rawServer(t, (response) => {
      followed += 1
      response.writeHead(204).end()
    })
    const url = await rawServer(t, (response) =>
      response.writeHead(302, { Location: `${target}/elsewhere` }).end(),
    )
    await rejectsWith(terminateByCode(clientFor(merchant, url), request, deadline()), {
      code: 'HTTP_ERROR',
      status: 302,
    })
    assert.equal(followed, 0)
  })

  it('reads the state from a verified query answer about the authorization asked', async (t) => {
    const simulator = await startSimulator(t, merchant)
    const answer = await queryByCode(clientFor(merchant, simulator.url), request, deadline())
    assert.equal(answer.authorizationState, 'AVAILABLE')
  })

  // Signed by WeChat's key, verified, and about something else: untrusted like a bad signature.
  const unbound: Array<[string, Record<string, unknown>]> = [
    ['service_id missing', { service_id: undefined }],
    ['service_id different', { service_id: '500002' }],
    ['sub_mchid missing', { sub_mchid: undefined }],
    ['sub_mchid different', { sub_mchid: '1900000110' }],
    ['authorization_code missing', { authorization_code: undefined }],
    ['authorization_code different', { authorization_code: 'other' }],
    ['mchid of another merchant', { mchid: '1900000999' }],
  ]
  for (const [name, patch] of unbound) {
    it(`refuses a signed query answer with ${name}: UNBOUND_ANSWER`, async (t) => {
      const simulator = await startSimulator(t, merchant)
      simulator.inject({ fault: 'altered_answer', endpoint: 'query', patch })
      await rejectsWith(queryByCode(clientFor(merchant, simulator.url), request, deadline()), {
        code: 'UNBOUND_ANSWER',
        status: 200,
      })
    })
  }

  it("accepts a signed query answer naming the merchant's own mchid", async (t) => {
    const simulator = await startSimulator(t, merchant)
    simulator.inject({ fault: 'altered_answer', endpoint: 'query', patch: { mchid: MCHID } })
    const answer = await queryByCode(clientFor(merchant, simulator.url), request, deadline())
    assert.equal(answer.authorizationState, 'AVAILABLE')
  })
})
