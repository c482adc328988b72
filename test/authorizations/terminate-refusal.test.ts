import assert from 'node:assert/strict'
import { randomBytes, sign } from 'node:crypto'
import { it } from 'node:test'
import type { AuthorizationRef } from '../../functions/authorizations/reference.ts'
import { terminateAuthorization } from '../../functions/authorizations/terminate.ts'
import { MAX_BODY_BYTES } from '../../functions/wechatpay/body.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { clientFor } from '../helpers/wechatpay.ts'

/**
 * a terminate answered with a 4xx (WeChat refused: it did not act) whose body cannot
 * be read (over 64 KiB here; a stalled or reset body does the same) is RESPONSE_TOO_LARGE, class
 * `unanswered`, so terminate.ts settles it with AFTER_NO_ANSWER, whose `gone` is `terminated`. An
 * authorization that was already ended before the call is then reported `terminated`: a claim that
 * this call ended it, made from a refusal.
 */
const merchant = createTestMerchant()
const ref: AuthorizationRef = {
  mode: 'partner',
  service_id: '500001',
  sub_mchid: '1900000109',
  authorization_code: 'ended_long_ago',
  openid: null,
  sub_openid: null,
  appid: null,
  sub_appid: null,
}

/** WeChat's answer to the query, signed with WeChat's key as WeChat signs it. */
function signedQueryAnswer(): Response {
  const body = JSON.stringify({
    mchid: '1900000100',
    service_id: ref.service_id,
    sub_mchid: ref.sub_mchid,
    authorization_code: ref.authorization_code,
    appid: 'wxd678efh567hg6787',
    authorization_state: 'UNAVAILABLE',
    cancel_authorization_time: '2020-01-01T00:00:00+08:00',
  })
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString('hex')
  const signature = sign(
    'sha256',
    Buffer.from(`${timestamp}\n${nonce}\n${body}\n`),
    merchant.wechatpayKeys.privateKey,
  ).toString('base64')
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'request-id': 'query-1',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': signature,
      'wechatpay-serial': PUBLIC_KEY_ID,
    },
  })
}

it('a 4xx refusal whose body cannot be read, for an authorization already ended, is not `terminated`', async () => {
  const sent: string[] = []
  const fetch = (async (input: Request) => {
    sent.push(`${input.method} ${new URL(input.url).pathname}`)
    if (input.method === 'POST') {
      // WeChat refuses (400): the body is longer than the client reads.
      return new Response(`{"code":"INVALID_REQUEST","message":"${'x'.repeat(MAX_BODY_BYTES)}"}`, {
        status: 400,
        headers: { 'content-type': 'application/json', 'request-id': 'terminate-1' },
      })
    }
    return signedQueryAnswer()
  }) as typeof globalThis.fetch
  const client = clientFor(merchant, 'https://api.mch.weixin.qq.com', { fetch })
  const { outcome } = await terminateAuthorization(
    { ref, reason: 'test' },
    { deadline: Date.now() + 10_000, wechatpay: client },
  )
  assert.deepEqual(sent, [
    'POST /v3/payscore/partner/permissions/authorization-code/ended_long_ago/terminate',
    'GET /v3/payscore/partner/permissions/authorization-code/ended_long_ago',
  ])
  assert.equal(outcome.wechatpay.status, 400, 'WeChat refused the terminate request')
  assert.notEqual(outcome.outcome, 'terminated', 'a refusal never makes `terminated`')
  assert.equal(outcome.outcome, 'already_terminated')
})
