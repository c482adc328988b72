import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type OutcomeKind, outcome } from '../../functions/authorizations/outcome.ts'
import { parseTerminateInput } from '../../functions/authorizations/request.ts'
import { notificationEntry, outcomeEntry, SOURCE, TERMINATION } from '../../functions/events/entries.ts'
import { entrySummary } from '../../functions/events/summary.ts'
import type { Notification } from '../../functions/notifications/normalize.ts'
import { scanLine } from '../leaks/scanner.ts'

const BUS = 'arn:aws:events:us-east-1:000000000000:event-bus/payscore'
const CODE = 'demo_authorization_0001'
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'
const { ref } = parseTerminateInput(
  { authorization_code: CODE, service_id: '500001', sub_mchid: '1900000109', reason: 'r' },
  'partner',
)
const result = (kind: OutcomeKind) => outcome(kind, ref, { status: 204, requestId: 'R-1' }, 1)

const closed: Notification = {
  detailType: 'PayScore Authorization Closed',
  detail: {
    notification_id: 'EV-1',
    event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
    create_time: '2026-11-30T11:22:34+08:00',
    summary: '用户解除授权',
    mchid: '1230000109',
    sub_mchid: '1900000109',
    appid: 'wx1',
    sub_appid: null,
    service_id: '500001',
    openid: OPENID,
    sub_openid: null,
    authorization_code: CODE,
    user_service_status: 'USER_CLOSE_SERVICE',
    out_request_no: null,
    openorclose_time: '2026-11-30T11:22:33+08:00',
  },
}

describe('outcomeEntry', () => {
  for (const kind of ['terminated', 'already_terminated', 'rejected', 'failed'] as const) {
    it(`puts ${kind}: the outcome JSON as it is, plus entry_point`, () => {
      const entry = outcomeEntry(result(kind), { entryPoint: 'http' }, BUS)
      assert.ok(entry)
      assert.deepEqual([entry.Source, entry.DetailType, entry.EventBusName], [SOURCE, TERMINATION, BUS])
      assert.equal(entry.Source, 'payscore-terminate')
      assert.equal(entry.DetailType, 'PayScore Authorization Termination')
      assert.deepEqual(JSON.parse(entry.Detail), { ...result(kind), entry_point: 'http' })
    })
  }

  it('puts none for retryable', () => {
    assert.equal(outcomeEntry(result('retryable'), { entryPoint: 'queue', receiveCount: 2 }, BUS), undefined)
  })

  it('adds receive_count, a number, for the queue only', () => {
    const queued = JSON.parse(
      outcomeEntry(result('failed'), { entryPoint: 'queue', receiveCount: 3 }, BUS)!.Detail,
    )
    assert.equal(queued.entry_point, 'queue')
    assert.equal(queued.receive_count, 3)
    const invoked = JSON.parse(outcomeEntry(result('failed'), { entryPoint: 'invoke' }, BUS)!.Detail)
    assert.equal(invoked.entry_point, 'invoke')
    assert.ok(!('receive_count' in invoked))
  })

  it('takes any outcome object (the outcome JSON may gain keys), and needs a bus', () => {
    const wider = { ...result('terminated'), openid: null, sub_openid: OPENID, appid: 'wx1', sub_appid: null }
    const detail = JSON.parse(outcomeEntry(wider, { entryPoint: 'invoke' }, 'payscore')!.Detail)
    assert.equal(detail.sub_openid, OPENID)
    assert.equal(detail.openid, null)
    assert.throws(() => outcomeEntry(wider, { entryPoint: 'http' }, ''), TypeError)
  })
})

describe('notificationEntry', () => {
  it("puts the notification's DetailType and Detail as they are", () => {
    const entry = notificationEntry(closed, 'payscore')
    assert.deepEqual(
      { ...entry, Detail: JSON.parse(entry.Detail) },
      {
        Source: SOURCE,
        DetailType: 'PayScore Authorization Closed',
        Detail: closed.detail,
        EventBusName: 'payscore',
      },
    )
  })
})

describe('entrySummary', () => {
  it('names an event for a log line with codes and openids masked, never the Detail', () => {
    const summary = entrySummary(notificationEntry(closed, BUS), { accepted: true, eventId: 'E-1' })
    assert.deepEqual(summary, {
      detail_type: 'PayScore Authorization Closed',
      notification_id: 'EV-1',
      event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
      service_id: '500001',
      mchid: '1230000109',
      sub_mchid: '1900000109',
      appid: '***', // 'wx1' is not an appid's form: shown masked
      authorization_code: `demo${'*'.repeat(15)}0001`,
      openid: `oUpF${'*'.repeat(20)}eS6o`,
      event_id: 'E-1',
    })
    assert.deepEqual(scanLine(JSON.stringify(summary), { codes: [CODE, OPENID] }), [])
  })

  it('shows an outcome event by its outcome and entry point, and a failure by its code', () => {
    const entry = outcomeEntry(result('rejected'), { entryPoint: 'queue', receiveCount: 2 }, BUS)!
    const summary = entrySummary(entry, { accepted: false, errorCode: 'InternalFailure', errorMessage: 'x' })
    assert.equal(summary.outcome, 'rejected')
    assert.equal(summary.entry_point, 'queue')
    assert.equal(summary.receive_count, 2)
    assert.equal(summary.error_code, 'InternalFailure')
    assert.ok(!JSON.stringify(summary).includes(CODE))
  })

  it('never shows the decrypted resource of other event types', () => {
    const other: Notification = {
      detailType: 'PayScore Notification',
      detail: { ...closed.detail, resource: { openid: OPENID, secret_note: 'private' } } as never,
    }
    const line = JSON.stringify(entrySummary(notificationEntry(other, BUS)))
    assert.ok(!line.includes('private') && !line.includes(OPENID))
  })
})
