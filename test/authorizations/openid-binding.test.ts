import assert from 'node:assert/strict'
import { it } from 'node:test'
import { type AuthorizationRef, bindingProblem } from '../../functions/authorizations/reference.ts'

/**
 * a query by openid binds the answer to nothing about the user. For direct / openid
 * only `service_id` is required, for partner / openid `service_id` and `sub_mchid`: a verified answer
 * that names no openid, no sub_openid and no appid (WeChat documents `appid` as always present in
 * every query answer, ../shared/reference/payscore-permissions.md, "Query answer fields") passes the
 * check, and its UNAVAILABLE settles an ambiguous terminate as `terminated`. Any signed answer about
 * any authorization of the same service (a replay into another container within 300 s) fits.
 */
const MCHID = '1900000100'
const direct: AuthorizationRef = {
  mode: 'direct',
  service_id: '500001',
  sub_mchid: null,
  authorization_code: null,
  openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  sub_openid: null,
  appid: 'wxd678efh567hg6787',
  sub_appid: null,
}
const partner: AuthorizationRef = { ...direct, mode: 'partner', sub_mchid: '1900000109' }

for (const ref of [direct, partner]) {
  it(`${ref.mode} / openid: an answer that names neither the user nor the appid asked is not about it`, () => {
    const answer = {
      service_id: ref.service_id,
      mchid: MCHID,
      ...(ref.sub_mchid ? { sub_mchid: ref.sub_mchid } : {}),
      authorization_state: 'UNAVAILABLE',
    }
    assert.notEqual(bindingProblem(ref, answer, MCHID), undefined)
  })
}

/**
 * WeChat may leave the user out of an answer to a query by openid (payscore-permissions.md, "Query
 * answer fields": openid / sub_openid optional), and such an answer is taken when it names the app
 * asked. One that names the authorization by something else instead (the other kind of openid, an
 * authorization_code) cannot be checked against the request: it may be about any user of the app,
 * and its UNAVAILABLE would settle an unverified 204 as `terminated`.
 */
const subOpenid: AuthorizationRef = {
  ...partner,
  openid: null,
  sub_openid: 'oSubUser00000000000000000001',
  sub_appid: 'wxSubApp000000001',
}
const base = (ref: AuthorizationRef) => ({
  service_id: ref.service_id,
  mchid: MCHID,
  appid: ref.appid,
  ...(ref.sub_mchid ? { sub_mchid: ref.sub_mchid } : {}),
  ...(ref.sub_appid ? { sub_appid: ref.sub_appid } : {}),
  authorization_state: 'UNAVAILABLE',
})

for (const ref of [direct, partner, subOpenid]) {
  const user = ref.openid !== null ? 'openid' : 'sub_openid'
  it(`${ref.mode} / ${user}: an answer that leaves the user out but names the app asked is about it`, () => {
    assert.equal(bindingProblem(ref, base(ref), MCHID), undefined)
  })
  it(`${ref.mode} / ${user}: the user asked, equal, beside other names, is about it`, () => {
    const answer = { ...base(ref), [user]: ref[user], authorization_code: 'Code0001' }
    assert.equal(bindingProblem(ref, answer, MCHID), undefined)
  })
  const others =
    ref.mode === 'direct'
      ? ['authorization_code']
      : ['authorization_code', user === 'openid' ? 'sub_openid' : 'openid']
  for (const other of others) {
    it(`${ref.mode} / ${user}: an answer that names an ${other} but not the ${user} asked is not about it`, () => {
      const answer = { ...base(ref), [other]: 'SomebodyElse0001' }
      assert.match(
        bindingProblem(ref, answer, MCHID) ?? '',
        new RegExp(`names an ${other} but not the ${user} asked`),
      )
    })
  }
}
