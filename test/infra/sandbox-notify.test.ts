/**
 * The sandbox's notification control route (infra/local/sandbox-notify.ts) on a real simulator and a
 * real local endpoint: what reaches the endpoint is WeChat's notification for the authorization as
 * the simulator knows it (checked with node:crypto alone: the signature with WeChat's public key,
 * the resource decrypted with the APIv3 key), the state changes first, and bad input sends nothing.
 * Control routes are the simulator's own: unsigned, not recorded, absent unless given.
 */
import assert from 'node:assert/strict'
import { createDecipheriv, verify } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import {
  NOTIFY_CONTROL_ROUTE,
  type NotifyControlAnswer,
  notifyControl,
} from '../../infra/local/sandbox-notify.ts'
import type { WechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { PUBLIC_KEY_ID, setUp, wechatpay } from './simulator-client.ts'

const APIV3_KEY = 'k3Yq8ZtW2rVb6NcX9mLp4HsJ7dGf1QaE'
const MERCHANT = '1900000100'

/** A notification URL that records what arrives and answers `status` (and `body`). */
async function endpoint(t: TestContext, status = 204, body = '') {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = []
  const server = createServer(async (request, response) => {
    received.push({ headers: request.headers, body: Buffer.concat(await request.toArray()).toString('utf8') })
    response.writeHead(status, body ? { 'content-type': 'application/json' } : {}).end(body)
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

async function simulatorFor(t: TestContext, url: string, mode: 'partner' | 'direct') {
  const key = { serial: PUBLIC_KEY_ID, privateKey: wechatpay.privateKey }
  return setUp(t, {
    controlRoutes: {
      [NOTIFY_CONTROL_ROUTE]: notifyControl({ url, apiv3Key: APIV3_KEY, key, mode, mchid: MERCHANT }),
    },
  })
}

async function control(simulator: WechatPaySimulator, body: string) {
  const response = await fetch(`${simulator.url}/_sandbox/notify`, { method: 'POST', body })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** The notification as a merchant reads it: signature checked, resource decrypted (tag included). */
function opened(arrived: { headers: IncomingHttpHeaders; body: string }) {
  const header = (name: string) => String(arrived.headers[name])
  const message = `${header('wechatpay-timestamp')}\n${header('wechatpay-nonce')}\n${arrived.body}\n`
  const signature = Buffer.from(header('wechatpay-signature'), 'base64')
  assert.ok(verify('sha256', Buffer.from(message), wechatpay.publicKey, signature), "WeChat's signature")
  assert.equal(header('wechatpay-serial'), PUBLIC_KEY_ID)
  const envelope = JSON.parse(arrived.body)
  const sealed = Buffer.from(envelope.resource.ciphertext, 'base64')
  const decipher = createDecipheriv(
    'aes-256-gcm',
    Buffer.from(APIV3_KEY),
    Buffer.from(envelope.resource.nonce),
  )
  decipher.setAAD(Buffer.from(envelope.resource.associated_data))
  decipher.setAuthTag(sealed.subarray(-16))
  const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()])
  return { envelope, resource: JSON.parse(plaintext.toString('utf8')) as Record<string, unknown> }
}

describe('the sandbox notification control route', () => {
  it('close: the authorization becomes UNAVAILABLE, then WeChat sends its signed, encrypted notification', async (t) => {
    const target = await endpoint(t)
    const simulator = await simulatorFor(t, target.url, 'partner')
    const answer = await control(simulator, JSON.stringify({ kind: 'close', code: 'AUTH_N1' }))
    assert.equal(answer.status, 200)
    assert.equal(answer.headers.get('wechatpay-signature'), null, 'a control answer is not signed')
    const sent = JSON.parse(answer.text) as NotifyControlAnswer
    assert.deepEqual(
      [sent.event_type, sent.authorization_state, sent.status, sent.accepted],
      ['PAYSCORE.USER_CLOSE_SERVICE', 'UNAVAILABLE', 204, true],
    )
    assert.equal(simulator.state('AUTH_N1'), 'UNAVAILABLE')
    assert.equal(target.received.length, 1)
    const { envelope, resource } = opened(target.received[0]!)
    assert.equal(envelope.id, sent.notification_id)
    assert.equal(envelope.event_type, 'PAYSCORE.USER_CLOSE_SERVICE')
    const known = simulator.authorization('AUTH_N1')!
    assert.deepEqual(
      { ...resource, openorclose_time: undefined },
      {
        appid: known.appid,
        mchid: MERCHANT,
        sub_mchid: '1900000109',
        service_id: '500001',
        authorization_code: 'AUTH_N1',
        openid: known.openid,
        user_service_status: 'USER_CLOSE_SERVICE',
        openorclose_time: undefined,
      },
    )
    assert.match(String(resource.openorclose_time), /^\d{14}$/)
    assert.deepEqual(simulator.requests, [], "control requests are not WeChat's API traffic")
  })

  it('direct mode: no sub-merchant in the resource; open makes it AVAILABLE; a refusal is relayed', async (t) => {
    const fail = JSON.stringify({ code: 'FAIL', message: 'notification not verified' })
    const target = await endpoint(t, 401, fail)
    const simulator = await simulatorFor(t, target.url, 'direct')
    simulator.setState('AUTH_N2', 'UNAVAILABLE')
    const sent = JSON.parse((await control(simulator, '{"kind":"open","code":"AUTH_N2"}')).text)
    assert.deepEqual(
      [sent.authorization_state, sent.status, sent.body, sent.accepted],
      ['AVAILABLE', 401, fail, false],
    )
    const { resource } = opened(target.received[0]!)
    assert.equal(resource.user_service_status, 'USER_OPEN_SERVICE')
    assert.ok(!('sub_mchid' in resource) && !('sub_appid' in resource), JSON.stringify(resource))
  })

  it('refuses bad input with 400 PARAM_ERROR, naming the field, and sends nothing', async (t) => {
    const target = await endpoint(t)
    const simulator = await simulatorFor(t, target.url, 'partner')
    for (const [body, field] of [
      ['not json', 'JSON'],
      ['{"kind":"shut","code":"AUTH_N3"}', 'kind'],
      ['{"kind":"close"}', 'code'],
      ['{"kind":"close","code":"a/b"}', 'code'],
    ]) {
      const answer = await control(simulator, body!)
      assert.equal(answer.status, 400, body)
      assert.equal(JSON.parse(answer.text).code, 'PARAM_ERROR')
      assert.match(JSON.parse(answer.text).message, new RegExp(field!))
    }
    assert.equal(target.received.length, 0)
    assert.equal(simulator.state('AUTH_N3'), undefined, 'no state changed')
  })

  it("a simulator given no control route treats the path as WeChat's API: refused and recorded", async (t) => {
    const simulator = await setUp(t)
    const answer = await control(simulator, '{"kind":"close","code":"AUTH_N4"}')
    assert.notEqual(answer.status, 200)
    assert.equal(simulator.requests.length, 1)
    assert.equal(simulator.state('AUTH_N4'), undefined)
  })
})
