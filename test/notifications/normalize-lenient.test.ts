import assert from 'node:assert/strict'
import { it } from 'node:test'
import { readEnvelope } from '../../functions/notifications/envelope.ts'
import { CLOSED, normalize } from '../../functions/notifications/normalize.ts'

/**
 * a notification that verified and decrypted (so WeChat sent it) but whose resource
 * has one informational field in another form than the one documented (here `openorclose_time` in
 * RFC 3339, the form of every other time WeChat's APIv3 writes, create_time included) is refused as
 * MALFORMED_RESOURCE: 400, nothing published, no dead-letter queue. WeChat resends it for about a day
 * and every resend is refused the same way: the user's close is lost. Issue 10 answers 400 for a
 * malformed envelope or another algorithm only; "our own fault" is 500; neither fits a genuine
 * notification we merely cannot normalize, which should still reach the bus.
 */
it('a genuine close notification with openorclose_time in RFC 3339 still becomes a Closed event', () => {
  const envelope = readEnvelope(
    JSON.stringify({
      id: 'EV-2018022511223320873',
      create_time: '2026-11-30T11:22:34+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
      summary: '用户解除授权',
      resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==', nonce: 'n' },
    }),
  )
  const plaintext = Buffer.from(
    JSON.stringify({
      appid: 'wxd678efh567hg6787',
      mchid: '1230000109',
      service_id: '500001',
      openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      user_service_status: 'USER_CLOSE_SERVICE',
      openorclose_time: '2026-11-30T11:22:33+08:00',
      authorization_code: 'demo_0001',
    }),
  )
  const notification = normalize(envelope, plaintext)
  assert.equal(notification.detailType, CLOSED)
  assert.equal((notification.detail as { authorization_code: string }).authorization_code, 'demo_0001')
})
