/**
 * POST /v1/wechatpay/notifications, fuzzed through the real handler of a container, against the
 * EventBridge stand-in that records every event it accepts. WeChat's side (encryption, signature)
 * is made here and by the simulator, independently of functions/.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { type NotifierKey, signNotification } from '../../infra/local/simulator/notify.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { notificationEvent, notifierKey } from '../helpers/notifications.ts'
import { STACK_BUS } from '../helpers/stack.ts'
import { notificationSecrets } from '../leaks/scanner.ts'
import { carriageArb, withBody } from './bodies.ts'
import { type FuzzStack, startFuzzStack } from './containers.ts'
import { fuzzRuns } from './inputs.ts'
import {
  detailTypeOf,
  expectedDetail,
  genuineSpecArb,
  type Made,
  makeNotification,
  type NotificationSpec,
  PROTOTYPE_NAMES,
} from './notifications.ts'
import { expectedAnswers, prepare, sourceArb } from './notify-cases.ts'
import {
  bodyEditArb,
  editBody,
  editHeader,
  headerEditArb,
  OTHER_HEADERS,
  resourceTamperArb,
  SIGNATURE_HEADERS,
  tamperResource,
} from './notify-edits.ts'

type NotifyHandler = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>
let fuzz: FuzzStack
let notify: NotifyHandler
let side: { apiv3Key: string; key: NotifierKey }

before(async () => {
  fuzz = await startFuzzStack()
  notify = fuzz.containers.partner.notify as unknown as NotifyHandler
  side = { apiv3Key: fuzz.stack.merchant.apiv3Key, key: notifierKey(fuzz.stack.merchant) }
})
after(() => fuzz.close())

/** Nonces of deliveries passed on (204): the same request again is then a replay. */
const spent = new Set<string>()
const secrets = spreadSample(400)

/** Encrypts and signs `spec` now; its ids, ciphertext and plaintext become known values of the leak scan. */
function made(spec: NotificationSpec): Made {
  const notification = makeNotification(spec, side)
  fuzz.used.add(spec.resource)
  secrets.add(notificationSecrets(notification.ciphertext, notification.plaintext))
  return notification
}

/** Delivers `event`; checks the answer's shape (204 without a body, else WeChat's FAIL JSON). */
async function deliver(event: APIGatewayProxyEventV2) {
  const events = fuzz.stack.eventBridge.events
  const since = events.length
  const response = await notify(event, lambdaContext())
  const status = Number(response.statusCode)
  if (status === 204) assert.equal(response.body, undefined)
  else {
    assert.equal(response.headers?.['content-type'], 'application/json')
    const json = JSON.parse(String(response.body)) as Record<string, unknown>
    assert.deepEqual(Object.keys(json).sort(), ['code', 'message'])
    assert.equal(json.code, 'FAIL')
    assert.equal(typeof json.message, 'string')
  }
  return { status, published: events.slice(since) }
}

function assertPublished(
  published: Awaited<ReturnType<typeof deliver>>['published'],
  spec: NotificationSpec,
  iso: string | undefined,
) {
  assert.equal(published.length, 1, 'exactly one event')
  const [event] = published
  assert.deepEqual(
    [event?.source, event?.detailType, event?.eventBusName],
    ['payscore-terminate', detailTypeOf(spec.eventType), STACK_BUS],
  )
  assert.deepEqual(event?.detail, expectedDetail(spec, iso))
}

const counts = { runs: 0, byKind: {} as Record<string, number>, byStatus: {} as Record<number, number> }
const tally = (record: Record<string | number, number>, key: string | number) => {
  record[key] = (record[key] ?? 0) + 1
}

const headerEditsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant([]) },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(fc.constantFrom(...SIGNATURE_HEADERS, ...OTHER_HEADERS), headerEditArb), {
      minLength: 1,
      maxLength: 2,
    }),
  },
)
const caseArb = fc.record({
  source: sourceArb,
  bodyEdit: bodyEditArb,
  headerEdits: headerEditsArb,
  carriage: carriageArb,
  twice: fc.boolean(),
})

/**
 * Genuine notifications that must always run: event types named like Object.prototype's properties,
 * with an object resource and with another JSON value (both are other event types' resources).
 */
const PROTOTYPE_EXAMPLES = PROTOTYPE_NAMES.flatMap((eventType, index) =>
  [{ out_order_no: `proto-${index}` }, []].map((resource) => [
    {
      genuine: { spec: { id: `proto-${eventType}-${index}`, eventType, resource }, iso: undefined },
      base64: false,
      bridge: 'accepts' as const,
    },
  ]),
) as Array<[{ genuine: { spec: NotificationSpec; iso: undefined }; base64: boolean; bridge: 'accepts' }]>

describe('POST /v1/wechatpay/notifications, fuzzed', () => {
  it('answers 204/400/401/413 to any body and headers, never 500, and publishes only what WeChat sent untouched', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ source, bodyEdit, headerEdits, carriage, twice }) => {
        const prepared = prepare(source, made, side.key)
        let headers: Record<string, string | undefined> = prepared.headers
        for (const [name, edit] of headerEdits) headers = editHeader(headers, name, edit)
        const text = prepared.text === undefined ? undefined : editBody(prepared.text, bodyEdit)
        const event = { ...withBody(notificationEvent({ headers: {}, body: '' }), text, carriage), headers }
        for (const _ of twice ? [1, 2] : [1]) {
          const { statuses, verified } = expectedAnswers(event, prepared.signed, spent)
          const answer = await deliver(event)
          assert.ok(statuses.includes(answer.status), `answered ${answer.status}, expected ${statuses}`)
          // A nonce is spent only by a notification passed on (204): WeChat's resend of one we
          // refused with a 400 or a 500 is answered as the first was, never as a replay.
          if (verified && answer.status === 204) spent.add(prepared.signed!.headers['wechatpay-nonce']!)
          if (answer.status === 204 && prepared.genuine) {
            assertPublished(answer.published, prepared.genuine.spec, prepared.genuine.iso)
          } else if (answer.status === 204) {
            // A resource its event type cannot carry: published once all the same, as WeChat sent it.
            assert.equal(answer.published.length, 1, 'exactly one event')
            assert.equal(
              (answer.published[0]?.detail as { notification_id?: unknown } | undefined)?.notification_id,
              source.kind === 'broken resource' ? source.spec.id : undefined,
            )
          } else assert.equal(answer.published.length, 0, 'nothing is published')
          counts.runs += 1
          tally(counts.byKind, source.kind)
          tally(counts.byStatus, answer.status)
        }
      }),
      { seed: 0x40711, numRuns: fuzzRuns(300) },
    )
    fuzz.unhandled.assertNone()
    for (const status of [204, 400, 401, 413]) {
      assert.ok((counts.byStatus[status] ?? 0) > 0, `no ${status} in ${JSON.stringify(counts)}`)
    }
    const published = counts.byStatus[204] ?? 0
    assert.ok(published > (counts.byKind.genuine ?? 0) / 4, `too few published: ${JSON.stringify(counts)}`)
  })

  it('publishes a genuine notification as exactly one event, its Detail as the issue says; after a 500, once when WeChat sends it again', async () => {
    const bridgeArb = fc.oneof(
      { weight: 8, arbitrary: fc.constant('accepts') },
      { weight: 1, arbitrary: fc.constantFrom('refuses the entry', 'fails the call') },
    )
    const shapes = { base64: 0, retried: 0, byDetailType: {} as Record<string, number> }
    await fc.assert(
      fc.asyncProperty(
        fc.record({ genuine: genuineSpecArb, base64: fc.boolean(), bridge: bridgeArb }),
        async ({ genuine: { spec, iso }, base64, bridge }) => {
          let sent = made(spec)
          if (bridge !== 'accepts') {
            if (bridge === 'refuses the entry')
              fuzz.stack.eventBridge.failEntries({ errorCode: 'InternalFailure' })
            else fuzz.stack.eventBridge.fail({ error: 'InternalException' })
            try {
              const refused = await deliver(notificationEvent(sent, { base64 }))
              assert.equal(refused.status, 500)
              assert.equal(refused.published.length, 0)
            } finally {
              fuzz.stack.eventBridge.clearFaults()
            }
            // WeChat sends it again later: the same body, signed anew.
            sent = { ...sent, headers: signNotification(sent.body, side.key) }
            shapes.retried += 1
          }
          const answer = await deliver(notificationEvent(sent, { base64 }))
          assert.equal(answer.status, 204)
          assertPublished(answer.published, spec, iso)
          if (base64) shapes.base64 += 1
          tally(shapes.byDetailType, detailTypeOf(spec.eventType))
        },
      ),
      { seed: 0x40712, numRuns: fuzzRuns(150), examples: PROTOTYPE_EXAMPLES },
    )
    assert.equal(Object.keys(shapes.byDetailType).length, 3, JSON.stringify(shapes))
    assert.ok(shapes.retried > 0 && shapes.base64 > 0, JSON.stringify(shapes))
  })

  it('publishes nothing for any single-byte change of the body, any change of a signature header, or a resource tampered and signed again; the untouched one is then published', async () => {
    const mutationArb = fc.oneof(
      fc.record({ target: fc.constant('resource' as const), tamper: resourceTamperArb }),
      fc.record({
        target: fc.constant('body' as const),
        at: fc.nat(),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        target: fc.constant('header' as const),
        name: fc.constantFrom(...SIGNATURE_HEADERS),
        edit: headerEditArb,
      }),
    )
    await fc.assert(
      fc.asyncProperty(genuineSpecArb, mutationArb, async ({ spec, iso }, mutation) => {
        const sent = made(spec)
        const untouched = notificationEvent(sent)
        let event: APIGatewayProxyEventV2
        const expected = 401
        if (mutation.target === 'body') {
          const bytes = Buffer.from(sent.body)
          bytes[mutation.at % bytes.length]! ^= mutation.mask
          event = { ...untouched, body: bytes.toString('base64'), isBase64Encoded: true }
          // Bytes that are not UTF-8 are refused before the signature is read: unverified all the same.
        } else if (mutation.target === 'resource') {
          // WeChat's signature over the tampered body holds: only the AEAD tag can refuse it.
          const body = tamperResource(sent.body, mutation.tamper)
          event = notificationEvent({ body, headers: signNotification(body, side.key) })
        } else {
          event = { ...untouched, headers: editHeader(untouched.headers, mutation.name, mutation.edit) }
          fc.pre(SIGNATURE_HEADERS.some((name) => event.headers[name] !== untouched.headers[name]))
        }
        const answer = await deliver(event)
        assert.equal(answer.status, expected)
        assert.equal(answer.published.length, 0, 'nothing is published')
        const original = await deliver(untouched)
        assert.equal(original.status, 204)
        assertPublished(original.published, spec, iso)
      }),
      { seed: 0x40713, numRuns: fuzzRuns(200) },
    )
  })

  it('logs no ciphertext, plaintext, APIv3 key, secret, or unmasked code or openid while doing so', () => {
    const lines = fuzz.assertNoLeaks({ secrets: [side.apiv3Key, ...secrets.values()] })
    console.log(`notification fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})

/**
 * Known values from at most `max` notifications spread over the whole run: every one of 30,000
 * would make the scan look for 100,000 strings in each of 60,000 lines.
 */
function spreadSample(max: number) {
  let kept: string[][] = []
  let stride = 1
  let seen = 0
  return {
    add(values: string[]) {
      if (seen++ % stride !== 0) return
      kept.push(values)
      if (kept.length < max) return
      kept = kept.filter((_, index) => index % 2 === 0)
      stride *= 2
    },
    values: () => kept.flat(),
  }
}
