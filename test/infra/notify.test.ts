/**
 * The simulator's notifier over real HTTP: what it POSTs is what WeChat sends (headers, raw body),
 * our notification code accepts it as it arrives off the wire, and the sender reports what WeChat
 * would see: the status and body, or nothing within its 5 s.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it, type TestContext } from 'node:test'
import { NotificationError } from '../../functions/notifications/errors.ts'
import {
  authorizationResource,
  buildNotification,
  chinaTime,
  type NotificationFault,
  sendNotification,
} from '../../infra/local/simulator/notify.ts'
import { createTestMerchant, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { type NotificationContainer, notificationStandIns } from '../helpers/notifications.ts'

const APIV3 = 'Zr0SvNkhJ8U4Gz6cPqV2xWm5Tb7Lf9Yd'
const merchant = createTestMerchant()
const wechat = { serial: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey }

let standIns: Awaited<ReturnType<typeof notificationStandIns>>
before(async () => {
  standIns = await notificationStandIns()
})
after(() => standIns.close())

/**
 * An endpoint whose answer is our notification code's verdict (container.receive): 204, or 400 for
 * a malformed notification and 401 for any other refusal. The real route (functions/notify.ts, its
 * FAIL bodies) is tested in test/handlers/notify.test.ts; here the sender and the wire are.
 */
async function endpoint(t: TestContext, container: NotificationContainer, hang = false) {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = []
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const body = Buffer.concat(await request.toArray()).toString('utf8')
    received.push({ headers: request.headers, body })
    if (hang) return
    const headers = new Headers(request.headers as Record<string, string>)
    try {
      await container.receive({ id: '', headers: Object.fromEntries(headers), body })
      response.writeHead(204).end()
    } catch (error) {
      const status = error instanceof NotificationError && error.errorClass === 'malformed' ? 400 : 401
      response.writeHead(status, { 'Content-Type': 'application/json' })
      response.end(
        JSON.stringify({ code: 'FAIL', message: error instanceof Error ? error.message : 'error' }),
      )
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/wechatpay/notifications`,
    received,
  }
}

const close = (fault?: NotificationFault) =>
  buildNotification({
    eventType: 'PAYSCORE.USER_CLOSE_SERVICE',
    resource: authorizationResource('close', { authorization_code: 'demo_0001', openid: 'o1' }),
    apiv3Key: APIV3,
    key: wechat,
    ...(fault ? { fault } : {}),
  })

describe('sendNotification', () => {
  it("POSTs WeChat's headers and the raw body; a verified notification is answered 204", async (t) => {
    const { url, received } = await endpoint(t, standIns.container({ ...merchant.secret, apiv3_key: APIV3 }))
    const sent = close()
    const answer = await sendNotification(url, sent)
    assert.deepEqual([answer.status, answer.body, answer.accepted], [204, '', true])
    const [{ headers, body }] = received as [(typeof received)[0]]
    assert.equal(body, sent.body)
    assert.equal(headers['wechatpay-signature-type'], 'WECHATPAY2-SHA256-RSA2048')
    assert.equal(headers['wechatpay-serial'], PUBLIC_KEY_ID)
    assert.match(String(headers['wechatpay-nonce']), /^[0-9A-Za-z]{32}$/)
    assert.match(String(headers['request-id']), /^08[0-9A-F]{38}-0$/)
    assert.equal(headers['content-type'], 'application/json')
    const envelope = JSON.parse(body)
    assert.equal(envelope.id, sent.id)
    assert.match(envelope.resource.nonce, /^[0-9A-Za-z]{12}$/)
    assert.equal(envelope.resource.associated_data, 'payscore')
  })

  for (const [fault, status] of [
    ['tampered_ciphertext', 401],
    ['wrong_associated_data', 401],
    ['signtest', 401],
    ['skewed_timestamp', 401],
  ] as const) {
    it(`${fault}: refused by our code off the wire (${status}); the sender reports it not accepted`, async (t) => {
      const { url } = await endpoint(t, standIns.container({ ...merchant.secret, apiv3_key: APIV3 }))
      const answer = await sendNotification(url, close(fault))
      assert.equal(answer.status, status)
      assert.equal(answer.accepted, false)
    })
  }

  it('an endpoint that does not answer in time: no status, not accepted', async (t) => {
    const { url } = await endpoint(t, standIns.container(merchant.secret), true)
    const answer = await sendNotification(url, close(), { timeoutMs: 200 })
    assert.deepEqual([answer.status, answer.accepted], [null, false])
    assert.ok(answer.elapsedMs >= 190 && answer.elapsedMs < 1_000)
  })
})

describe('chinaTime', () => {
  it('writes UTC+8 both ways WeChat does', () => {
    const at = Date.UTC(2026, 10, 30, 3, 22, 33)
    assert.equal(chinaTime(at), '2026-11-30T11:22:33+08:00')
    assert.equal(chinaTime(at, true), '20261130112233')
    assert.equal(chinaTime(Date.UTC(2026, 11, 31, 16, 0, 0), true), '20270101000000')
  })
})
