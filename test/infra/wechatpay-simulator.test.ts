import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import {
  type Fault,
  MAGIC_CODES,
  SIGNTEST_PREFIX,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from '../../infra/local/wechatpay-simulator.ts'
import { until } from '../helpers/wait.ts'
import {
  type Answer,
  type CallOptions,
  call,
  errorCode,
  MCHID,
  MERCHANT_SERIAL,
  merchant,
  NOW_MS,
  NOW_S,
  PUBLIC_KEY_ID,
  platform,
  platformPublicKey,
  rawPost,
  setUp,
  signatureVerifies,
  signedHeaders,
  wechatpay,
} from './simulator-client.ts'

// The partner endpoints by authorization code; the other six are in the -routes and -names tests.
const BASE = '/v3/payscore/partner/permissions/authorization-code'
const TERMINATE_BODY = { service_id: '500001', sub_mchid: '1900000109', reason: '用户申请解除授权' }

const terminatePath = (code: string) => `${BASE}/${code}/terminate`
const queryPath = (code: string) => `${BASE}/${code}?service_id=500001&sub_mchid=1900000109`

const terminate = (sim: WechatPaySimulator, code: string, options: CallOptions = {}) =>
  call(sim, terminatePath(code), { body: JSON.stringify(TERMINATE_BODY), ...options })
const query = (sim: WechatPaySimulator, code: string, options: CallOptions = {}) =>
  call(sim, queryPath(code), { method: 'GET', ...options })

async function stateByQuery(sim: WechatPaySimulator, code: string) {
  const answer = await query(sim, code)
  assert.equal(answer.status, 200)
  return (JSON.parse(answer.body) as { authorization_state: string }).authorization_state
}

describe('terminate and query', () => {
  it('terminates an available authorization with a signed 204 (public-key mode)', async (t) => {
    const sim = await setUp(t)
    const answer = await terminate(sim, 'AUTH_001')
    assert.equal(answer.status, 204)
    assert.equal(answer.body, '')
    assert.equal(answer.headers.get('wechatpay-serial'), PUBLIC_KEY_ID)
    assert.equal(answer.headers.get('wechatpay-timestamp'), String(NOW_S))
    assert.match(answer.headers.get('wechatpay-nonce') ?? '', /^[0-9A-Za-z]{32}$/)
    assert.ok(signatureVerifies(answer, wechatpay.publicKey), 'verifies over ts\\nnonce\\n\\n')
    assert.match(answer.headers.get('request-id') ?? '', /^08[0-9A-F]+-0$/)
    assert.equal(answer.headers.get('keep-alive'), 'timeout=8')
    assert.equal(sim.state('AUTH_001'), 'UNAVAILABLE')
  })

  it('signs with the platform certificate when the request names no public key', async (t) => {
    const sim = await setUp(t)
    const answer = await terminate(sim, 'AUTH_002', { headers: { 'Wechatpay-Serial': '' } })
    assert.equal(answer.status, 204)
    assert.equal(answer.headers.get('wechatpay-serial'), platform.serialNo)
    assert.ok(signatureVerifies(answer, platformPublicKey))
  })

  it('falls back to the public key when no platform certificate is configured', async (t) => {
    const sim = await setUp(t, { platformCertificate: undefined })
    const answer = await terminate(sim, 'AUTH_003', { headers: { 'Wechatpay-Serial': '' } })
    assert.equal(answer.headers.get('wechatpay-serial'), PUBLIC_KEY_ID)
    assert.ok(signatureVerifies(answer, wechatpay.publicKey))
  })

  it('refuses a second terminate with a signed 400 INVALID_REQUEST', async (t) => {
    const sim = await setUp(t)
    await terminate(sim, 'AUTH_004')
    const again = await terminate(sim, 'AUTH_004')
    assert.equal(again.status, 400)
    assert.equal(errorCode(again), 'INVALID_REQUEST')
    assert.ok(signatureVerifies(again, wechatpay.publicKey), 'errors are signed too')
  })

  it('refuses to terminate an authorization the user never bound', async (t) => {
    const sim = await setUp(t)
    sim.setState('AUTH_005', 'UNBINDUSER')
    const answer = await terminate(sim, 'AUTH_005')
    assert.deepEqual([answer.status, errorCode(answer)], [400, 'INVALID_REQUEST'])
    assert.equal(sim.state('AUTH_005'), 'UNBINDUSER')
  })

  it('reports each state through the query endpoint', async (t) => {
    const sim = await setUp(t)
    assert.equal(sim.state('AUTH_006'), undefined, 'never seen')
    const fresh = await query(sim, 'AUTH_006')
    assert.ok(signatureVerifies(fresh, wechatpay.publicKey))
    const available = JSON.parse(fresh.body)
    assert.equal(available.authorization_state, 'AVAILABLE')
    assert.equal(available.authorization_code, 'AUTH_006')
    assert.equal(available.service_id, '500001')
    assert.equal(available.sub_mchid, '1900000109')
    assert.match(available.openid, /^o[\w-]{27}$/)
    assert.equal(available.authorization_success_time, '2026-01-15T12:00:00+08:00')
    assert.equal(available.cancel_authorization_time, undefined)

    await terminate(sim, 'AUTH_006')
    const ended = JSON.parse((await query(sim, 'AUTH_006')).body)
    assert.equal(ended.authorization_state, 'UNAVAILABLE')
    assert.equal(ended.cancel_authorization_time, '2026-01-15T12:00:00+08:00')

    sim.setState('AUTH_007', 'UNBINDUSER')
    const unbound = JSON.parse((await query(sim, 'AUTH_007')).body)
    assert.equal(unbound.authorization_state, 'UNBINDUSER')
    assert.equal(unbound.openid, undefined)
  })

  it('answers 404 NOT_FOUND for any other path or method, signed', async (t) => {
    const sim = await setUp(t)
    for (const [method, path] of [
      // the partner query by openid of older SDKs: WeChat now documents /partner/permissions/search
      ['GET', '/v3/payscore/partner/permissions/openid/o123?service_id=500001&sub_mchid=1900000109'],
      ['GET', terminatePath('AUTH_008')],
      ['POST', `${BASE}/AUTH_008`],
    ] as const) {
      const answer = await call(sim, path, { method, body: method === 'POST' ? '{}' : '' })
      assert.deepEqual([answer.status, errorCode(answer)], [404, 'NOT_FOUND'], `${method} ${path}`)
      assert.ok(signatureVerifies(answer, wechatpay.publicKey))
    }
  })

  it('never lets a `..` path code reach another route', async (t) => {
    const sim = await setUp(t)
    const path = terminatePath('../../../../refund/domestic/refunds')
    const body = JSON.stringify(TERMINATE_BODY)
    const answer = await rawPost(sim, path, signedHeaders(path, { body }), body)
    assert.deepEqual([answer.status, JSON.parse(answer.body).code], [404, 'NOT_FOUND'])
    assert.equal(sim.requests[0]?.url, path, 'received without normalization')
  })

  it('records the exact bytes of every request, in order', async (t) => {
    const sim = await setUp(t)
    const body = '{"service_id":"500001", "sub_mchid":"1900000109","reason":"解除"}\n'
    await call(sim, terminatePath('AUTH_009'), { body })
    await query(sim, 'AUTH_009')
    assert.deepEqual(
      sim.requests.map((r) => [r.method, r.url, r.body, r.receivedAt]),
      [
        ['POST', terminatePath('AUTH_009'), body, NOW_MS],
        ['GET', queryPath('AUTH_009'), '', NOW_MS],
      ],
    )
    assert.match(String(sim.requests[0]?.headers.authorization), /^WECHATPAY2-SHA256-RSA2048 /)
  })
})

describe('request checks, in WeChat order', () => {
  for (const missing of ['Accept', 'User-Agent']) {
    it(`answers 400 INVALID_REQUEST naming a missing ${missing} header`, async (t) => {
      const sim = await setUp(t)
      const body = JSON.stringify(TERMINATE_BODY)
      const headers = signedHeaders(terminatePath('AUTH_010'), { body })
      delete headers[missing]
      const answer = await rawPost(sim, terminatePath('AUTH_010'), headers, body)
      assert.equal(answer.status, 400)
      const error = JSON.parse(answer.body)
      assert.equal(error.code, 'INVALID_REQUEST')
      assert.match(error.message, new RegExp(missing))
      assert.equal(sim.state('AUTH_010'), undefined)
    })
  }

  for (const type of [undefined, 'text/plain']) {
    it(`answers 400 INVALID_REQUEST to a body sent ${type ? `as ${type}` : 'without a Content-Type'}, processing nothing`, async (t) => {
      const sim = await setUp(t)
      const body = JSON.stringify(TERMINATE_BODY)
      const headers = signedHeaders(terminatePath('AUTH_CT'), { body })
      delete headers['Content-Type']
      if (type) headers['Content-Type'] = type
      const answer = await rawPost(sim, terminatePath('AUTH_CT'), headers, body)
      assert.equal(answer.status, 400)
      assert.equal(JSON.parse(answer.body).detail.field, 'Content-Type')
      assert.equal(sim.state('AUTH_CT'), undefined)
    })
  }

  const rejected: [string, CallOptions][] = [
    ['a tampered body', { tamper: (m) => m.replace('500001', '500002') }],
    ['a signature by another key', { key: wechatpay.privateKey }],
    ['an unknown mchid', { mchid: '1900000002' }],
    ['a serial that is not the merchant certificate', { serialNo: platform.serialNo }],
    ['a timestamp 301 s behind', { timestamp: NOW_S - 301 }],
    ['a timestamp 301 s ahead', { timestamp: NOW_S + 301 }],
    [
      'a malformed Authorization',
      { headers: { Authorization: 'WECHATPAY2-SHA256-RSA2048 mchid=1900000001' } },
    ],
    ['another Authorization schema', { headers: { Authorization: 'Bearer x' } }],
  ]
  for (const [name, options] of rejected) {
    it(`answers 401 SIGN_ERROR for ${name}`, async (t) => {
      const sim = await setUp(t)
      const answer = await terminate(sim, 'AUTH_011', options)
      assert.deepEqual([answer.status, errorCode(answer)], [401, 'SIGN_ERROR'])
      assert.equal(sim.state('AUTH_011'), undefined, 'nothing processed')
    })
  }

  for (const offset of [-300, -299, 299, 300]) {
    it(`accepts a timestamp ${offset} s from its clock`, async (t) => {
      const sim = await setUp(t)
      assert.equal((await terminate(sim, 'AUTH_012', { timestamp: NOW_S + offset })).status, 204)
    })
  }

  it('accepts the merchant serial in lower case and items in any order', async (t) => {
    const sim = await setUp(t)
    const path = terminatePath('AUTH_013')
    const body = JSON.stringify(TERMINATE_BODY)
    const headers = signedHeaders(path, { body, serialNo: MERCHANT_SERIAL.toLowerCase() })
    const [schema, items] = headers.Authorization!.split(' ')
    headers.Authorization = `${schema} ${items!.split(',').reverse().join(', ')}`
    const response = await fetch(sim.url + path, { method: 'POST', headers, body })
    assert.equal(response.status, 204)
  })

  it('checks headers before the signature, and the signature before parameters', async (t) => {
    const sim = await setUp(t)
    const badSignature = { key: wechatpay.privateKey }
    const noAgent = await rawPost(sim, terminatePath('bad.code'), { Accept: 'application/json' }, '')
    assert.equal(JSON.parse(noAgent.body).code, 'INVALID_REQUEST')
    const unsigned = await call(sim, terminatePath('bad.code'), { ...badSignature, body: 'not json' })
    assert.equal(errorCode(unsigned), 'SIGN_ERROR')
  })
})

describe('parameter checks', () => {
  const long = 'A'.repeat(33)
  for (const [name, code] of [
    ['33 characters', long],
    ['a dot', 'bad.code'],
    ['an encoded slash', 'a%2Fb'],
    ['broken percent-encoding', 'a%E4b'],
  ]) {
    it(`answers 400 PARAM_ERROR for a path code with ${name}`, async (t) => {
      const sim = await setUp(t)
      const answer = await terminate(sim, code!)
      assert.deepEqual([answer.status, errorCode(answer)], [400, 'PARAM_ERROR'])
      assert.equal(JSON.parse(answer.body).detail.location, 'path')
    })
  }

  it('percent-decodes the path code: a%2Ab is the code a*b', async (t) => {
    const sim = await setUp(t)
    assert.equal((await terminate(sim, 'a%2Ab')).status, 204)
    assert.equal(sim.state('a*b'), 'UNAVAILABLE')
    assert.equal(sim.requests[0]?.url, terminatePath('a%2Ab'), 'recorded as sent')
  })

  it('accepts a 32-character code with every allowed symbol', async (t) => {
    const sim = await setUp(t)
    const code = `Az09_-*${'x'.repeat(25)}`
    assert.equal((await terminate(sim, code)).status, 204)
  })

  const badBodies: [string, unknown, string][] = [
    ['a missing service_id', { ...TERMINATE_BODY, service_id: undefined }, '/service_id'],
    ['a non-digit service_id', { ...TERMINATE_BODY, service_id: '50000a' }, '/service_id'],
    ['a numeric service_id', { ...TERMINATE_BODY, service_id: 500001 }, '/service_id'],
    ['a 33-digit sub_mchid', { ...TERMINATE_BODY, sub_mchid: '1'.repeat(33) }, '/sub_mchid'],
    ['an empty reason', { ...TERMINATE_BODY, reason: '' }, '/reason'],
    ['a 51-character reason', { ...TERMINATE_BODY, reason: '解'.repeat(51) }, '/reason'],
    ['a 4-byte character in reason', { ...TERMINATE_BODY, reason: '不想用了😀' }, '/reason'],
    ['a lone surrogate in reason', { ...TERMINATE_BODY, reason: 'a\ud800' }, '/reason'],
    ['a control character in reason', { ...TERMINATE_BODY, reason: 'line\nbreak' }, '/reason'],
    ['a JSON array', [TERMINATE_BODY], '/'],
  ]
  for (const [name, value, field] of badBodies) {
    it(`answers 400 PARAM_ERROR for ${name}`, async (t) => {
      const sim = await setUp(t)
      const answer = await terminate(sim, 'AUTH_020', { body: JSON.stringify(value) })
      assert.deepEqual([answer.status, errorCode(answer)], [400, 'PARAM_ERROR'])
      const { detail } = JSON.parse(answer.body)
      assert.deepEqual([detail.field, detail.location], [field, 'body'])
      assert.ok(detail.issue)
      assert.equal(sim.state('AUTH_020'), undefined)
    })
  }

  it('answers 400 PARAM_ERROR for a body that is not JSON', async (t) => {
    const sim = await setUp(t)
    const answer = await terminate(sim, 'AUTH_021', { body: '{"service_id":' })
    assert.deepEqual([answer.status, errorCode(answer)], [400, 'PARAM_ERROR'])
  })

  it('accepts a 50-character reason of 3-byte characters', async (t) => {
    const sim = await setUp(t)
    const body = JSON.stringify({ ...TERMINATE_BODY, reason: '解'.repeat(50) })
    assert.equal((await terminate(sim, 'AUTH_022', { body })).status, 204)
  })

  it('requires service_id and sub_mchid in the query string', async (t) => {
    const sim = await setUp(t)
    const answer = await call(sim, `${BASE}/AUTH_023?service_id=500001`, { method: 'GET' })
    assert.deepEqual([answer.status, errorCode(answer)], [400, 'PARAM_ERROR'])
    const { detail } = JSON.parse(answer.body)
    assert.deepEqual([detail.field, detail.location], ['sub_mchid', 'query'])
  })
})

/** What each fault does to a terminate of a fresh code, as seen by a client. */
type Expectation = { status: number; code?: string; processed: boolean; check?: (answer: Answer) => void }

const EXPECTATIONS: Record<Exclude<Fault, 'slow' | 'reset' | 'reset_after_processing'>, Expectation> = {
  // A 204 has no JSON to alter: the terminate is processed and answered as usual.
  altered_answer: { status: 204, processed: true },
  rate_limited: { status: 429, code: 'FREQUENCY_LIMITED', processed: false },
  server_error: { status: 500, code: 'SYSTEM_ERROR', processed: false },
  unavailable: { status: 503, code: 'SYSTEM_ERROR', processed: false },
  unfinished_orders: { status: 400, code: 'INVALID_REQUEST', processed: false },
  order_not_exist: { status: 404, code: 'ORDER_NOT_EXIST', processed: false },
  no_auth: { status: 403, code: 'NO_AUTH', processed: false },
  sign_error: { status: 401, code: 'SIGN_ERROR', processed: false },
  unsigned: {
    status: 204,
    processed: true,
    check(answer) {
      for (const name of ['timestamp', 'nonce', 'signature', 'serial']) {
        assert.equal(answer.headers.get(`wechatpay-${name}`), null, name)
      }
      assert.ok(answer.headers.get('request-id'))
    },
  },
  bad_signature: {
    status: 204,
    processed: true,
    check(answer) {
      assert.match(answer.headers.get('wechatpay-signature') ?? '', /^[A-Za-z0-9+/]+={0,2}$/)
      assert.equal(signatureVerifies(answer, wechatpay.publicKey), false)
    },
  },
  signtest: {
    status: 204,
    processed: true,
    check(answer) {
      assert.ok(answer.headers.get('wechatpay-signature')?.startsWith(SIGNTEST_PREFIX))
      assert.equal(signatureVerifies(answer, wechatpay.publicKey), false)
    },
  },
  skewed_timestamp: {
    status: 204,
    processed: true,
    check(answer) {
      assert.equal(answer.headers.get('wechatpay-timestamp'), String(NOW_S - 600))
      assert.ok(signatureVerifies(answer, wechatpay.publicKey), 'correctly signed over the old timestamp')
    },
  },
  unknown_serial: {
    status: 204,
    processed: true,
    check(answer) {
      const serial = answer.headers.get('wechatpay-serial') ?? ''
      assert.match(serial, /^PUB_KEY_ID_\d+$/)
      assert.notEqual(serial, PUBLIC_KEY_ID)
      assert.ok(signatureVerifies(answer, wechatpay.publicKey), 'right key, wrong name')
    },
  },
}

async function assertFault(sim: WechatPaySimulator, code: string, expected: Expectation) {
  const answer = await terminate(sim, code)
  assert.equal(answer.status, expected.status)
  if (expected.code) {
    assert.equal(errorCode(answer), expected.code)
    assert.ok(signatureVerifies(answer, wechatpay.publicKey), 'fault answers are signed')
  }
  expected.check?.(answer)
  assert.equal(await stateByQuery(sim, code), expected.processed ? 'UNAVAILABLE' : 'AVAILABLE')
}

describe('faults', () => {
  for (const [fault, expected] of Object.entries(EXPECTATIONS)) {
    it(`${fault} (injected)`, async (t) => {
      const sim = await setUp(t)
      sim.inject({ fault: fault as Fault })
      await assertFault(sim, 'AUTH_030', expected)
    })
  }

  it('applies only after the request passed every check, without using up the rule', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'rate_limited', times: 1 })
    assert.equal((await terminate(sim, 'AUTH_031', { key: wechatpay.privateKey })).status, 401)
    assert.equal((await terminate(sim, 'AUTH_031', { body: '{}' })).status, 400)
    assert.equal((await terminate(sim, 'AUTH_031')).status, 429)
    assert.equal((await terminate(sim, 'AUTH_031')).status, 204)
  })

  it('hits terminate by default, and query or both when asked', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'server_error' })
    assert.equal((await query(sim, 'AUTH_032')).status, 200)
    sim.clearFaults()
    sim.inject({ fault: 'no_auth', endpoint: 'query' })
    assert.equal((await query(sim, 'AUTH_032')).status, 403)
    assert.equal((await terminate(sim, 'AUTH_032')).status, 204)
    sim.clearFaults()
    sim.inject({ fault: 'order_not_exist', endpoint: 'any' })
    assert.equal((await query(sim, 'AUTH_033')).status, 404)
    assert.equal((await terminate(sim, 'AUTH_033')).status, 404)
  })

  it('limits a rule to one code, counts `times` down and consumes rules in order', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'rate_limited', code: 'AUTH_035', times: 2 })
    sim.inject({ fault: 'server_error', times: 1 })
    assert.equal((await terminate(sim, 'AUTH_034')).status, 500, 'first rule is for another code')
    assert.equal((await terminate(sim, 'AUTH_034')).status, 204, 'second rule used up')
    assert.equal((await terminate(sim, 'AUTH_035')).status, 429)
    assert.equal((await terminate(sim, 'AUTH_035')).status, 429)
    assert.equal((await terminate(sim, 'AUTH_035')).status, 204)
  })

  it('rejects a rule whose times is not a positive integer', async (t) => {
    const sim = await setUp(t)
    assert.throws(() => sim.inject({ fault: 'reset', times: 0 }), RangeError)
  })

  it('reset drops the connection without answering or processing', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'reset', times: 1 })
    await assert.rejects(terminate(sim, 'AUTH_036'), TypeError)
    assert.equal(sim.requests.length, 1, 'received and recorded')
    assert.equal(sim.state('AUTH_036'), undefined)
    assert.equal((await terminate(sim, 'AUTH_036')).status, 204, 'the server still serves')
  })

  it('reset_after_processing terminates, then drops the connection without answering', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'reset_after_processing', times: 1 })
    await assert.rejects(terminate(sim, 'AUTH_RESET_ACTED'), TypeError)
    assert.equal(sim.state('AUTH_RESET_ACTED'), 'UNAVAILABLE', 'acted on')
  })

  it('slow answers after slowDelayMs, then terminates', async (t) => {
    const sim = await setUp(t, { slowDelayMs: 150 })
    sim.inject({ fault: 'slow' })
    const started = performance.now()
    const answer = await terminate(sim, 'AUTH_037')
    assert.ok(performance.now() - started >= 140, 'waited')
    assert.equal(answer.status, 204)
    assert.ok(signatureVerifies(answer, wechatpay.publicKey))
    assert.equal(sim.state('AUTH_037'), 'UNAVAILABLE')
  })

  it('slow still terminates when the client gave up (the ambiguous timeout)', async (t) => {
    const sim = await setUp(t, { slowDelayMs: 150 })
    sim.inject({ fault: 'slow', times: 1 })
    const gaveUp = new AbortController()
    const call = terminate(sim, 'AUTH_038', { signal: gaveUp.signal })
    // The client gives up once the simulator holds its request, before the slow answer.
    await until(() => sim.requests.length === 1, 'the request to arrive')
    gaveUp.abort(new DOMException('gave up', 'TimeoutError'))
    await assert.rejects(call, { name: 'TimeoutError' })
    assert.equal(sim.state('AUTH_038'), undefined, 'not yet')
    await until(() => sim.state('AUTH_038') === 'UNAVAILABLE', 'the slow terminate to take effect')
  })
})

describe('magic authorization codes', () => {
  for (const [prefix, magic] of Object.entries(MAGIC_CODES)) {
    if (magic.fault === 'slow' || magic.fault === 'reset' || 'times' in magic) continue
    it(`${prefix}: ${magic.description}`, async (t) => {
      const sim = await setUp(t)
      await assertFault(sim, `${prefix}_x1`, EXPECTATIONS[magic.fault])
    })
  }

  it('SIM_RESET and SIM_SLOW drop the connection and delay the answer', async (t) => {
    const sim = await setUp(t, { slowDelayMs: 100 })
    await assert.rejects(terminate(sim, 'SIM_RESET'), TypeError)
    const started = performance.now()
    assert.equal((await terminate(sim, 'SIM_SLOW_1')).status, 204)
    assert.ok(performance.now() - started >= 90)
  })

  it('SIM_FLAKY2 fails twice per code, then succeeds', async (t) => {
    const sim = await setUp(t)
    const statuses = []
    for (const code of ['SIM_FLAKY2_a', 'SIM_FLAKY2_a', 'SIM_FLAKY2_b', 'SIM_FLAKY2_a']) {
      statuses.push((await terminate(sim, code)).status)
    }
    assert.deepEqual(statuses, [500, 500, 500, 204])
  })

  it('leave the query endpoint alone, except SIM_BADSIG_ALL', async (t) => {
    const sim = await setUp(t)
    assert.ok(signatureVerifies(await query(sim, 'SIM_BADSIG_1'), wechatpay.publicKey))
    assert.equal((await query(sim, 'SIM_500')).status, 200)
    const all = await query(sim, 'SIM_BADSIG_ALL_1')
    assert.equal(all.status, 200)
    assert.equal(signatureVerifies(all, wechatpay.publicKey), false)
  })

  it('injected rules win over magic codes', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'no_auth', times: 1 })
    assert.equal((await terminate(sim, 'SIM_429')).status, 403)
    assert.equal((await terminate(sim, 'SIM_429')).status, 429)
  })
})

describe('lifecycle', () => {
  it('reset() forgets requests, faults, states and magic counters', async (t) => {
    const sim = await setUp(t)
    sim.inject({ fault: 'server_error' })
    await terminate(sim, 'SIM_FLAKY2')
    sim.setState('AUTH_040', 'UNAVAILABLE')
    sim.reset()
    assert.deepEqual(sim.requests, [])
    assert.equal(sim.state('AUTH_040'), undefined)
    assert.equal((await terminate(sim, 'AUTH_040')).status, 204)
    assert.equal((await terminate(sim, 'SIM_FLAKY2')).status, 500, 'counts again from zero')
  })

  it('fails fast on configuration it cannot honour', async () => {
    const base = { merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.publicKey }] }
    await assert.rejects(startWechatPaySimulator(base), /wechatpayPublicKey or platformCertificate/)
    await assert.rejects(
      startWechatPaySimulator({
        ...base,
        wechatpayPublicKey: { id: 'KEY1', privateKey: wechatpay.privateKey },
      }),
      /wechatpayPublicKey\.id/,
    )
    await assert.rejects(
      startWechatPaySimulator({
        ...base,
        wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: wechatpay.publicKey },
      }),
      /wechatpayPublicKey\.privateKey/,
    )
  })

  it('close() ends pending requests, drops their work and stops listening', async (t) => {
    const sim = await setUp(t, { slowDelayMs: 100 })
    sim.inject({ fault: 'slow' })
    const pending = terminate(sim, 'AUTH_041')
    while (sim.requests.length === 0) await sleep(5)
    await sim.close()
    await assert.rejects(pending, TypeError)
    await assert.rejects(fetch(sim.url), TypeError)
    await sleep(150)
    assert.equal(sim.state('AUTH_041'), undefined, 'the slow terminate never ran')
    await sim.close() // idempotent
  })

  it('close() leaves nothing that keeps a process alive', async () => {
    // A child process that starts a simulator, leaves a 60 s slow request pending and closes it
    // must exit by itself, long before the timer would have fired.
    const simulatorUrl = new URL('../../infra/local/wechatpay-simulator.ts', import.meta.url).href
    const script = `
      import { generateKeyPairSync, sign } from 'node:crypto'
      import { startWechatPaySimulator } from ${JSON.stringify(simulatorUrl)}
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const sim = await startWechatPaySimulator({
        merchants: [{ mchid: '1', serialNo: 'AB', publicKey }],
        wechatpayPublicKey: { id: 'PUB_KEY_ID_1', privateKey },
        slowDelayMs: 60_000,
      })
      const path = '/v3/payscore/partner/permissions/authorization-code/SIM_SLOW/terminate'
      const body = '{"service_id":"1","sub_mchid":"2","reason":"r"}'
      const ts = String(Math.floor(Date.now() / 1000))
      const signature = sign('sha256', Buffer.from('POST\\n' + path + '\\n' + ts + '\\nn\\n' + body + '\\n'), privateKey).toString('base64')
      const authorization = 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="' + signature + '",timestamp="' + ts + '",serial_no="AB"'
      const pending = fetch(sim.url + path, { method: 'POST', body, headers: { Accept: '*/*', 'Content-Type': 'application/json', 'User-Agent': 't', Authorization: authorization } })
        .then((r) => 'answered ' + r.status, () => 'dropped')
      while (sim.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      await sim.close()
      console.log(await pending)
    `
    const started = performance.now()
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', script],
      {
        timeout: 20_000,
      },
    )
    assert.equal(stdout.trim(), 'dropped')
    assert.ok(performance.now() - started < 20_000)
  })
})
