/**
 * Key rotation for notifications, through the real credential store and Secrets Manager client
 * against the stand-in: each test is a warm container that has cached the first secret version
 * before WeChat's key or the APIv3 key changes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CredentialsError } from '../../functions/merchant/errors.ts'
import { NotificationError } from '../../functions/notifications/errors.ts'
import type { ReceiverOptions } from '../../functions/notifications/receive.ts'
import {
  authorizationResource,
  buildNotification,
  type NotifierKey,
} from '../../infra/local/simulator/notify.ts'
import { generateRsaKeyPair } from '../helpers/keys.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { notificationStandIns } from '../helpers/notifications.ts'

const OLD_APIV3 = 'Old0APIv3Key0Old0APIv3Key0Old0AB'
const NEW_APIV3 = 'New1APIv3Key1New1APIv3Key1New1CD'
const NEW_ID = 'PUB_KEY_ID_0119000001002026010100000000000002'
const merchant = createTestMerchant()
const OLD_KEY: NotifierKey = { serial: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey }
const next = generateRsaKeyPair()
const secret = { ...merchant.secret, apiv3_key: OLD_APIV3 }

let standIns: Awaited<ReturnType<typeof notificationStandIns>>
before(async () => {
  standIns = await notificationStandIns()
})
after(() => standIns.close())

const notification = (key: NotifierKey, apiv3Key = OLD_APIV3) =>
  buildNotification({
    eventType: 'PAYSCORE.USER_CLOSE_SERVICE',
    resource: authorizationResource('close', { authorization_code: 'demo_0001', openid: 'o1' }),
    apiv3Key,
    key,
  })

/** A container that has verified one notification with the first version: that version is cached. */
async function warm(options: ReceiverOptions = {}) {
  const container = standIns.container(secret, options)
  await container.receive(notification(OLD_KEY))
  assert.equal(container.reads(), 1)
  const rotate = (changes: object) =>
    standIns.sm.putSecret(container.secretId, JSON.stringify({ ...secret, ...changes }))
  return { ...container, rotate }
}

const closed = (event: { detailType: string }) =>
  assert.equal(event.detailType, 'PayScore Authorization Closed')

describe('notifications across key rotation', () => {
  it("WeChat's new public key under a new id: verified after one refresh", async () => {
    const container = await warm()
    container.rotate({ wechatpay_public_key_id: NEW_ID, wechatpay_public_key: next.publicPem })
    closed(await container.receive(notification({ serial: NEW_ID, privateKey: next.privateKey })))
    assert.equal(container.reads(), 2)
  })

  it('a new key under the same id (the signature fails): verified after one refresh', async () => {
    const container = await warm()
    container.rotate({ wechatpay_public_key: next.publicPem })
    closed(await container.receive(notification({ serial: PUBLIC_KEY_ID, privateKey: next.privateKey })))
    assert.equal(container.reads(), 2)
  })

  it('a new APIv3 key: decrypted after one refresh, without verifying the same nonce twice', async () => {
    const container = await warm()
    container.rotate({ apiv3_key: NEW_APIV3 })
    closed(await container.receive(notification(OLD_KEY, NEW_APIV3)))
    assert.equal(container.reads(), 2)
  })

  it("both WeChat's key and the APIv3 key changed: one refresh serves both", async () => {
    const container = await warm()
    container.rotate({ wechatpay_public_key: next.publicPem, apiv3_key: NEW_APIV3 })
    const both = notification({ serial: PUBLIC_KEY_ID, privateKey: next.privateKey }, NEW_APIV3)
    closed(await container.receive(both))
    assert.equal(container.reads(), 2)
  })

  it('one refresh per notification: refreshed for the signature, not again for the tag', async () => {
    const container = await warm()
    container.rotate({ wechatpay_public_key: next.publicPem })
    const unknownApiv3 = notification({ serial: PUBLIC_KEY_ID, privateKey: next.privateKey }, NEW_APIV3)
    await assert.rejects(container.receive(unknownApiv3), { code: 'UNDECRYPTABLE' })
    assert.equal(container.reads(), 2)
  })

  it('no new version: unverified after one refresh; forged serials do not each read the secret', async () => {
    let now = Date.now()
    const container = await warm({ clock: () => now, refreshPauseMs: 30_000 })
    const stranger = { serial: NEW_ID, privateKey: next.privateKey }
    for (let round = 0; round < 3; round += 1) {
      await assert.rejects(container.receive(notification(stranger)), {
        code: 'UNVERIFIED',
        reason: 'UNKNOWN_SERIAL',
      })
    }
    assert.equal(container.reads(), 2, 'one refresh, then a pause')
    // The merchant updates the secret during the pause: after it, the next notification finds it.
    container.rotate({ wechatpay_public_key_id: NEW_ID, wechatpay_public_key: next.publicPem })
    now += 30_000
    closed(await container.receive(notification(stranger)))
    assert.equal(container.reads(), 3)
  })

  it('a refresh that fails leaves the first failure as the answer', async () => {
    const container = await warm()
    standIns.sm.fail({ secretId: container.secretId, error: 'ThrottlingException', times: 1 })
    await assert.rejects(container.receive(notification(OLD_KEY, NEW_APIV3)), (error: unknown) => {
      assert.ok(error instanceof NotificationError)
      assert.deepEqual([error.code, error.reason], ['UNDECRYPTABLE', 'DECRYPTION_FAILED'])
      return true
    })
    assert.equal(container.reads(), 2)
  })

  it('a Secrets Manager that hangs costs no more than the deadline', async () => {
    const container = standIns.container(secret)
    standIns.sm.delayMs = 5_000
    try {
      const started = Date.now()
      await assert.rejects(container.receive(notification(OLD_KEY), Date.now() + 300), (error: unknown) => {
        assert.ok(error instanceof CredentialsError)
        assert.equal(error.code, 'SECRET_UNAVAILABLE')
        return true
      })
      assert.ok(Date.now() - started < 1_000, `answered after ${Date.now() - started} ms`)
    } finally {
      standIns.sm.delayMs = 0
    }
  })
})
