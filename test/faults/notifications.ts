/**
 * Fault-matrix rows for POST /v1/wechatpay/notifications: what the notification function answers
 * WeChat, what it puts on the bus and what it logs, for genuine notifications, every way the
 * simulator spoils one, a replay, and bodies it cannot read. The rows of its environment (EventBridge,
 * EVENT_BUS, the secret, key rotation) are in notify-environment.ts.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { type NotificationFault, signNotification } from '../../infra/local/simulator/notify.ts'
import { notifierKey } from '../helpers/notifications.ts'
import type { Harness, Observation } from './harness.ts'
import type { FaultRow, Source } from './rows.ts'

type Spec = Pick<FaultRow, 'id' | 'fault' | 'injected' | 'outcome' | 'status' | 'notes' | 'events'> & {
  source?: Source
  check?: FaultRow['check']
}

/** A notification row: nothing is ever sent to WeChat Pay; `events` defaults to none. */
export function notified(spec: Spec, run: (h: Harness) => Promise<Observation>): FaultRow {
  return {
    source: 'WeChat Pay notification',
    call: 'notification',
    sent: { terminate: 0, query: 0 },
    events: 0,
    ...spec,
    run,
  }
}

/** The notification function's `notification finished` line, or throws. */
export function finished(observation: Observation) {
  const line = observation.logs.find((entry) => entry.message === 'notification finished')
  assert.ok(line, 'a notification finished line')
  return line
}

/** 401, nothing published, counted for the verification alarm, the failed check named. */
const refused = (reason: string) => (observation: Observation) => {
  assert.deepEqual(observation.body, { code: 'FAIL', message: 'notification not verified' })
  assert.equal(finished(observation).reason, reason)
  assert.ok(observation.logs.some((line) => line.NotificationVerificationFailures === 1))
}

const TAMPERED: Array<[NotificationFault, string, string, string]> = [
  [
    'tampered_ciphertext',
    'one ciphertext byte flipped, then signed',
    'DECRYPTION_FAILED',
    'the AEAD tag refuses it',
  ],
  ['tampered_tag', 'one tag byte flipped, then signed', 'DECRYPTION_FAILED', ''],
  ['wrong_nonce', 'resource.nonce is not the one encrypted with, then signed', 'DECRYPTION_FAILED', ''],
  ['wrong_associated_data', 'resource.associated_data changed, then signed', 'DECRYPTION_FAILED', ''],
  [
    'bad_signature',
    'Wechatpay-Signature does not verify',
    'BAD_SIGNATURE',
    'the secret is read again once (a new WeChat key?); same version: refused',
  ],
  ['signtest', 'a WECHATPAY/SIGNTEST/ probe signature', 'SIGNTEST_PROBE', 'WeChat’s probe must fail'],
  ['skewed_timestamp', 'Wechatpay-Timestamp 301 s old', 'TIMESTAMP_SKEW', ''],
  ['unknown_serial', 'a Wechatpay-Serial no key of ours has', 'UNKNOWN_SERIAL', ''],
  ['unsigned', 'no Wechatpay-* headers', 'MISSING_HEADERS', ''],
]

export const NOTIFICATION_ROWS: readonly FaultRow[] = [
  notified(
    {
      id: 'notify-close',
      fault: 'none: the user ended the authorization in WeChat',
      injected: '`PAYSCORE.USER_CLOSE_SERVICE`',
      outcome: 'published',
      status: 204,
      events: 1,
      notes: '`PayScore Authorization Closed`, no body in the answer',
      check(observation) {
        assert.deepEqual(observation.body, {})
        assert.equal(finished(observation).detail_type, 'PayScore Authorization Closed')
      },
    },
    (h) => h.notify(h.notification({ kind: 'close' })),
  ),
  notified(
    {
      id: 'notify-open',
      fault: 'none: the user authorized',
      injected: '`PAYSCORE.USER_OPEN_SERVICE`, the body base64-encoded by API Gateway',
      outcome: 'published',
      status: 204,
      events: 1,
      notes: '`PayScore Authorization Opened`',
      check: (observation) =>
        assert.equal(finished(observation).detail_type, 'PayScore Authorization Opened'),
    },
    (h) => h.notify(h.notification({ kind: 'open' }), { base64: true }),
  ),
  notified(
    {
      id: 'notify-other-event-type',
      fault: 'none: another event type at the same URL',
      injected: '`PAYSCORE.USER_PAID`',
      outcome: 'published',
      status: 204,
      events: 1,
      notes: '`PayScore Notification` with the decrypted resource',
      check: (observation) => assert.equal(finished(observation).detail_type, 'PayScore Notification'),
    },
    (h) => h.notify(h.notification({ kind: 'other' })),
  ),
  ...TAMPERED.map(([fault, description, reason, notes]) =>
    notified(
      {
        id: `notify-${fault.replaceAll('_', '-')}`,
        fault: description,
        injected: `\`buildNotification({ fault: '${fault}' })\``,
        outcome: 'unauthenticated',
        status: 401,
        notes: notes || 'nothing published; counted (`NotificationVerificationFailures`)',
        check: refused(reason),
      },
      (h) => h.notify(h.notification({ fault })),
    ),
  ),
  notified(
    {
      id: 'notify-replay',
      fault: 'a genuine notification delivered twice (the same nonce)',
      injected: 'the same request again',
      outcome: 'unauthenticated',
      status: 401,
      events: 1,
      notes: 'the first is published, the replay refused: 1 event',
      check: refused('REPLAYED_NONCE'),
    },
    async (h) => {
      const sent = h.notification()
      assert.equal((await h.notify(sent)).status, 204)
      return h.notify(sent)
    },
  ),
  notified(
    {
      id: 'notify-not-an-envelope',
      fault: 'signed by WeChat, but not the envelope (no resource)',
      injected: '`signNotification()` over `{"id": …}`',
      outcome: 'malformed',
      status: 400,
      notes: 'the field is named in the log, never its value',
      check: (observation) => assert.equal(finished(observation).field, 'resource'),
    },
    (h) => {
      const body = JSON.stringify({ id: randomUUID(), event_type: 'PAYSCORE.USER_CLOSE_SERVICE' })
      return h.notify({ id: '', body, headers: signNotification(body, notifierKey(h.stack.merchant)) })
    },
  ),
  notified(
    {
      id: 'notify-other-algorithm',
      fault: 'signed by WeChat, resource.algorithm `AEAD_SM4_GCM`',
      injected: 'the envelope changed, then `signNotification()`',
      outcome: 'malformed',
      status: 400,
      notes: 'logged as `UNSUPPORTED_ALGORITHM`',
      check: (observation) => assert.equal(finished(observation).error_code, 'UNSUPPORTED_ALGORITHM'),
    },
    (h) => {
      const envelope = JSON.parse(h.notification().body) as { resource: { algorithm: string } }
      envelope.resource.algorithm = 'AEAD_SM4_GCM'
      const body = JSON.stringify(envelope)
      return h.notify({ id: '', body, headers: signNotification(body, notifierKey(h.stack.merchant)) })
    },
  ),
  notified(
    {
      id: 'notify-too-large',
      fault: 'a body of 64 KiB + 1 byte',
      injected: 'a genuine notification padded with spaces',
      outcome: 'too_large',
      status: 413,
      notes: 'refused before it is verified or parsed',
    },
    (h) => {
      const sent = h.notification()
      return h.notify({ ...sent, body: sent.body.padEnd(64 * 1024 + 1, ' ') })
    },
  ),
]
