/**
 * The eight Pay Score endpoints (and partner by sub_openid), each signed by our own test client and
 * verified independently: accepted when WeChat would accept them, refused in WeChat's order, and
 * answered with the fields of WeChat's answer table.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Endpoint, Mode } from '../../infra/local/wechatpay-simulator.ts'
import { generateRsaKeyPair } from '../helpers/keys.ts'
import {
  APPID,
  call,
  errorCode,
  MCHID,
  MERCHANT_SERIAL,
  merchant,
  NOW_WECHAT,
  type Ref,
  SERVICE_ID,
  SUB_APPID,
  SUB_MCHID,
  send,
  setUp,
  signatureVerifies,
  wechatpay,
  wechatRequest,
} from './simulator-client.ts'

/** Every way to name an authorization, with the name the simulator keys it by. */
const SHAPES: Array<{ mode: Mode; label: string; ref: Ref; name: string }> = [
  { mode: 'partner', label: 'partner by code', ref: { code: 'AUTH_R1' }, name: 'AUTH_R1' },
  { mode: 'partner', label: 'partner by openid', ref: { openid: 'oR2' }, name: 'oR2' },
  { mode: 'partner', label: 'partner by sub_openid', ref: { subOpenid: 'oR3' }, name: 'oR3' },
  { mode: 'direct', label: 'direct by code', ref: { code: 'AUTH_R4' }, name: 'AUTH_R4' },
  { mode: 'direct', label: 'direct by openid', ref: { openid: 'oR5' }, name: 'oR5' },
]
const ENDPOINTS: Endpoint[] = ['terminate', 'query']

describe('every endpoint', () => {
  for (const { mode, label, ref, name } of SHAPES) {
    it(`${label}: terminates with a signed 204, then the query says UNAVAILABLE`, async (t) => {
      const sim = await setUp(t)
      const answer = await send(sim, wechatRequest(mode, 'terminate', ref))
      assert.deepEqual([answer.status, answer.body], [204, ''])
      assert.ok(signatureVerifies(answer))
      assert.equal(sim.state(name), 'UNAVAILABLE')
      const state = await send(sim, wechatRequest(mode, 'query', ref))
      assert.ok(signatureVerifies(state))
      assert.equal(JSON.parse(state.body).authorization_state, 'UNAVAILABLE')
    })

    for (const endpoint of ENDPOINTS) {
      it(`${label} ${endpoint}: refuses a signature by another key, processing nothing`, async (t) => {
        const sim = await setUp(t)
        const answer = await send(sim, wechatRequest(mode, endpoint, ref), {}, { key: wechatpay.privateKey })
        assert.deepEqual([answer.status, errorCode(answer)], [401, 'SIGN_ERROR'])
        assert.ok(signatureVerifies(answer))
        assert.equal(sim.state(name), undefined)
      })

      it(`${label} ${endpoint}: refuses a request whose signed path or body was changed`, async (t) => {
        const sim = await setUp(t)
        const tamper = (message: string) => message.replace(SERVICE_ID, '500002')
        const answer = await send(sim, wechatRequest(mode, endpoint, ref), {}, { tamper })
        assert.deepEqual([answer.status, errorCode(answer)], [401, 'SIGN_ERROR'])
      })
    }
  }

  it('answers each query with the fields of WeChat answer table', async (t) => {
    const sim = await setUp(t)
    const common = { service_id: SERVICE_ID, appid: APPID, mchid: MCHID, authorization_state: 'AVAILABLE' }
    const time = { authorization_success_time: NOW_WECHAT }
    const partner = { ...common, sub_mchid: SUB_MCHID }
    const answers = await Promise.all(
      SHAPES.map(async ({ mode, ref }) =>
        JSON.parse((await send(sim, wechatRequest(mode, 'query', ref))).body),
      ),
    )
    const codes = answers.map((answer) => answer.authorization_code)
    assert.equal(codes[0], 'AUTH_R1')
    assert.equal(codes[3], 'AUTH_R4')
    for (const derived of [codes[1], codes[2], codes[4]]) assert.match(derived, /^C[\w-]{27}$/)
    for (const derived of [answers[0].openid, answers[3].openid]) assert.match(derived, /^o[\w-]{27}$/)
    assert.deepEqual(answers, [
      { ...partner, authorization_code: 'AUTH_R1', openid: answers[0].openid, ...time },
      { ...partner, authorization_code: codes[1], openid: 'oR2', ...time },
      { ...partner, sub_appid: SUB_APPID, authorization_code: codes[2], sub_openid: 'oR3', ...time },
      { ...common, authorization_code: 'AUTH_R4', openid: answers[3].openid, ...time },
      { ...common, authorization_code: codes[4], openid: 'oR5', ...time },
    ])
  })

  it('names the merchant that signed the query as mchid, in either mode', async (t) => {
    const other = generateRsaKeyPair()
    const sim = await setUp(t, {
      merchants: [
        { mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.publicKey },
        { mchid: '1230000109', serialNo: 'ABCDEF01', publicKey: other.publicKey },
      ],
    })
    const signer = { mchid: '1230000109', serialNo: 'ABCDEF01', key: other.privateKey }
    for (const mode of ['partner', 'direct'] as const) {
      const answer = await send(sim, wechatRequest(mode, 'query', { openid: 'oR6' }), {}, signer)
      assert.equal(JSON.parse(answer.body).mchid, '1230000109', mode)
    }
  })

  it('leaves out the user and success time of an authorization never bound', async (t) => {
    const sim = await setUp(t)
    sim.setState('AUTH_R7', 'UNBINDUSER')
    const answer = JSON.parse((await send(sim, wechatRequest('direct', 'query', { code: 'AUTH_R7' }))).body)
    assert.equal(answer.authorization_state, 'UNBINDUSER')
    assert.deepEqual([answer.openid, answer.authorization_success_time], [undefined, undefined])
  })
})

describe('routing', () => {
  const notFound: Array<[string, 'GET' | 'POST', string]> = [
    ['the older partner query by openid', 'GET', '/v3/payscore/partner/permissions/openid/oX?service_id=1'],
    ['a GET of partner terminate by openid', 'GET', '/v3/payscore/partner/permissions/terminate'],
    ['a POST to partner search', 'POST', '/v3/payscore/partner/permissions/search'],
    ['a GET of direct terminate by openid', 'GET', '/v3/payscore/permissions/openid/oX/terminate'],
    ['an extra segment after terminate', 'POST', '/v3/payscore/permissions/openid/oX/terminate/x'],
    ['an openid spanning two segments', 'GET', '/v3/payscore/permissions/openid/o/X?service_id=1'],
    ['direct search (partner only)', 'GET', '/v3/payscore/permissions/search?service_id=1'],
    ['a trailing slash', 'POST', '/v3/payscore/partner/permissions/terminate/'],
  ]
  for (const [name, method, path] of notFound) {
    it(`answers a signed 404 NOT_FOUND for ${name}`, async (t) => {
      const sim = await setUp(t)
      const answer = await call(sim, path, { method, body: method === 'POST' ? '{}' : '' })
      assert.deepEqual([answer.status, errorCode(answer)], [404, 'NOT_FOUND'])
      assert.ok(signatureVerifies(answer))
    })
  }

  it('percent-decodes a direct openid in the path', async (t) => {
    const sim = await setUp(t)
    const request = wechatRequest('direct', 'terminate', { openid: 'oR8' })
    const answer = await send(sim, { ...request, path: request.path.replace('oR8', '%6FR8') })
    assert.equal(answer.status, 204)
    assert.equal(sim.state('oR8'), 'UNAVAILABLE')
  })
})
