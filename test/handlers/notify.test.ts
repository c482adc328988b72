/**
 * The notification function (POST /v1/wechatpay/notifications) through the real middy chain: a
 * notification made the way WeChat makes it (infra/local/simulator/notify.ts, independent of
 * functions/) becomes exactly one event; anything tampered becomes none; WeChat hears 204 only once
 * EventBridge accepted the event, and an answer within 5 s whatever happens.
 */
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { SOURCE } from '../../functions/events/entries.ts'
import {
  authorizationResource,
  buildNotification,
  type NotificationFault,
  type SignedNotification,
} from '../../infra/local/simulator/notify.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { type Container, freshCode, SECRET_ID, STACK_BUS, type Stack, startStack } from '../helpers/stack.ts'

let stack: Stack
let container: Container

before(async () => {
  stack = await startStack()
  container = stack.container()
})
after(() => stack.close())
beforeEach(() => {
  stack.eventBridge.clearFaults()
  stack.eventBridge.events.length = 0
  stack.eventBridge.calls.length = 0
  stack.eventBridge.delayMs = 0
})

function notification(
  kind: 'open' | 'close' = 'close',
  options: { fault?: NotificationFault; code?: string; eventType?: string; resource?: unknown } = {},
): SignedNotification & { code: string } {
  const code = options.code ?? freshCode('notify')
  return {
    code,
    ...buildNotification({
      eventType:
        options.eventType ?? (kind === 'open' ? 'PAYSCORE.USER_OPEN_SERVICE' : 'PAYSCORE.USER_CLOSE_SERVICE'),
      resource:
        options.resource ?? authorizationResource(kind, { authorization_code: code, openid: `o${code}` }),
      apiv3Key: stack.merchant.apiv3Key,
      key: { serial: PUBLIC_KEY_ID, privateKey: stack.merchant.wechatpayKeys.privateKey },
      ...(options.fault ? { fault: options.fault } : {}),
    }),
  }
}

/** What API Gateway hands the function: lower-cased headers, the raw body (base64 when asked). */
function apiGatewayEvent(
  signed: SignedNotification,
  options: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const event = httpEvent(undefined, signed.body, { raw: true, ...(options.base64 ? { base64: true } : {}) })
  return {
    ...event,
    routeKey: 'POST /v1/wechatpay/notifications',
    rawPath: '/v1/wechatpay/notifications',
    headers: Object.fromEntries(
      Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
  }
}

async function deliver(target: Container, event: APIGatewayProxyEventV2, remainingMs = 15_000) {
  const started = Date.now()
  const response = (await target.notify(
    event,
    lambdaContext(remainingMs),
  )) as APIGatewayProxyStructuredResultV2
  return {
    ...response,
    elapsedMs: Date.now() - started,
    json: response.body ? JSON.parse(response.body) : undefined,
  }
}

describe('notifications in: a genuine one becomes exactly one event', () => {
  it('USER_CLOSE_SERVICE -> 204, PayScore Authorization Closed with the normalized detail', async () => {
    const sent = notification('close')
    const answer = await deliver(container, apiGatewayEvent(sent))
    assert.equal(answer.statusCode, 204)
    assert.equal(answer.body, undefined)
    assert.equal(stack.eventBridge.events.length, 1)
    const [event] = stack.eventBridge.events
    assert.deepEqual(
      [event?.source, event?.detailType, event?.eventBusName],
      [SOURCE, 'PayScore Authorization Closed', STACK_BUS],
    )
    const detail = event?.detail as Record<string, unknown>
    assert.equal(detail.notification_id, sent.id)
    assert.equal(detail.event_type, 'PAYSCORE.USER_CLOSE_SERVICE')
    assert.equal(detail.authorization_code, sent.code)
    assert.equal(detail.user_service_status, 'USER_CLOSE_SERVICE')
    assert.match(String(detail.openorclose_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
    assert.deepEqual(Object.keys(detail).sort(), [
      'appid',
      'authorization_code',
      'create_time',
      'event_type',
      'mchid',
      'notification_id',
      'openid',
      'openorclose_time',
      'out_request_no',
      'service_id',
      'sub_appid',
      'sub_mchid',
      'sub_openid',
      'summary',
      'user_service_status',
    ])
  })

  it('USER_OPEN_SERVICE -> PayScore Authorization Opened; a base64 body is read as sent', async () => {
    const answer = await deliver(container, apiGatewayEvent(notification('open'), { base64: true }))
    assert.equal(answer.statusCode, 204)
    assert.deepEqual(
      stack.eventBridge.events.map((event) => event.detailType),
      ['PayScore Authorization Opened'],
    )
  })

  it('another event type -> PayScore Notification with the decrypted resource', async () => {
    const resource = { out_order_no: 'order-1', state: 'DONE' }
    const answer = await deliver(
      container,
      apiGatewayEvent(notification('close', { eventType: 'PAYSCORE.USER_PAID', resource })),
    )
    assert.equal(answer.statusCode, 204)
    const [event] = stack.eventBridge.events
    assert.equal(event?.detailType, 'PayScore Notification')
    assert.deepEqual((event?.detail as { resource?: unknown } | undefined)?.resource, resource)
  })

  it('logs hold neither the ciphertext, the plaintext nor the APIv3 key; ids masked', async () => {
    const sent = notification('close')
    const { lines } = await container.logs.during(() => deliver(container, apiGatewayEvent(sent)))
    const logged = JSON.stringify(lines)
    const ciphertext = (JSON.parse(sent.body) as { resource: { ciphertext: string } }).resource.ciphertext
    for (const secret of [ciphertext.slice(0, 24), stack.merchant.apiv3Key, sent.code, `o${sent.code}`]) {
      assert.ok(!logged.includes(secret), 'a secret or an unmasked id reached the log')
    }
    assert.ok(lines.some((line) => line.message === 'notification finished' && line.result === 'published'))
    assert.ok(
      lines.some((line) => typeof line.NotificationLatency === 'number'),
      'its latency is a metric',
    )
    assert.ok(
      !lines.some((line) => line.message === 'No application metrics to publish'),
      'no empty-metrics warning',
    )
  })
})

describe('notifications in: anything tampered becomes none', () => {
  const unauthenticated: NotificationFault[] = [
    'tampered_ciphertext',
    'tampered_tag',
    'wrong_nonce',
    'wrong_associated_data',
    'bad_signature',
    'signtest',
    'skewed_timestamp',
    'unknown_serial',
    'unsigned',
  ]
  for (const fault of unauthenticated) {
    it(`${fault}: 401 {"code":"FAIL"}, nothing published, counted for the alarm`, async () => {
      const { result: answer, lines } = await container.logs.during(() =>
        deliver(container, apiGatewayEvent(notification('close', { fault }))),
      )
      assert.equal(answer.statusCode, 401)
      assert.equal(answer.json.code, 'FAIL')
      assert.equal(stack.eventBridge.calls.length, 0)
      assert.ok(lines.some((line) => line.NotificationVerificationFailures === 1))
    })
  }

  it('a replayed notification (the same nonce again): 401, published once', async () => {
    const event = apiGatewayEvent(notification('close'))
    assert.equal((await deliver(container, event)).statusCode, 204)
    assert.equal((await deliver(container, event)).statusCode, 401)
    assert.equal(stack.eventBridge.events.length, 1)
  })

  it('a base64 body that is not UTF-8, unsigned: 401, counted for the alarm (never a 400 anyone can cause)', async () => {
    const sent = notification('close', { fault: 'unsigned' })
    const event = apiGatewayEvent(sent)
    event.body = Buffer.from([0xff, 0xfe, 0x7b]).toString('base64')
    event.isBase64Encoded = true
    const { result: answer, lines } = await container.logs.during(() => deliver(container, event))
    assert.equal(answer.statusCode, 401)
    assert.equal(answer.json.code, 'FAIL')
    assert.equal(stack.eventBridge.calls.length, 0)
    assert.ok(lines.some((line) => line.NotificationVerificationFailures === 1))
  })

  it('a header given twice (API Gateway joins them with a comma): 401', async () => {
    const event = apiGatewayEvent(notification('close'))
    event.headers['wechatpay-nonce'] =
      `${event.headers['wechatpay-nonce']},${event.headers['wechatpay-nonce']}`
    assert.equal((await deliver(container, event)).statusCode, 401)
  })

  it('a body that is not the envelope, or another algorithm, signed by WeChat: 400, nothing published', async () => {
    const key = { serial: PUBLIC_KEY_ID, privateKey: stack.merchant.wechatpayKeys.privateKey }
    const sent = notification('close')
    const envelope = JSON.parse(sent.body) as { resource: { algorithm: string } }
    envelope.resource.algorithm = 'AEAD_SM4_GCM'
    const { signNotification } = await import('../../infra/local/simulator/notify.ts')
    const body = JSON.stringify(envelope)
    const otherAlgorithm = { ...sent, body, headers: signNotification(body, key) }
    assert.equal((await deliver(container, apiGatewayEvent(otherAlgorithm))).statusCode, 400)
    const notJson = { ...sent, body: 'not json', headers: signNotification('not json', key) }
    assert.equal((await deliver(container, apiGatewayEvent(notJson))).statusCode, 400)
    assert.equal(stack.eventBridge.calls.length, 0)
  })

  it('a body over 64 KiB: 413 FAIL, read no further', async () => {
    const sent = notification('close')
    const big = { ...sent, body: sent.body + ' '.repeat(64 * 1024) }
    const answer = await deliver(container, apiGatewayEvent(big))
    assert.equal(answer.statusCode, 413)
    assert.equal(answer.json.code, 'FAIL')
  })
})

describe('notifications in: 500 so that WeChat sends it again', () => {
  it('EventBridge refuses the event: 500 FAIL', async () => {
    stack.eventBridge.failEntries({ errorCode: 'InternalFailure' })
    const answer = await deliver(container, apiGatewayEvent(notification('close')))
    assert.equal(answer.statusCode, 500)
    assert.equal(answer.json.code, 'FAIL')
  })

  it('after a 500, WeChat sending the very same request again is published, not refused as a replay', async () => {
    stack.eventBridge.failEntries({ errorCode: 'InternalFailure', times: 1 })
    const event = apiGatewayEvent(notification('close'))
    assert.equal((await deliver(container, event)).statusCode, 500)
    assert.equal((await deliver(container, event)).statusCode, 204, 'received only once passed on')
    assert.equal((await deliver(container, event)).statusCode, 401, 'a replay of what was passed on')
    assert.equal(stack.eventBridge.events.length, 1)
  })

  it("EventBridge hangs: 500 within WeChat's 5 s, whatever Lambda's remaining time", async () => {
    stack.eventBridge.delayMs = Number.POSITIVE_INFINITY
    const answer = await deliver(container, apiGatewayEvent(notification('close')), 60_000)
    assert.equal(answer.statusCode, 500)
    assert.ok(answer.elapsedMs < 5_000, `answered after ${answer.elapsedMs} ms`)
  })

  it('Secrets Manager hangs (a cold container): 500 within 5 s', async () => {
    const cold = stack.container()
    stack.secretsManager.delayMs = 10_000
    try {
      const answer = await deliver(cold, apiGatewayEvent(notification('close')), 60_000)
      assert.equal(answer.statusCode, 500)
      assert.ok(answer.elapsedMs < 5_000, `answered after ${answer.elapsedMs} ms`)
    } finally {
      stack.secretsManager.delayMs = 0
    }
  })

  it('no EVENT_BUS: 500, and the log names the variable', async () => {
    const unconfigured = stack.container({ EVENT_BUS: '' })
    const { result: answer, lines } = await unconfigured.logs.during(() =>
      deliver(unconfigured, apiGatewayEvent(notification('close'))),
    )
    assert.equal(answer.statusCode, 500)
    assert.ok(JSON.stringify(lines).includes('EVENT_BUS'))
    assert.equal(stack.eventBridge.calls.length, 0)
  })

  it('a secret without apiv3_key: 500, logged naming the field; the other functions are unaffected', async () => {
    const { apiv3_key: _, ...secret } = stack.merchant.secret
    const secretId = `${SECRET_ID}-no-apiv3`
    stack.secretsManager.putSecret(secretId, JSON.stringify(secret))
    const other = stack.container({ MERCHANT_SECRET_ID: secretId })
    const { result: answer, lines } = await other.logs.during(() =>
      deliver(other, apiGatewayEvent(notification('close'))),
    )
    assert.equal(answer.statusCode, 500)
    assert.ok(lines.some((line) => line.message === 'merchant secret unusable' && line.field === 'apiv3_key'))
    const terminated = await other.http(
      httpEvent(freshCode(), { service_id: '500001', sub_mchid: '1900000109', reason: 'r' }),
      lambdaContext(),
    )
    assert.equal(terminated.statusCode, 200)
  })
})
