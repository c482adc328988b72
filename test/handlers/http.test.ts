import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { MAX_BODY_BYTES } from '../../functions/runtime/http.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container
let handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>

before(async () => {
  stack = await startStack()
  container = stack.container()
  handler = container.http as unknown as typeof handler
})
after(() => stack.close())

async function post(
  code: string | undefined,
  body: unknown = VALID,
  options: { base64?: boolean; raw?: boolean } = {},
) {
  const response = await handler(httpEvent(code, body, options), lambdaContext())
  return {
    ...response,
    json: JSON.parse(String(response.body)) as Outcome & {
      error?: { code: string; message: string; issues: Array<{ path: string; message: string }> }
    },
  }
}

/** Requests the simulator saw for a code: the proof that bad input costs no call. */
const sentFor = (code: string) =>
  stack.simulator.requests.filter((request) => request.url.includes(encodeURIComponent(code))).length

describe('HTTP API: outcomes', () => {
  it('terminates a new authorization: 200 and the outcome JSON', async () => {
    const code = freshCode()
    const response = await post(code)
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers?.['content-type'], 'application/json')
    assert.deepEqual(response.json, {
      outcome: 'terminated',
      authorization_code: code,
      openid: null,
      sub_openid: null,
      service_id: VALID.service_id,
      appid: null,
      sub_mchid: VALID.sub_mchid,
      sub_appid: null,
      wechatpay: {
        status: 204,
        code: null,
        message: null,
        request_id: response.json.wechatpay.request_id,
        authorization_state: null,
      },
      attempts: 1,
    })
    assert.match(String(response.json.wechatpay.request_id), /\w+/)
    assert.equal(stack.simulator.state(code), 'UNAVAILABLE')
  })

  it('answers the same code again with 200 already_terminated and the state', async () => {
    const code = freshCode()
    await post(code)
    const response = await post(code)
    assert.equal(response.statusCode, 200)
    assert.equal(response.json.outcome, 'already_terminated')
    assert.equal(response.json.wechatpay.status, 400)
    assert.equal(response.json.wechatpay.code, 'INVALID_REQUEST')
    assert.equal(response.json.wechatpay.authorization_state, 'UNAVAILABLE')
  })

  it('accepts a base64-encoded body', async () => {
    const response = await post(freshCode(), VALID, { base64: true })
    assert.equal(response.json.outcome, 'terminated')
  })

  const cases: Array<[string, number, Partial<Outcome>, Partial<Outcome['wechatpay']>?]> = [
    ['SIM_NOTEXIST', 422, { outcome: 'rejected', attempts: 1 }, { status: 404, code: 'ORDER_NOT_EXIST' }],
    [
      'SIM_ORDERS',
      422,
      { outcome: 'rejected' },
      { code: 'INVALID_REQUEST', message: '存在未完成订单', authorization_state: 'AVAILABLE' },
    ],
    ['SIM_NOAUTH', 502, { outcome: 'failed' }, { status: 403, code: 'NO_AUTH' }],
    ['SIM_BADSIG_ALL', 502, { outcome: 'failed' }, { status: 204 }],
    ['SIM_503', 503, { outcome: 'retryable', attempts: 3 }, { status: 503, code: 'SYSTEM_ERROR' }],
    ['SIM_429', 503, { outcome: 'retryable', attempts: 3 }, { status: 429, code: 'FREQUENCY_LIMITED' }],
    ['SIM_FLAKY2', 200, { outcome: 'terminated', attempts: 3 }, { status: 204 }],
    [
      'SIM_BADSIG',
      200,
      { outcome: 'terminated', attempts: 1 },
      { status: 204, authorization_state: 'UNAVAILABLE' },
    ],
    ['SIM_UNSIGNED', 200, { outcome: 'terminated' }, { authorization_state: 'UNAVAILABLE' }],
    ['SIM_SIGNTEST', 200, { outcome: 'terminated' }, { authorization_state: 'UNAVAILABLE' }],
    ['SIM_SKEW', 200, { outcome: 'terminated' }, { authorization_state: 'UNAVAILABLE' }],
    ['SIM_SERIAL', 200, { outcome: 'terminated' }, { authorization_state: 'UNAVAILABLE' }],
    ['SIM_TERMINATED', 200, { outcome: 'already_terminated' }, { authorization_state: 'UNAVAILABLE' }],
    ['SIM_UNBOUND', 422, { outcome: 'rejected' }, { authorization_state: 'UNBINDUSER' }],
    ['SIM_RESET', 503, { outcome: 'retryable', attempts: 3 }, { status: null }],
    [
      'SIM_SLOW',
      503,
      { outcome: 'retryable', attempts: 1 },
      { status: null, authorization_state: 'AVAILABLE' },
    ],
  ]
  for (const [prefix, status, expected, wechatpay = {}] of cases) {
    it(`${prefix}: ${status} ${expected.outcome}`, async () => {
      const response = await post(freshCode(prefix))
      assert.equal(response.statusCode, status)
      assert.deepEqual(
        { ...response.json, ...expected, wechatpay: { ...response.json.wechatpay, ...wechatpay } },
        response.json,
      )
      if (status === 503) assert.equal(response.headers?.['retry-after'], '5')
    })
  }

  it('never says terminated for an authorization that was never bound, even after a timeout', async () => {
    const code = freshCode()
    stack.simulator.setState(code, 'UNBINDUSER')
    stack.simulator.inject({ fault: 'slow', code, times: 1 })
    const response = await post(code)
    assert.equal(response.statusCode, 422)
    assert.equal(response.json.outcome, 'rejected')
    assert.equal(response.json.wechatpay.authorization_state, 'UNBINDUSER')
  })

  it('never says terminated when every answer fails verification', async () => {
    const code = freshCode('SIM_BADSIG_ALL')
    const response = await post(code)
    assert.equal(response.json.outcome, 'failed')
    assert.equal(
      stack.simulator.state(code),
      'UNAVAILABLE',
      'WeChat did terminate, but we could not prove it',
    )
  })
})

describe('HTTP API: invalid input costs no call', () => {
  const invalid: Array<[string, string | undefined, unknown, string[]]> = [
    ['an empty body', freshCode(), {}, ['service_id', 'sub_mchid', 'reason']],
    ['a 51-character reason', freshCode(), { ...VALID, reason: 'x'.repeat(51) }, ['reason']],
    ['an emoji in the reason', freshCode(), { ...VALID, reason: '再见😀' }, ['reason']],
    ['a control character in the reason', freshCode(), { ...VALID, reason: 'a\u0007' }, ['reason']],
    ['a numeric service_id', freshCode(), { ...VALID, service_id: 500001 }, ['service_id']],
    ['letters in sub_mchid', freshCode(), { ...VALID, sub_mchid: '19x' }, ['sub_mchid']],
    ['a 33-character code', 'a'.repeat(33), VALID, ['authorization_code']],
    ['a code with ..', '..', VALID, ['authorization_code']],
    ['a code with a slash', 'a/b', VALID, ['authorization_code']],
    ['a code with %2F', 'a%2Fb', VALID, ['authorization_code']],
    ['a code with ?', 'a?x=1', VALID, ['authorization_code']],
    ['a code with a space', 'a b', VALID, ['authorization_code']],
    ['no code at all', undefined, VALID, ['authorization_code']],
  ]
  for (const [name, code, body, paths] of invalid) {
    it(`400 for ${name}, naming ${paths.join(', ')}`, async () => {
      const before = stack.simulator.requests.length
      const response = await post(code, body)
      assert.equal(response.statusCode, 400)
      assert.equal(response.json.error?.code, 'INVALID_REQUEST')
      assert.deepEqual(
        response.json.error?.issues.map((issue) => issue.path),
        paths,
      )
      assert.equal(stack.simulator.requests.length, before)
    })
  }

  for (const [name, raw] of [
    ['a body that is not JSON', '{"service_id": '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"x"'],
  ] as const) {
    it(`400 for ${name}`, async () => {
      const before = stack.simulator.requests.length
      const response = await post(freshCode(), raw, { raw: true })
      assert.equal(response.statusCode, 400)
      assert.equal(response.json.error?.code, 'INVALID_REQUEST')
      assert.equal(stack.simulator.requests.length, before)
    })
  }

  it('400 for a base64 body that is not UTF-8 (it would reach WeChat garbled)', async () => {
    const event = httpEvent(freshCode(), VALID)
    event.body = Buffer.concat([
      Buffer.from('{"service_id":"500001","sub_mchid":"1900000109","reason":"'),
      Buffer.from([0xb6, 0xa9]),
      Buffer.from('"}'),
    ]).toString('base64')
    event.isBase64Encoded = true
    const response = await handler(event, lambdaContext())
    assert.equal(response.statusCode, 400)
    assert.match(String(response.body), /UTF-8/)
  })

  it('ignores an authorization_code in the body: the path names the authorization', async () => {
    const code = freshCode()
    const response = await post(code, { ...VALID, authorization_code: 'other' })
    assert.equal(response.json.authorization_code, code)
    assert.equal(sentFor('other'), 0)
  })
})

describe('HTTP API: a body over the limit answers 413 and costs no call', () => {
  /** A valid input padded to exactly `bytes` bytes of UTF-8, with `unit` (1 to 3 bytes) as padding. */
  function bodyOf(bytes: number, unit = 'x') {
    const base = Buffer.byteLength(JSON.stringify({ ...VALID, padding: '' }))
    const units = Math.floor((bytes - base) / Buffer.byteLength(unit))
    const padding = unit.repeat(units) + 'x'.repeat(bytes - base - units * Buffer.byteLength(unit))
    const text = JSON.stringify({ ...VALID, padding })
    assert.equal(Buffer.byteLength(text), bytes)
    return text
  }

  for (const [form, base64] of [
    ['plain', false],
    ['base64', true],
  ] as const) {
    it(`${form}: ${MAX_BODY_BYTES} bytes are accepted, one more answers 413 PAYLOAD_TOO_LARGE`, async () => {
      const atLimit = await post(freshCode(), bodyOf(MAX_BODY_BYTES), { raw: true, base64 })
      assert.equal(atLimit.statusCode, 200)
      assert.equal(atLimit.json.outcome, 'terminated')

      const code = freshCode()
      const before = stack.simulator.requests.length
      const { result: over, lines } = await container.logs.during(() =>
        post(code, bodyOf(MAX_BODY_BYTES + 1), { raw: true, base64 }),
      )
      assert.equal(over.statusCode, 413)
      assert.equal(over.headers?.['content-type'], 'application/json')
      assert.deepEqual(over.json, {
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `the request body must be at most ${MAX_BODY_BYTES} bytes`,
        },
      })
      assert.equal(stack.simulator.requests.length, before, 'nothing was sent to WeChat Pay')
      // Counted and logged like any invalid input.
      assert.ok(lines.some((line) => line.message === 'invalid request: nothing was sent to WeChat Pay'))
      assert.ok(lines.some((line) => line.InvalidRequests === 1))
    })
  }

  it('the invalid-request line shows only values that passed their rule: an openid in appid, a huge service_id masked', async () => {
    const openid = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'
    const huge = `${'9'.repeat(2_000)}x`
    const { result, lines } = await container.logs.during(() =>
      container.http(
        httpEvent(freshCode(), { ...VALID, appid: openid, sub_appid: 'wx!', service_id: huge }),
        lambdaContext(),
      ),
    )
    assert.equal(result.statusCode, 400)
    const line = lines.find((entry) => entry.message === 'invalid request: nothing was sent to WeChat Pay')
    assert.ok(line, 'the invalid request is logged')
    const text = JSON.stringify(line)
    assert.ok(!text.includes(openid), 'the openid given as appid is masked')
    assert.ok(!text.includes('9'.repeat(100)), 'the huge value is cut')
    assert.ok(text.length < 2_000, `a bounded line (${text.length} characters)`)
    assert.equal(line.sub_mchid, VALID.sub_mchid, 'a value that passed its rule is shown as it is')
  })

  it('counts bytes, not characters: 3-byte characters reach the limit three times sooner', async () => {
    const text = bodyOf(MAX_BODY_BYTES + 1, '解')
    assert.ok(text.length < MAX_BODY_BYTES / 2)
    const response = await post(freshCode(), text, { raw: true })
    assert.equal(response.statusCode, 413)
  })

  it('counts a byte order mark, which is otherwise ignored', async () => {
    const atLimit = `\ufeff${bodyOf(MAX_BODY_BYTES - 3)}`
    assert.equal((await post(freshCode(), atLimit, { raw: true, base64: true })).statusCode, 200)
    const over = `\ufeff${bodyOf(MAX_BODY_BYTES - 2)}`
    assert.equal((await post(freshCode(), over, { raw: true })).statusCode, 413)
  })
})
