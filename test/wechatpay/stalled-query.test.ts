import assert from 'node:assert/strict'
import { it } from 'node:test'
import { createTestMerchant } from '../helpers/merchant.ts'
import { clientFor } from '../helpers/wechatpay.ts'

/**
 * a 2xx body is read until the call's deadline, GET included (client.ts:212-220,
 * "WeChat may have acted on it"): a query answer whose body stalls holds its one attempt for the whole
 * remaining invocation (about 14 s over HTTP, 59 s on the queue) instead of the attempt timeout
 * (WECHATPAY_ATTEMPT_TIMEOUT_MS, "timeout of one HTTP attempt"), and is never retried, though a GET
 * changes nothing at WeChat and its retry would most likely have been answered.
 */
it('a query whose 200 body stalls is given up after the attempt timeout and tried again', async () => {
  const merchant = createTestMerchant()
  let gets = 0
  const fetch = (async () => {
    gets += 1
    // Headers arrive; the body never does.
    return new Response(new ReadableStream({ pull: () => new Promise(() => undefined) }), { status: 200 })
  }) as unknown as typeof globalThis.fetch
  const client = clientFor(merchant, 'https://api.mch.weixin.qq.com', { fetch, attemptTimeoutMs: 200 })
  const started = Date.now()
  await assert.rejects(
    client.call('GET', '/v3/payscore/partner/permissions/authorization-code/x', {
      deadline: started + 3_000,
      query: { service_id: '500001', sub_mchid: '1900000109' },
    }),
  )
  const took = Date.now() - started
  assert.ok(gets > 1, `one attempt only (${gets}), held for ${took} ms`)
  assert.ok(took < 2_000, `the attempt was held ${took} ms, past its 200 ms timeout, up to the deadline`)
})
