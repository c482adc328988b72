/**
 * The whole notification path (verify, read, decrypt, normalize, key rotation) through the real
 * credential store and Secrets Manager client against the stand-in, fed by the simulator's
 * notifier, which is WeChat's independent side.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { CredentialsError } from '../../functions/merchant/errors.ts'
import { NotificationError } from '../../functions/notifications/errors.ts'
import {
  authorizationResource,
  buildNotification,
  type NotificationFault,
  type NotificationOptions,
  signNotification,
} from '../../infra/local/simulator/notify.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { notificationStandIns } from '../helpers/notifications.ts'

const vector = JSON.parse(
  readFileSync(new URL('../fixtures/aes-256-gcm-notification.json', import.meta.url), 'utf8'),
) as { apiv3_key: string; ciphertext: string; nonce: string; associated_data: string; plaintext: string }
const merchant = createTestMerchant()
const wechat = { serial: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey }
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'
const CODE = 'demo_notify_0001'

let standIns: Awaited<ReturnType<typeof notificationStandIns>>
before(async () => {
  standIns = await notificationStandIns()
})
after(() => standIns.close())

/** A warm container of the notification function, whose secret holds the vector's APIv3 key by default. */
const container = async (secret: object = { ...merchant.secret, apiv3_key: vector.apiv3_key }) =>
  standIns.container(secret)

const close = (options: Partial<NotificationOptions> = {}) =>
  buildNotification({
    eventType: 'PAYSCORE.USER_CLOSE_SERVICE',
    resource: authorizationResource('close', { authorization_code: CODE, openid: OPENID }),
    apiv3Key: vector.apiv3_key,
    key: wechat,
    ...options,
  })

async function refused(work: Promise<unknown>, code: string, reason?: string) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof NotificationError, String(error))
    assert.equal(error.code, code)
    if (reason) assert.equal(error.reason, reason)
    for (const value of [OPENID, CODE, vector.apiv3_key]) assert.ok(!error.message.includes(value))
    return true
  })
}

describe('receiveNotification', () => {
  it('turns the independent AES-256-GCM vector, signed by WeChat, into a Closed event', async () => {
    const { receive } = await container()
    const body = JSON.stringify({
      id: 'EV-1',
      create_time: '2026-11-30T11:22:34+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
      summary: '用户解除授权',
      resource: { original_type: 'payscore', algorithm: 'AEAD_AES_256_GCM', ...vector },
    })
    const event = await receive({ id: 'EV-1', body, headers: signNotification(body, wechat) })
    assert.equal(event.detailType, 'PayScore Authorization Closed')
    const plain = JSON.parse(vector.plaintext) as Record<string, string>
    assert.deepEqual(event.detail, {
      notification_id: 'EV-1',
      event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
      create_time: '2026-11-30T11:22:34+08:00',
      summary: '用户解除授权',
      mchid: plain.mchid,
      sub_mchid: plain.sub_mchid,
      appid: plain.appid,
      sub_appid: plain.sub_appid,
      service_id: plain.service_id,
      openid: plain.openid,
      sub_openid: null,
      authorization_code: 'demo_0001',
      user_service_status: 'USER_CLOSE_SERVICE',
      out_request_no: null,
      openorclose_time: '2026-11-30T11:22:33+08:00',
    })
  })

  it('accepts open and close notifications as the notifier sends them', async () => {
    const { receive } = await container()
    const now = Date.UTC(2026, 10, 30, 3, 22, 33)
    const opened = buildNotification({
      eventType: 'PAYSCORE.USER_OPEN_SERVICE',
      resource: authorizationResource('open', { authorization_code: CODE, sub_openid: OPENID }, now),
      apiv3Key: vector.apiv3_key,
      key: wechat,
    })
    const event = await receive(opened)
    assert.equal(event.detailType, 'PayScore Authorization Opened')
    assert.equal(event.detail.notification_id, opened.id)
    assert.ok('sub_openid' in event.detail)
    assert.deepEqual([event.detail.sub_openid, event.detail.openid], [OPENID, null])
    assert.equal(event.detail.openorclose_time, '2026-11-30T11:22:33+08:00')
    assert.equal((await receive(close())).detailType, 'PayScore Authorization Closed')
  })

  for (const fault of [
    'tampered_ciphertext',
    'tampered_tag',
    'wrong_nonce',
    'wrong_associated_data',
  ] as const) {
    it(`refuses a correctly signed notification with ${fault}: UNDECRYPTABLE, after one refresh finds no new key`, async () => {
      const { receive, reads } = await container()
      await refused(receive(close({ fault })), 'UNDECRYPTABLE', 'DECRYPTION_FAILED')
      assert.equal(reads(), 2)
    })
  }

  const headerFaults: Array<[NotificationFault, string, number]> = [
    ['bad_signature', 'BAD_SIGNATURE', 2],
    ['unknown_serial', 'UNKNOWN_SERIAL', 2],
    ['signtest', 'SIGNTEST_PROBE', 1],
    ['skewed_timestamp', 'TIMESTAMP_SKEW', 1],
    ['unsigned', 'MISSING_HEADERS', 1],
  ]
  for (const [fault, reason, reads] of headerFaults) {
    it(`refuses ${fault}: UNVERIFIED ${reason}, with ${reads - 1} refresh of the secret`, async () => {
      const secret = await container()
      await refused(secret.receive(close({ fault })), 'UNVERIFIED', reason)
      assert.equal(secret.reads(), reads)
    })
  }

  it('verifies before reading: an unsigned malformed body is UNVERIFIED, a signed one MALFORMED_ENVELOPE', async () => {
    const { receive } = await container()
    const body = '{"id":"EV-2","resource":"none"}'
    await refused(receive({ id: 'EV-2', body, headers: {} }), 'UNVERIFIED', 'MISSING_HEADERS')
    await refused(
      receive({ id: 'EV-2', body, headers: signNotification(body, wechat) }),
      'MALFORMED_ENVELOPE',
    )
    const sm4 = close().body.replace('AEAD_AES_256_GCM', 'AEAD_SM4_GCM')
    await refused(
      receive({ id: 'x', body: sm4, headers: signNotification(sm4, wechat) }),
      'UNSUPPORTED_ALGORITHM',
    )
  })

  it('refuses to work with a secret that has no apiv3_key, naming the field', async () => {
    const { apiv3_key: _, ...withoutKey } = merchant.secret
    const { receive } = await container(withoutKey)
    await assert.rejects(receive(close()), (error: unknown) => {
      assert.ok(error instanceof CredentialsError)
      assert.deepEqual([error.code, error.field], ['SECRET_INVALID', 'apiv3_key'])
      return true
    })
  })
})
