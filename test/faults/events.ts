/**
 * Fault-matrix rows for outcome events (issue 10): a termination that ended puts one event; over
 * HTTP a put EventBridge refuses leaves the answer as it was; from the queue a record is done only
 * once its event was accepted, so an EventBridge outage keeps it, and its retry puts the event.
 * (Every other row's Events column checks the same rule under WeChat Pay's faults.)
 */
import assert from 'node:assert/strict'
import { TERMINATION } from '../../functions/events/entries.ts'
import type { Harness, Observation } from './harness.ts'
import type { FaultRow } from './rows.ts'

/** The termination event naming `code`, its Detail. */
function detailFor(h: Harness, code: string) {
  const events = h.stack.eventBridge.events.filter(
    (event) =>
      event.detailType === TERMINATION &&
      (event.detail as Record<string, unknown>).authorization_code === code,
  )
  return events.map((event) => event.detail as Record<string, unknown>)
}

const failures = (observation: Observation) =>
  (observation.body as { batchItemFailures: Array<{ itemIdentifier: string }> }).batchItemFailures

export const EVENT_ROWS: readonly FaultRow[] = [
  {
    id: 'events-http-terminated',
    source: 'EventBridge',
    fault: 'none',
    injected: 'nothing',
    outcome: 'terminated',
    status: 200,
    sent: { terminate: 1, query: 0 },
    events: 1,
    notes: 'the Detail is the answer plus `"entry_point": "http"`',
    run: (h) => h.post(h.code()),
    check(observation, h) {
      const code = String(observation.body.authorization_code)
      assert.deepEqual(detailFor(h, code), [{ ...observation.body, entry_point: 'http' }])
    },
  },
  {
    id: 'events-http-refused',
    source: 'EventBridge',
    fault: 'PutEvents fails after a termination by HTTP',
    injected: "`fail({ error: 'InternalException' })`",
    outcome: 'terminated',
    status: 200,
    sent: { terminate: 1, query: 0 },
    events: 0,
    notes:
      'the answer is unchanged; `event not accepted by EventBridge` logged, `OutcomeEventsFailed` counted',
    async run(h) {
      h.stack.eventBridge.fail({ error: 'InternalException' })
      // Metrics carry no request id: counted before and after (this row runs alone).
      const counted = () => h.logLines().filter((line) => line.includes('"OutcomeEventsFailed":1')).length
      const before = counted()
      try {
        const observation = await h.post(h.code())
        assert.equal(counted() - before, 1, 'OutcomeEventsFailed counted once')
        return observation
      } finally {
        h.stack.eventBridge.clearFaults()
      }
    },
    check(observation) {
      assert.ok(observation.logs.some((line) => line.message === 'event not accepted by EventBridge'))
    },
  },
  {
    id: 'events-queue-terminated',
    source: 'EventBridge',
    call: 'queue record, by code',
    fault: 'none',
    injected: 'nothing',
    outcome: 'terminated',
    status: null,
    sent: { terminate: 1, query: 0 },
    events: 1,
    notes:
      'deleted (no batch item failure) once its event was accepted: `"entry_point": "queue"`, `"receive_count": 1`',
    async run(h) {
      const code = h.code()
      const observation = await h.queue(code)
      assert.deepEqual(failures(observation), [])
      assert.deepEqual(
        detailFor(h, code).map((detail) => [detail.outcome, detail.entry_point, detail.receive_count]),
        [['terminated', 'queue', 1]],
      )
      return observation
    },
  },
  {
    id: 'events-queue-outage',
    source: 'EventBridge',
    call: 'queue record, by code',
    fault: 'EventBridge throttling every call while a record is terminated',
    injected: "`fail({ error: 'ThrottlingException' })`",
    outcome: 'terminated',
    status: null,
    sent: { terminate: 1, query: 0 },
    events: 0,
    notes:
      'terminated at WeChat, but the record stays on the queue (a batch item failure); its retry, EventBridge back, ends `already_terminated`, puts the event and is deleted',
    async run(h) {
      const code = h.code()
      h.stack.eventBridge.fail({ error: 'ThrottlingException' })
      let observation: Observation
      try {
        observation = await h.queue(code)
      } finally {
        h.stack.eventBridge.clearFaults()
      }
      assert.equal(failures(observation).length, 1, 'the record is kept')
      assert.equal(h.stack.simulator.state(code), 'UNAVAILABLE')
      const retry = await h.queue(code, { receiveCount: 2 })
      assert.deepEqual([retry.outcome, failures(retry)], ['already_terminated', []])
      assert.deepEqual(
        detailFor(h, code).map((detail) => [detail.outcome, detail.receive_count]),
        [['already_terminated', 2]],
      )
      return observation
    },
  },
]
