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
