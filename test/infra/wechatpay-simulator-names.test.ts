/**
 * One authorization however it is named: a code, its openid and (partner) a sub_openid reach the
 * same state in both modes; a user's id counts only under its appid; faults and magic prefixes
 * follow the name a request uses.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAGIC_CODES, type Mode } from '../../infra/local/wechatpay-simulator.ts'
import {
  APPID,
  errorCode,
  NOW_WECHAT,
  queryBy,
  type Ref,
  SUB_APPID,
  send,
  setUp,
  signatureVerifies,
  terminateBy,
  wechatRequest,
} from './simulator-client.ts'

const MODES: Mode[] = ['partner', 'direct']

describe('the same authorization by code and by openid', () => {
  for (const mode of MODES) {
    it(`${mode}: terminate by code, then the openid the code query named is UNAVAILABLE`, async (t) => {
      const sim = await setUp(t)
      const { openid } = (await queryBy(sim, mode, { code: 'AUTH_N1' })).json as { openid: string }
      assert.equal((await terminateBy(sim, mode, { code: 'AUTH_N1' })).status, 204)
      const byOpenid = await queryBy(sim, mode, { openid })
      assert.equal(byOpenid.json.authorization_state, 'UNAVAILABLE')
      assert.equal(byOpenid.json.authorization_code, 'AUTH_N1')
      const again = await terminateBy(sim, mode, { openid })
      assert.deepEqual([again.status, errorCode(again)], [400, 'INVALID_REQUEST'], 'already ended')
    })

    it(`${mode}: terminate by openid, then the code the openid query named is UNAVAILABLE`, async (t) => {
      const sim = await setUp(t)
      assert.equal((await terminateBy(sim, mode, { openid: 'oN2' })).status, 204)
      const code = (await queryBy(sim, mode, { openid: 'oN2' })).json.authorization_code as string
      const byCode = await queryBy(sim, mode, { code })
      assert.deepEqual([byCode.json.authorization_state, byCode.json.openid], ['UNAVAILABLE', 'oN2'])
      assert.equal(byCode.json.cancel_authorization_time, NOW_WECHAT)
    })
  }

  it('partner: terminate by sub_openid, then its code is UNAVAILABLE and names the sub_openid', async (t) => {
    const sim = await setUp(t)
    assert.equal((await terminateBy(sim, 'partner', { subOpenid: 'oN3' })).status, 204)
    const code = sim.authorization('oN3')!.authorizationCode
    const byCode = await queryBy(sim, 'partner', { code })
    assert.equal(byCode.json.authorization_state, 'UNAVAILABLE')
    assert.deepEqual(
      [byCode.json.sub_openid, byCode.json.sub_appid, byCode.json.openid],
      ['oN3', SUB_APPID, undefined],
    )
    const bySub = await queryBy(sim, 'partner', { subOpenid: 'oN3' })
    assert.equal(bySub.json.authorization_state, 'UNAVAILABLE')
    // Its derived openid (direct answers have no sub_openid) finds it too, and is what it answers with.
    const { openid } = (await queryBy(sim, 'direct', { code })).json as { openid: string }
    const byOpenid = await queryBy(sim, 'partner', { openid })
    assert.deepEqual(
      [byOpenid.json.openid, byOpenid.json.sub_openid, byOpenid.json.authorization_code],
      [openid, undefined, code],
    )
  })

  it('is one authorization across modes', async (t) => {
    const sim = await setUp(t)
    const { openid } = (await queryBy(sim, 'partner', { code: 'AUTH_N4' })).json as { openid: string }
    assert.equal((await terminateBy(sim, 'direct', { openid })).status, 204)
    assert.equal((await queryBy(sim, 'partner', { code: 'AUTH_N4' })).json.authorization_state, 'UNAVAILABLE')
  })

  it('keeps a sub_openid never seen apart from a code seen before', async (t) => {
    const sim = await setUp(t)
    await terminateBy(sim, 'partner', { code: 'AUTH_N5' })
    const bySub = await queryBy(sim, 'partner', { subOpenid: 'oN5' })
    assert.equal(bySub.json.authorization_state, 'AVAILABLE')
    assert.notEqual(bySub.json.authorization_code, 'AUTH_N5')
  })
})

describe('a user id counts under its appid only', () => {
  const cases: Array<[string, Mode, Ref, Ref]> = [
    ['another appid (partner)', 'partner', { openid: 'oA1' }, { openid: 'oA1', appid: 'wxother' }],
    ['another appid (direct)', 'direct', { openid: 'oA1' }, { openid: 'oA1', appid: 'wxother' }],
    ['another sub_appid', 'partner', { subOpenid: 'oA1' }, { subOpenid: 'oA1', subAppid: 'wxother' }],
    [
      'a sub_appid the openid has none of',
      'partner',
      { openid: 'oA1' },
      { openid: 'oA1', subAppid: SUB_APPID },
    ],
  ]
  for (const [name, mode, first, other] of cases) {
    it(`answers 404 ORDER_NOT_EXIST for ${name}, ending nothing`, async (t) => {
      const sim = await setUp(t)
      assert.equal((await queryBy(sim, mode, first)).status, 200)
      for (const answer of [await queryBy(sim, mode, other), await terminateBy(sim, mode, other)]) {
        assert.deepEqual([answer.status, errorCode(answer)], [404, 'ORDER_NOT_EXIST'])
        assert.ok(signatureVerifies(answer))
      }
      assert.equal(sim.state('oA1'), 'AVAILABLE')
    })
  }

  it('accepts an openid query without the sub_appid the authorization has', async (t) => {
    const sim = await setUp(t)
    await terminateBy(sim, 'partner', { openid: 'oA2', subAppid: SUB_APPID })
    const answer = await queryBy(sim, 'partner', { openid: 'oA2' })
    assert.deepEqual([answer.json.authorization_state, answer.json.sub_appid], ['UNAVAILABLE', SUB_APPID])
  })

  it('gives authorizations first seen by code the appid option, by openid the request appid', async (t) => {
    const sim = await setUp(t, { appid: 'wxconfigured' })
    const byCode = await queryBy(sim, 'direct', { code: 'AUTH_A3' })
    assert.equal(byCode.json.appid, 'wxconfigured')
    const { openid } = byCode.json as { openid: string }
    assert.equal((await queryBy(sim, 'direct', { openid })).status, 404, 'APPID is not its appid')
    assert.equal((await queryBy(sim, 'direct', { openid, appid: 'wxconfigured' })).status, 200)
    assert.equal((await queryBy(sim, 'direct', { openid: 'oA3', appid: 'wxasked' })).json.appid, 'wxasked')
  })

  it('cannot find by user an authorization no user is bound to', async (t) => {
    const sim = await setUp(t)
    sim.setState({ openid: 'oA4' }, 'UNBINDUSER')
    assert.equal((await queryBy(sim, 'partner', { openid: 'oA4' })).status, 404)
    assert.equal((await terminateBy(sim, 'direct', { openid: 'oA4' })).status, 404)
    const code = sim.authorization('oA4')!.authorizationCode
    assert.equal((await queryBy(sim, 'direct', { code })).json.authorization_state, 'UNBINDUSER')
  })
})

describe('state, authorization and setState by any name', () => {
  it('finds one authorization by its code or its openid', async (t) => {
    const sim = await setUp(t)
    await terminateBy(sim, 'partner', { code: 'AUTH_S1' })
    const view = sim.authorization('AUTH_S1')!
    assert.deepEqual(sim.authorization(view.openid), view)
    assert.deepEqual(view, {
      authorizationCode: 'AUTH_S1',
      openid: view.openid,
      subOpenid: undefined,
      appid: APPID,
      subAppid: undefined,
      state: 'UNAVAILABLE',
    })
    assert.equal(sim.state(view.openid), 'UNAVAILABLE')
    assert.equal(sim.authorization('oNeverSeen'), undefined)
  })

  it('sets the state of an openid or sub_openid never seen, under the appid given', async (t) => {
    const sim = await setUp(t)
    sim.setState({ openid: 'oS2', appid: 'wxS2' }, 'UNAVAILABLE')
    sim.setState({ subOpenid: 'oS3', subAppid: SUB_APPID }, 'UNAVAILABLE')
    const direct = await terminateBy(sim, 'direct', { openid: 'oS2', appid: 'wxS2' })
    assert.deepEqual([direct.status, errorCode(direct)], [400, 'INVALID_REQUEST'])
    assert.equal(
      (await queryBy(sim, 'partner', { subOpenid: 'oS3' })).json.authorization_state,
      'UNAVAILABLE',
    )
    sim.setState('oS2', 'AVAILABLE')
    assert.equal(sim.state('oS2'), 'AVAILABLE', 'a string names a known openid')
  })
})

/** What a client sees of a terminate, and the state the verified query shows after it. */
async function observe(sim: Awaited<ReturnType<typeof setUp>>, mode: Mode, ref: Ref) {
  const answer = await terminateBy(sim, mode, ref)
  const code = answer.body ? errorCode(answer) : undefined
  const state = (await queryBy(sim, mode, ref)).json.authorization_state
  return { status: answer.status, code, verifies: signatureVerifies(answer), state }
}

describe('magic prefixes on openids and sub_openids', () => {
  for (const [prefix, magic] of Object.entries(MAGIC_CODES)) {
    if (magic.fault === 'slow' || magic.fault === 'reset') continue
    it(`${prefix} behaves on an openid or sub_openid as on a code`, async (t) => {
      const sim = await setUp(t)
      const onCode = await observe(sim, 'partner', { code: `${prefix}_c` })
      assert.deepEqual(await observe(sim, 'partner', { openid: `${prefix}_o` }), onCode)
      assert.deepEqual(await observe(sim, 'partner', { subOpenid: `${prefix}_s` }), onCode)
      assert.deepEqual(await observe(sim, 'direct', { openid: `${prefix}_d` }), onCode)
    })
  }

  it('SIM_RESET and SIM_SLOW work on a direct openid', async (t) => {
    const sim = await setUp(t, { slowDelayMs: 100 })
    await assert.rejects(terminateBy(sim, 'direct', { openid: 'SIM_RESET_o' }), TypeError)
    const started = performance.now()
    assert.equal((await terminateBy(sim, 'direct', { openid: 'SIM_SLOW_o' })).status, 204)
    assert.ok(performance.now() - started >= 90)
  })

  it('SIM_TERMINATED starts an openid UNAVAILABLE; SIM_BADSIG_ALL spoils its search', async (t) => {
    const sim = await setUp(t)
    assert.equal(
      (await queryBy(sim, 'partner', { openid: 'SIM_TERMINATED_o' })).json.authorization_state,
      'UNAVAILABLE',
    )
    const search = await queryBy(sim, 'partner', { openid: 'SIM_BADSIG_ALL_o' })
    assert.deepEqual([search.status, signatureVerifies(search)], [200, false])
  })

  it('follows the name a request uses, not the authorization it reaches', async (t) => {
    const sim = await setUp(t)
    const { openid } = (await queryBy(sim, 'partner', { code: 'SIM_503_n' })).json as { openid: string }
    assert.equal((await terminateBy(sim, 'partner', { openid })).status, 204, 'its openid is no magic')
  })
})

describe('faults by openid', () => {
  it('hit only requests naming that openid, on the endpoint asked', async (t) => {
    const sim = await setUp(t)
    const { authorization_code: code } = (await queryBy(sim, 'direct', { openid: 'oF1' })).json as Record<
      string,
      string
    >
    sim.inject({ fault: 'server_error', reference: 'oF1' })
    sim.inject({ fault: 'no_auth', code: 'oF2', endpoint: 'query' })
    assert.equal((await queryBy(sim, 'direct', { openid: 'oF1' })).status, 200, 'terminate only')
    assert.equal((await terminateBy(sim, 'partner', { code: code! })).status, 204, 'not by its code')
    assert.equal((await terminateBy(sim, 'direct', { openid: 'oF1' })).status, 500)
    assert.equal((await queryBy(sim, 'partner', { subOpenid: 'oF2' })).status, 403, '`code` matches any name')
    assert.equal((await terminateBy(sim, 'partner', { subOpenid: 'oF2' })).status, 204)
  })

  it('refuses a rule whose code and reference disagree', async (t) => {
    const sim = await setUp(t)
    assert.throws(() => sim.inject({ fault: 'reset', code: 'a', reference: 'b' }), TypeError)
  })

  for (const [label, mode, ref] of [
    ['partner by code', 'partner', { code: 'AUTH_F3' }],
    ['partner search by openid', 'partner', { openid: 'oF3' }],
    ['partner search by sub_openid', 'partner', { subOpenid: 'oF3' }],
    ['direct by code', 'direct', { code: 'AUTH_F3' }],
    ['direct by openid', 'direct', { openid: 'oF3' }],
  ] as const) {
    it(`altered_answer signs a patched ${label} answer (e.g. without the optional code)`, async (t) => {
      const sim = await setUp(t)
      sim.inject({
        fault: 'altered_answer',
        endpoint: 'query',
        patch: { authorization_code: undefined, appid: 'wxX' },
      })
      const answer = await send(sim, wechatRequest(mode, 'query', ref))
      assert.ok(signatureVerifies(answer))
      const json = JSON.parse(answer.body)
      assert.deepEqual(
        [json.authorization_code, json.appid, json.authorization_state],
        [undefined, 'wxX', 'AVAILABLE'],
      )
    })
  }
})
