/**
 * PARAM_ERROR for everything WeChat would refuse on the openid and direct-mode endpoints (the
 * partner-by-code rules, reason included, are in wechatpay-simulator.test.ts): the answer is
 * signed, names the field where WeChat would, and nothing is processed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Endpoint, Mode } from '../../infra/local/wechatpay-simulator.ts'
import {
  call,
  errorCode,
  type Ref,
  send,
  setUp,
  signatureVerifies,
  wechatRequest,
} from './simulator-client.ts'

const OPENID = { openid: 'oP1' }
const SUB_OPENID = { subOpenid: 'oP1' }
const CODE = { code: 'AUTH_P1' }
const OPENID_129 = `o${'x'.repeat(128)}`

type Case = [name: string, patch: Record<string, unknown>, field: string]
type Group = { mode: Mode; endpoint: Endpoint; ref: Ref; cases: Case[] }

// Body fields are named as JSON pointers, query fields by their name: WeChat's `detail.field`.
const GROUPS: Group[] = [
  {
    mode: 'partner',
    endpoint: 'terminate',
    ref: OPENID,
    cases: [
      ['without appid', { appid: undefined }, '/appid'],
      ['without sub_mchid', { sub_mchid: undefined }, '/sub_mchid'],
      ['without reason', { reason: undefined }, '/reason'],
      ['naming no user', { openid: undefined }, '/openid'],
      ['with openid and sub_openid', { sub_openid: 'oP2', sub_appid: 'wx2' }, '/sub_openid'],
      ['with an openid of 129 characters', { openid: OPENID_129 }, '/openid'],
      ['with a numeric openid', { openid: 12345 }, '/openid'],
      ['with an appid of 33 characters', { appid: `wx${'1'.repeat(31)}` }, '/appid'],
      ['with a 51-character reason', { reason: '解'.repeat(51) }, '/reason'],
    ],
  },
  {
    mode: 'partner',
    endpoint: 'terminate',
    ref: SUB_OPENID,
    cases: [
      ['without sub_appid', { sub_appid: undefined }, '/sub_appid'],
      ['with a space in sub_openid', { sub_openid: 'o P1' }, '/sub_openid'],
    ],
  },
  {
    mode: 'partner',
    endpoint: 'query',
    ref: OPENID,
    cases: [
      ['without appid', { appid: undefined }, 'appid'],
      ['without service_id', { service_id: undefined }, 'service_id'],
      ['naming no user', { openid: undefined }, 'openid'],
      ['with a dot in openid', { openid: 'o.P1' }, 'openid'],
      ['with an empty openid', { openid: '' }, 'openid'],
      ['with a non-digit sub_mchid', { sub_mchid: '19000001x9' }, 'sub_mchid'],
    ],
  },
  {
    mode: 'partner',
    endpoint: 'query',
    ref: SUB_OPENID,
    cases: [
      ['without sub_appid', { sub_appid: undefined }, 'sub_appid'],
      ['with openid and sub_openid', { openid: 'oP2' }, 'sub_openid'],
      ['with a slash in sub_appid', { sub_appid: 'wx/1' }, 'sub_appid'],
    ],
  },
  {
    mode: 'partner',
    endpoint: 'terminate',
    ref: CODE,
    cases: [['with an appid next to the code', { appid: 'wx1' }, '/appid']],
  },
  {
    mode: 'partner',
    endpoint: 'query',
    ref: CODE,
    cases: [['with an openid next to the code', { openid: 'oP2' }, 'openid']],
  },
  {
    mode: 'direct',
    endpoint: 'terminate',
    ref: CODE,
    cases: [
      ['with a sub_mchid', { sub_mchid: '1900000109' }, '/sub_mchid'],
      ['without reason', { reason: undefined }, '/reason'],
      ['with a numeric service_id', { service_id: 500001 }, '/service_id'],
    ],
  },
  {
    mode: 'direct',
    endpoint: 'query',
    ref: CODE,
    cases: [
      ['with a sub_mchid', { sub_mchid: '1900000109' }, 'sub_mchid'],
      ['without service_id', { service_id: undefined }, 'service_id'],
    ],
  },
  {
    mode: 'direct',
    endpoint: 'terminate',
    ref: OPENID,
    cases: [
      ['with a sub_mchid', { sub_mchid: '1900000109' }, '/sub_mchid'],
      ['with the openid in the body too', { openid: 'oP1' }, '/openid'],
      ['without appid', { appid: undefined }, '/appid'],
    ],
  },
  {
    mode: 'direct',
    endpoint: 'query',
    ref: OPENID,
    cases: [
      ['with a sub_appid', { sub_appid: 'wx2' }, 'sub_appid'],
      ['without appid', { appid: undefined }, 'appid'],
    ],
  },
]

/** The name the request would have created, to check that nothing was. */
const nameOf = (ref: Ref) => ('code' in ref ? ref.code : 'openid' in ref ? ref.openid : ref.subOpenid)

async function assertParamError(
  answer: { status: number; headers: Headers; body: string },
  field: string,
  location: string,
) {
  assert.deepEqual([answer.status, errorCode(answer)], [400, 'PARAM_ERROR'])
  assert.ok(signatureVerifies(answer))
  const { detail } = JSON.parse(answer.body)
  assert.deepEqual([detail.field, detail.location], [field, location])
  assert.ok(detail.issue)
}

describe('parameter checks by openid and in direct mode', () => {
  for (const { mode, endpoint, ref, cases } of GROUPS) {
    for (const [name, patch, field] of cases) {
      it(`answers 400 PARAM_ERROR to ${mode} ${endpoint} by ${Object.keys(ref)[0]} ${name}`, async (t) => {
        const sim = await setUp(t)
        const answer = await send(sim, wechatRequest(mode, endpoint, ref), patch)
        await assertParamError(answer, field, endpoint === 'terminate' ? 'body' : 'query')
        assert.equal(sim.state(nameOf(ref)), undefined, 'nothing processed')
      })
    }
  }

  for (const [name, openid] of [
    ['129 characters', OPENID_129],
    ['a dot', 'o.P1'],
    ['an encoded slash', 'o%2FP1'],
    ['broken percent-encoding', 'o%E4P1'],
  ]) {
    it(`answers 400 PARAM_ERROR for a direct path openid with ${name}`, async (t) => {
      const sim = await setUp(t)
      const request = wechatRequest('direct', 'query', { openid: 'PLACEHOLDER' })
      const answer = await send(sim, { ...request, path: request.path.replace('PLACEHOLDER', openid!) })
      await assertParamError(answer, 'openid', 'path')
    })
  }

  it('accepts the longest openid, appid and sub_appid and every allowed symbol', async (t) => {
    const sim = await setUp(t)
    const openid = `Az09_-${'x'.repeat(122)}`
    const ref = { subOpenid: openid, appid: `wx_-${'9'.repeat(28)}`, subAppid: `A-_${'z'.repeat(29)}` }
    assert.equal((await send(sim, wechatRequest('partner', 'terminate', ref))).status, 204)
    assert.equal(sim.state(openid), 'UNAVAILABLE')
    const direct = wechatRequest('direct', 'terminate', { openid: `SIM_x-${'y'.repeat(122)}` })
    assert.equal((await send(sim, direct)).status, 204)
  })

  it('refuses a query field given twice', async (t) => {
    const sim = await setUp(t)
    const request = wechatRequest('direct', 'query', OPENID)
    const answer = await call(sim, `${request.path}?service_id=500001&appid=wx1&appid=wx2`, { method: 'GET' })
    await assertParamError(answer, 'appid', 'query')
  })

  it('refuses a query string on a terminate', async (t) => {
    const sim = await setUp(t)
    const request = wechatRequest('partner', 'terminate', OPENID)
    const body = JSON.stringify(request.fields)
    const answer = await call(sim, `${request.path}?sub_mchid=1900000109`, { body })
    await assertParamError(answer, 'sub_mchid', 'query')
    assert.equal(sim.state('oP1'), undefined)
  })

  it('checks the path before the body, and documented fields before unknown ones', async (t) => {
    const sim = await setUp(t)
    const request = wechatRequest('direct', 'terminate', { openid: 'o.P1' })
    const bad = await send(sim, request, { service_id: 'x', sub_mchid: '1' })
    await assertParamError(bad, 'openid', 'path')
    const both = await send(sim, wechatRequest('direct', 'terminate', OPENID), {
      service_id: 'x',
      sub_mchid: '1',
    })
    await assertParamError(both, '/service_id', 'body')
  })
})
