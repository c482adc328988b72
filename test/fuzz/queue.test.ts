import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import fc from 'fast-check'
import type { WechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { lambdaContext, sqsRecord } from '../helpers/lambda.ts'
import { type FuzzStack, MODES, startFuzzStack } from './containers.ts'
import { anyJsonArb, fuzzRuns, inputArb, junkTextArb, validInputArb } from './inputs.ts'
import { badFields, type Identification, identificationOf, type Mode, wechatFields } from './oracle.ts'
import { magicOf } from './outcomes.ts'
import { keyOf } from './support.ts'

type QueueHandler = (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>
let fuzz: FuzzStack
const handlers = {} as Record<Mode, QueueHandler>

before(async () => {
  fuzz = await startFuzzStack({ QUEUE_CONCURRENCY: '5' })
  for (const mode of ['partner', 'direct'] as const) {
    handlers[mode] = fuzz.containers[mode].queue as unknown as QueueHandler
  }
})
after(() => fuzz.close())

const ENVELOPE = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'UserCancelledPayScore',
  source: 'com.example.payscore',
  account: '000000000000',
  time: '2026-11-24T10:00:00Z',
  region: 'us-east-1',
  resources: [],
}

const { 'detail-type': DETAIL_TYPE, source: SOURCE, ...ENVELOPE_REST } = ENVELOPE

/** The ways producers get the envelope wrong; the detail (or the envelope) is the input. */
const BROKEN_ENVELOPES: Record<string, (input: Record<string, unknown>) => unknown> = {
  'no detail': () => ({ ...ENVELOPE }),
  'no source': (input) => ({ ...ENVELOPE_REST, 'detail-type': DETAIL_TYPE, detail: input }),
  'no detail-type': (input) => ({ ...ENVELOPE_REST, source: SOURCE, detail: input }),
  'detail as a JSON string': (input) => ({ ...ENVELOPE, detail: JSON.stringify(input) }),
  'detail null': () => ({ ...ENVELOPE, detail: null }),
  'detail an array': (input) => ({ ...ENVELOPE, detail: [input] }),
  'detail a number': () => ({ ...ENVELOPE, detail: 42 }),
  'envelope in an envelope': (input) => ({ ...ENVELOPE, detail: { ...ENVELOPE, detail: input } }),
  'envelope in an array': (input) => [{ ...ENVELOPE, detail: input }],
  'keys in another case': (input) => ({
    ...ENVELOPE_REST,
    'Detail-Type': DETAIL_TYPE,
    Source: SOURCE,
    Detail: input,
  }),
  'input beside the detail': (input) => ({ ...input, ...ENVELOPE, detail: {} }),
  'input beside an envelope with no detail': (input) => ({ ...ENVELOPE, ...input }),
}

/** A record body for a container in `mode`: input JSON, an envelope (good or broken), any JSON, junk, or huge. */
function bodyArb(mode: Mode): fc.Arbitrary<string> {
  const input = fc.oneof(validInputArb(mode), inputArb(mode))
  /** What an EventBridge rule targeting SQS delivers, and broken variants. */
  const envelope: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: input.map((detail) => ({ ...ENVELOPE, detail })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(input, fc.constantFrom(...Object.keys(BROKEN_ENVELOPES)))
        .map(([detail, broken]) => BROKEN_ENVELOPES[broken]!(detail)),
    },
  )
  return fc.oneof(
    { weight: 6, arbitrary: input.map((detail) => JSON.stringify(detail)) },
    { weight: 6, arbitrary: envelope.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: anyJsonArb.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: junkTextArb },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validInputArb(mode), fc.constantFrom(100_000, 250_000))
        .map(([detail, size]) => JSON.stringify({ ...detail, padding: 'x'.repeat(size) })),
    },
  )
}

/** A batch for one container: its mode and one to ten record bodies. */
const batchArb = fc
  .constantFrom(...MODES)
  .chain((mode) => fc.tuple(fc.constant(mode), fc.array(bodyArb(mode), { minLength: 1, maxLength: 10 })))

/** The state of the authorization a plain name names, when the simulator's lookup is unambiguous. */
function stateOf(simulator: WechatPaySimulator, by: Identification, name: string) {
  const view = simulator.authorization(name)
  const names = {
    authorization_code: view?.authorizationCode,
    openid: view?.openid,
    sub_openid: view?.subOpenid,
  }
  return names[by] === name ? view?.state : undefined
}

/** The input a body carries, as the README describes it: the JSON itself, or an envelope's detail. */
function inputOf(body: string): unknown {
  let message: unknown
  try {
    message = JSON.parse(body)
  } catch {
    return undefined
  }
  const isEnvelope =
    typeof message === 'object' &&
    message !== null &&
    !Array.isArray(message) &&
    ['detail-type', 'detail', 'source'].every((key) => Object.hasOwn(message, key))
  return isEnvelope ? (message as { detail: unknown }).detail : message
}

const counts = {
  batches: 0,
  records: 0,
  invalid: 0,
  valid: 0,
  kept: 0,
  byMode: { partner: 0, direct: 0 },
  byShape: {} as Record<string, number>,
}

describe('SQS entry point, fuzzed, partner and direct mode', () => {
  it('reports exactly the records not done, invalid ones included, and sends nothing for those', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async ([mode, bodies]) => {
        const event: SQSEvent = { Records: bodies.map((body, index) => sqsRecord(body, 1 + (index % 3))) }
        const inputs = bodies.map(inputOf)
        for (const input of inputs) fuzz.used.add(input)
        const valid = inputs.map((input) => badFields(input, mode).length === 0)
        const validInputs = inputs.filter((_, index) => valid[index]) as Array<Record<string, unknown>>
        const validKeys = new Set(validInputs.map((input) => keyOf(identificationOf(input))))
        // Decided before the batch runs: the ledger learns from it.
        const expected = inputs.map((input, index) =>
          valid[index] ? fuzz.ledger.outcomes(input as Record<string, unknown>, validInputs) : [],
        )

        const { result: response, sent } = await fuzz.observe(() => handlers[mode](event, lambdaContext()))

        const ids = event.Records.map((record) => record.messageId)
        const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier)
        assert.equal(new Set(failed).size, failed.length, 'a record reported twice')
        for (const id of failed) assert.ok(ids.includes(id), `unknown itemIdentifier ${id}`)
        for (const request of sent) {
          assert.ok(validKeys.has(keyOf(request)), 'a request for an invalid record reached WeChat Pay')
          const asked = validInputs.filter((input) => keyOf(identificationOf(input)) === keyOf(request))
          assert.ok(
            asked.some((input) =>
              isDeepStrictEqual(request.fields, wechatFields(input, mode, request.endpoint)),
            ),
            `${request.endpoint} in ${mode} mode with fields no record asked for: ${JSON.stringify(request.fields)}`,
          )
          assert.equal(request.mode, mode, `${mode} mode paths only`)
        }
        assert.deepEqual(new Set(sent.map(keyOf)), validKeys, 'every valid record reaches WeChat Pay')

        counts.batches += 1
        counts.byMode[mode] += 1
        event.Records.forEach((record, index) => {
          counts.records += 1
          const kept = failed.includes(record.messageId)
          if (kept) counts.kept += 1
          if (!valid[index]) {
            counts.invalid += 1
            assert.ok(kept, `invalid record ${index} was not reported`)
            return
          }
          counts.valid += 1
          const { by, name } = identificationOf(inputs[index] as Record<string, unknown>)
          counts.byShape[`${mode}/${by}`] = (counts.byShape[`${mode}/${by}`] ?? 0) + 1
          const outcomes = expected[index]!
          const done = outcomes.every((kind) => kind === 'terminated' || kind === 'already_terminated')
          const notDone = outcomes.every((kind) => kind !== 'terminated' && kind !== 'already_terminated')
          const what = `record ${index} (${mode} by ${by}, ${magicOf(name) ?? 'plain'})`
          if (done) assert.ok(!kept, `${what} is done but was reported`)
          if (notDone) assert.ok(kept, `${what} is not done but was not reported`)
          const state = done && !magicOf(name) ? stateOf(fuzz.stack.simulator, by, name) : undefined
          if (state !== undefined) assert.equal(state, 'UNAVAILABLE', what)
        })
      }),
      { seed: 0x5e12, numRuns: fuzzRuns(300) },
    )
    fuzz.unhandled.assertNone()
    assert.ok(counts.valid > counts.records / 5, `too few valid records: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.records / 5, `too few invalid records: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code or openid while doing so', () => {
    const lines = fuzz.assertNoLeaks()
    console.log(`queue fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
