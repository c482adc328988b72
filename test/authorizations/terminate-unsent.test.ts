import assert from 'node:assert/strict'
import { randomBytes, sign } from 'node:crypto'
import { it } from 'node:test'
import type { AuthorizationRef } from '../../functions/authorizations/reference.ts'
import { terminateAuthorization } from '../../functions/authorizations/terminate.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { clientFor } from '../helpers/wechatpay.ts'

/**
 * the judgement of a terminate is taken from the last attempt's failure alone, and
 * every NETWORK failure counts as "may have reached WeChat" (terminate.ts: unanswered with
 * attempts > 0 -> AFTER_NO_ANSWER). Here WeChat refused the only request it received (429: it did
 * not act) and the two retries never connected (a refused connection sends nothing). The query then
 * shows the authorization UNAVAILABLE because it had been ended before: the outcome is `terminated`,
 * though no request of this call could have ended it.
 */
const merchant = createTestMerchant()
const ref: AuthorizationRef = {
  mode: 'partner',
  service_id: '500001',
  sub_mchid: '1900000109',
  authorization_code: 'ended_before',
  openid: null,
  sub_openid: null,
  appid: null,
  sub_appid: null,
}

function signedQueryAnswer(): Response {
  const body = JSON.stringify({
    mchid: '1900000100',
    service_id: ref.service_id,
    sub_mchid: ref.sub_mchid,
    authorization_code: ref.authorization_code,
    appid: 'wxd678efh567hg6787',
    authorization_state: 'UNAVAILABLE',
  })
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString('hex')
  const message = Buffer.from(`${timestamp}\n${nonce}\n${body}\n`)
  return new Response(body, {
    status: 200,
    headers: {
      'request-id': 'query-1',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': sign('sha256', message, merchant.wechatpayKeys.privateKey).toString('base64'),
      'wechatpay-serial': PUBLIC_KEY_ID,
    },
  })
}

it('a 429 followed by retries that never connected is not `terminated`', async () => {
  let posts = 0
  let queries = 0
  const fetch = (async (input: Request) => {
    // Answered as a settling query would be, so that a regression to settling shows as `terminated`.
    if (input.method === 'GET') {
      queries += 1
      return signedQueryAnswer()
    }
    posts += 1
    if (posts === 1) {
      return new Response('{"code":"FREQUENCY_LIMITED","message":"rate limited"}', {
        status: 429,
        headers: { 'request-id': 'terminate-1' },
      })
    }
    // As the transport reports a refused connection (ECONNREFUSED): nothing was sent.
    throw new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
  }) as typeof globalThis.fetch
  const client = clientFor(merchant, 'https://api.mch.weixin.qq.com', { fetch })
  const { outcome } = await terminateAuthorization(
    { ref, reason: 'test' },
    { deadline: Date.now() + 10_000, wechatpay: client },
  )
  assert.equal(posts, 3, 'one refusal, then two attempts that never connected')
  assert.equal(outcome.outcome, 'retryable', 'no request of this call could have ended it: try again')
  assert.equal(queries, 0, 'nothing to settle: WeChat acted on no request of this call')
})
