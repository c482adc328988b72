/**
 * Fault-matrix rows for the notification function's environment: EventBridge refusing, throttling
 * or hanging (WeChat must hear 500 within its 5 s, and sends the notification again), EVENT_BUS or
 * the secret's apiv3_key missing (500, logged by name), and WeChat's key or the merchant's APIv3 key
 * changed while a warm container holds the old secret (one refresh, then 204).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { signNotification } from '../../infra/local/simulator/notify.ts'
import { generateRsaKeyPair } from '../helpers/keys.ts'
import { notifierKey } from '../helpers/notifications.ts'
import { SECRET_ID } from '../helpers/stack.ts'
import type { Harness, Observation } from './harness.ts'
import { finished, notified } from './notifications.ts'
import type { FaultRow } from './rows.ts'

/** Runs `work` while EventBridge fails as `fail` makes it, then clears the faults and the delay. */
async function withBridge<T>(h: Harness, fail: () => void, work: () => Promise<T>): Promise<T> {
  fail()
  try {
    return await work()
  } finally {
    h.stack.eventBridge.clearFaults()
    h.stack.eventBridge.delayMs = 0
  }
}

/** 500 FAIL within WeChat's 5 s, EventBridge's answer logged as the entry's error. */
const notPassedOn = (errorCode: string) => (observation: Observation) => {
  assert.deepEqual(observation.body, {
    code: 'FAIL',
    message: 'the notification could not be passed on; send it again',
  })
  assert.equal(finished(observation).error_code, errorCode)
  assert.ok(observation.elapsedMs < 5_000, `answered after ${observation.elapsedMs} ms`)
}

/**
 * A container of its own (the default secret TTL: it holds what it read) whose secret is the
 * stack's with `changes`, under an id of its own; `put` makes a new version.
 */
function ownSecret(h: Harness, changes: Record<string, unknown> = {}) {
  const secretId = `${SECRET_ID}-notify-${randomUUID()}`
  const put = (more: Record<string, unknown>) =>
    h.stack.secretsManager.putSecret(
      secretId,
      JSON.stringify({ ...h.stack.merchant.secret, ...changes, ...more }),
    )
  put({})
  return {
    secretId,
    put,
    container: h.container({ MERCHANT_SECRET_ID: secretId, SECRET_TTL_SECONDS: '300' }),
  }
}

/** After a first notification cached the secret, `rotate` changes it; the next one is observed. */
async function afterRotation(
  h: Harness,
  rotate: (put: (more: Record<string, unknown>) => void) => Parameters<Harness['notification']>[0],
) {
  const { secretId, put, container } = ownSecret(h)
  assert.equal((await h.notify(h.notification(), { container })).status, 204)
  const request = rotate(put)
  const observation = await h.notify(h.notification(request), { container })
  assert.equal(h.secretReads(secretId), 2, 'read once cold, once more for the new version')
  return observation
}

const NEW_KEY_ID = 'PUB_KEY_ID_0119000001002026010100000000000002'

export const NOTIFY_ENVIRONMENT_ROWS: readonly FaultRow[] = [
  notified(
    {
      id: 'notify-eventbridge-refuses',
      source: 'EventBridge',
      fault: 'EventBridge refuses the entry (InternalFailure)',
      injected: "`failEntries({ errorCode: 'InternalFailure' })`",
      outcome: 'not_published',
      status: 500,
      notes: 'WeChat sends it again; the resend, signed anew, is published',
      check: notPassedOn('InternalFailure'),
    },
    async (h) => {
      const sent = h.notification()
      const refused = await withBridge(
        h,
        () => h.stack.eventBridge.failEntries({ errorCode: 'InternalFailure' }),
        () => h.notify(sent),
      )
      // WeChat sends it again later, the same body signed anew: published once.
      const again = await h.notify({
        ...sent,
        headers: signNotification(sent.body, notifierKey(h.stack.merchant)),
      })
      assert.deepEqual([again.status, again.events], [204, 1])
      return refused
    },
  ),
  notified(
    {
      id: 'notify-eventbridge-throttled',
      source: 'EventBridge',
      fault: 'PutEvents throttled, every call',
      injected: "`fail({ error: 'ThrottlingException' })`",
      outcome: 'not_published',
      status: 500,
      notes: 'the SDK tried twice',
      check: notPassedOn('ThrottlingException'),
    },
    (h) =>
      withBridge(
        h,
        () => h.stack.eventBridge.fail({ error: 'ThrottlingException' }),
        async () => {
          const calls = h.stack.eventBridge.calls.length
          const observation = await h.notify(h.notification())
          assert.equal(h.stack.eventBridge.calls.length - calls, 2, 'two attempts')
          return observation
        },
      ),
  ),
  notified(
    {
      id: 'notify-eventbridge-hangs',
      source: 'EventBridge',
      fault: 'EventBridge never answers; Lambda has 60 s left',
      injected: '`delayMs = Infinity`',
      outcome: 'not_published',
      status: 500,
      notes: 'answered within 5 s by its own timeouts, not Lambda’s',
      check: notPassedOn('TimeoutError'),
    },
    (h) =>
      withBridge(
        h,
        () => {
          h.stack.eventBridge.delayMs = Number.POSITIVE_INFINITY
        },
        () => h.notify(h.notification(), { remainingMs: 60_000 }),
      ),
  ),
  notified(
    {
      id: 'notify-no-event-bus',
      source: 'Lambda',
      fault: 'EVENT_BUS unset',
      injected: "a container with `EVENT_BUS: ''`",
      outcome: 'unexpected_error',
      status: 500,
      notes: 'the log names EVENT_BUS; nothing is put',
      check(observation) {
        const line = observation.logs.find((entry) => entry.message === 'unexpected error')
        assert.match(String(line?.error_message), /EVENT_BUS/)
        assert.ok(observation.logs.some((entry) => entry.UnhandledErrors === 1))
      },
    },
    (h) => h.notify(h.notification(), { container: h.container({ EVENT_BUS: '' }) }),
  ),
  notified(
    {
      id: 'notify-secret-without-apiv3-key',
      source: 'Secrets Manager',
      fault: 'the secret has no apiv3_key',
      injected: 'a secret without `apiv3_key`',
      outcome: 'secret_unusable',
      status: 500,
      notes: 'logged naming the field; the other functions do not need it',
      check(observation) {
        const line = observation.logs.find((entry) => entry.message === 'merchant secret unusable')
        assert.deepEqual([line?.error_code, line?.field], ['SECRET_INVALID', 'apiv3_key'])
      },
    },
    (h) => h.notify(h.notification(), { container: ownSecret(h, { apiv3_key: undefined }).container }),
  ),
  notified(
    {
      id: 'notify-rotation-wechat-key',
      source: 'Key rotation',
      fault:
        'WeChat signs with a new public key (new id), which the secret holds; the container holds the old',
      injected: '`putSecret()` with the new `wechatpay_public_key_id` and key',
      outcome: 'published',
      status: 204,
      events: 1,
      notes: 'unknown serial: the secret is read once more, then verified',
    },
    (h) =>
      afterRotation(h, (put) => {
        const next = generateRsaKeyPair()
        put({ wechatpay_public_key_id: NEW_KEY_ID, wechatpay_public_key: next.publicPem })
        return { key: { serial: NEW_KEY_ID, privateKey: next.privateKey } }
      }),
  ),
  notified(
    {
      id: 'notify-rotation-apiv3-key',
      source: 'Key rotation',
      fault: 'the merchant set a new APIv3 key, which the secret holds; the container holds the old',
      injected: '`putSecret()` with the new `apiv3_key`',
      outcome: 'published',
      status: 204,
      events: 1,
      notes: 'the tag fails with the old key: the secret is read once more, then decrypted',
    },
    (h) =>
      afterRotation(h, (put) => {
        const apiv3Key = randomUUID().replaceAll('-', '')
        put({ apiv3_key: apiv3Key })
        return { apiv3Key }
      }),
  ),
]
