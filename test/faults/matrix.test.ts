import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { NotificationFault } from '../../infra/local/simulator/notify.ts'
import type { Fault } from '../../infra/local/wechatpay-simulator.ts'
import { MAGIC_CODES, MAGIC_STATES } from '../../infra/local/wechatpay-simulator.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import { pemBodyLines, signaturesOf } from '../leaks/scanner.ts'
import type { NotificationOutcome } from './deliveries.ts'
import { type Harness, runRow, startHarness } from './harness.ts'
import { FAULT_MATRIX, type FaultRow, isolated, SHARED_ENV } from './matrix.ts'
import { assertDocStates, DOC_URL, docClaims } from './render.ts'
import { callLabel, expectedEvents } from './rows.ts'

let h: Harness
const childCodes: string[] = []
const childOpenids: string[] = []
const childSecrets: string[] = []
const childLines: string[] = []
/** What docs/FAULTS.md states each row does: checked against what it did. */
const documented = docClaims(readFileSync(DOC_URL, 'utf8'))

before(async () => {
  h = await startHarness(SHARED_ENV)
})
after(() => h.close())

/**
 * Runs a row in a container of its own: a fresh service (cold: nothing cached) configured with the
 * row's environment, over stand-ins of its own.
 */
async function inOwnContainer(row: FaultRow) {
  const own = await startHarness(row.container?.env)
  try {
    const { status, outcome, attempts, terminate, query, events } = await runRow(row, own)
    return { status, outcome, attempts, terminate, query, events }
  } finally {
    childCodes.push(...own.codes)
    childOpenids.push(...own.openids)
    childSecrets.push(
      ...signaturesOf(own.stack.simulator.requests.map((request) => request.headers.authorization)),
      ...pemBodyLines(own.stack.merchant.secret.merchant_private_key),
      ...own.secrets,
    )
    childLines.push(...own.logLines())
    await own.close()
  }
}

function rowTest(row: FaultRow) {
  const sent = `${JSON.stringify(row.sent.terminate)} terminate, ${JSON.stringify(row.sent.query)} query, ${expectedEvents(row)} events`
  it(`${row.id}: ${row.fault} -> ${row.status ?? 'queue'} ${row.outcome} (${sent})`, async () => {
    const observation = row.container ? await inOwnContainer(row) : await runRow(row, h)
    assertDocStates(documented, row.id, observation)
  })
}

// WeChat Pay faults are injected per code: those rows run together. The rest change what every call
// sees (the secret, the keys WeChat trusts) or measure time, and run one at a time.
// A few at a time: all ~140 at once left rows on a busy 2-core machine waiting past their 1 s attempt
// timeout for CPU alone, which measured the machine, not the service.
describe('fault matrix: WeChat Pay, one row per test', { concurrency: 6 }, () => {
  for (const row of FAULT_MATRIX.filter(isolated)) rowTest(row)
})
describe('fault matrix: Secrets Manager, Lambda, key rotation, one row per test', () => {
  for (const row of FAULT_MATRIX.filter((row) => !isolated(row))) rowTest(row)
})

describe('fault matrix: coverage', () => {
  it('has unique ids', () => {
    const ids = FAULT_MATRIX.map((row) => row.id)
    assert.equal(new Set(ids).size, ids.length)
  })

  it('injects every simulator fault programmatically', () => {
    // A Record over the Fault union: the typechecker fails when a fault is added and not listed here.
    const faults: Record<Fault, true> = {
      rate_limited: true,
      server_error: true,
      unavailable: true,
      slow: true,
      reset: true,
      reset_after_processing: true,
      unsigned: true,
      bad_signature: true,
      signtest: true,
      skewed_timestamp: true,
      unknown_serial: true,
      unfinished_orders: true,
      order_not_exist: true,
      no_auth: true,
      sign_error: true,
      altered_answer: true,
    }
    const injected = FAULT_MATRIX.filter((row) => row.source === 'WeChat Pay')
      .map((row) => row.injected)
      .join('\n')
    for (const fault of Object.keys(faults)) assert.ok(injected.includes(`fault: '${fault}'`), fault)
  })

  it('has a row for every sandbox magic code and state', () => {
    const rows = new Set(FAULT_MATRIX.map((row) => row.id))
    for (const prefix of [...Object.keys(MAGIC_CODES), ...Object.keys(MAGIC_STATES)]) {
      assert.ok(rows.has(`magic-${prefix}`), prefix)
    }
  })

  it('calls every shape both ways, in both modes, and shows every query result', () => {
    const calls = new Set(FAULT_MATRIX.map((row) => row.call ?? callLabel({})))
    for (const operation of ['terminate', 'query'] as const) {
      for (const shape of [
        { by: 'authorization_code' },
        { by: 'openid' },
        { by: 'sub_openid' },
        { by: 'openid', mode: 'direct' },
        { by: 'authorization_code', mode: 'direct' },
      ] as const) {
        assert.ok(calls.has(callLabel({ operation, ...shape })), callLabel({ operation, ...shape }))
      }
    }
    const queried = FAULT_MATRIX.filter((row) => row.call?.startsWith('query'))
    const results = new Set(queried.map((row) => `${row.outcome} ${row.status}`))
    assert.deepEqual([...results].sort(), ['failed 502', 'found 200', 'not_found 404', 'retryable 503'])
  })

  it('covers the Secrets Manager faults, key rotation and the deadline', () => {
    const ids = FAULT_MATRIX.map((row) => row.id).join(' ')
    for (const wanted of [
      'secrets-ResourceNotFoundException',
      'secrets-AccessDeniedException',
      'secrets-ThrottlingException',
      'secret-not-json',
      'secret-missing-private-key',
      'secret-ec-private-key',
      'rotation-mid-run',
      'lambda-deadline-spent',
    ]) {
      assert.ok(ids.includes(wanted), wanted)
    }
  })

  it('covers the notification route: every notification the simulator spoils, a replay, what it cannot read, EventBridge, its configuration and key rotation', () => {
    const notifications = FAULT_MATRIX.filter((row) => row.call === 'notification')
    // Records over the unions: the typechecker fails when a fault or a result is added and not listed.
    const faults: Record<NotificationFault, true> = {
      tampered_ciphertext: true,
      tampered_tag: true,
      wrong_nonce: true,
      wrong_associated_data: true,
      bad_signature: true,
      signtest: true,
      skewed_timestamp: true,
      unknown_serial: true,
      unsigned: true,
    }
    const injected = notifications.map((row) => row.injected).join('\n')
    for (const fault of Object.keys(faults)) assert.ok(injected.includes(`fault: '${fault}'`), fault)
    const results: Record<NotificationOutcome, true> = {
      published: true,
      not_published: true,
      unauthenticated: true,
      malformed: true,
      too_large: true,
      secret_unusable: true,
      unexpected_error: true,
    }
    assert.deepEqual(new Set(notifications.map((row) => row.outcome)), new Set(Object.keys(results)))
    assert.deepEqual(new Set(notifications.map((row) => row.status)), new Set([204, 400, 401, 413, 500]))
    const ids = new Set(FAULT_MATRIX.map((row) => row.id))
    for (const wanted of [
      'notify-replay',
      'notify-eventbridge-refuses',
      'notify-eventbridge-throttled',
      'notify-eventbridge-hangs',
      'notify-no-event-bus',
      'notify-secret-without-apiv3-key',
      'notify-rotation-wechat-key',
      'events-http-refused',
      'events-queue-outage',
    ]) {
      assert.ok(ids.has(wanted), wanted)
    }
  })
})

describe('fault matrix: logs', () => {
  it('leak no key, signature, secret, ciphertext, plaintext, APIv3 key, unmasked code or unmasked openid, under any fault', () => {
    const secrets = [
      ...signaturesOf(h.stack.simulator.requests.map((request) => request.headers.authorization)),
      ...pemBodyLines(h.stack.merchant.secret.merchant_private_key),
      ...childSecrets,
      ...h.secrets,
    ]
    assert.ok(secrets.length > 50)
    const lines = assertNoLeaks([...h.logLines(), ...childLines], {
      codes: [...h.codes, ...childCodes],
      openids: [...h.openids, ...childOpenids],
      secrets,
    })
    assert.ok(lines > FAULT_MATRIX.length)
  })
})
