import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import fc from 'fast-check'
import { lambdaContext, sqsRecord } from '../helpers/lambda.ts'
import { type Stack, startStack } from '../helpers/stack.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import {
  anyJsonArb,
  badFields,
  expectedOutcomes,
  fieldsOf,
  fuzzRuns,
  inputArb,
  junkTextArb,
  magicOf,
  validInputArb,
} from './inputs.ts'
import { codesSentSince, trackUnhandledRejections } from './support.ts'

let stack: Stack
let handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>
let logs: () => string[]
const unhandled = trackUnhandledRejections()
const usedCodes = new Set<string>()

before(async () => {
  stack = await startStack()
  const container = stack.container({ WECHATPAY_MAX_ATTEMPTS: '1', QUEUE_CONCURRENCY: '5' }, { quiet: true })
  handler = container.queue as unknown as typeof handler
  logs = container.logs.text
})
after(async () => {
  unhandled.stop()
  await stack.close()
})

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

/** What an EventBridge rule targeting SQS delivers, and broken variants. */
const envelopeArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(validInputArb, inputArb).map((detail) => ({ ...ENVELOPE, detail })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.oneof(validInputArb, inputArb), fc.constantFrom(...Object.keys(BROKEN_ENVELOPES)))
      .map(([input, broken]) => BROKEN_ENVELOPES[broken]!(input)),
  },
)

/** A record body: input JSON, an envelope (good or broken), any JSON, junk, or huge. */
const bodyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(validInputArb, inputArb).map((input) => JSON.stringify(input)) },
  { weight: 6, arbitrary: envelopeArb.map((envelope) => JSON.stringify(envelope)) },
  { weight: 1, arbitrary: anyJsonArb.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: junkTextArb },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validInputArb, fc.constantFrom(100_000, 250_000))
      .map(([input, size]) => JSON.stringify({ ...input, padding: 'x'.repeat(size) })),
  },
)

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

const counts = { batches: 0, records: 0, invalid: 0, valid: 0, kept: 0 }

describe('SQS entry point, fuzzed', () => {
  it('reports exactly the records not done, invalid ones included, and sends nothing for those', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bodyArb, { minLength: 1, maxLength: 10 }), async (bodies) => {
        const event: SQSEvent = { Records: bodies.map((body, index) => sqsRecord(body, 1 + (index % 3))) }
        const inputs = bodies.map(inputOf)
        const valid = inputs.map((input) => badFields(input).length === 0)
        const validCodes = new Set(
          inputs
            .filter((_, index) => valid[index])
            .map((input) => String(fieldsOf(input, 'authorization_code'))),
        )
        for (const input of inputs) {
          const code = fieldsOf(input, 'authorization_code')
          if (typeof code === 'string') usedCodes.add(code)
        }

        const sentBefore = stack.simulator.requests.length
        const response = await handler(event, lambdaContext())
        const sent = codesSentSince(stack.simulator, sentBefore)

        const ids = event.Records.map((record) => record.messageId)
        const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier)
        assert.equal(new Set(failed).size, failed.length, 'a record reported twice')
        for (const id of failed) assert.ok(ids.includes(id), `unknown itemIdentifier ${id}`)
        for (const code of sent)
          assert.ok(validCodes.has(code), 'a request for an invalid record reached WeChat Pay')
        assert.deepEqual(new Set(sent), validCodes, 'every valid record reaches WeChat Pay')

        counts.batches += 1
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
          const code = String(fieldsOf(inputs[index], 'authorization_code'))
          const outcomes = expectedOutcomes(code)
          const done = outcomes.every((kind) => kind === 'terminated' || kind === 'already_terminated')
          const notDone = outcomes.every((kind) => kind !== 'terminated' && kind !== 'already_terminated')
          if (done)
            assert.ok(!kept, `record ${index} (${magicOf(code) ?? 'plain code'}) is done but was reported`)
          if (notDone) assert.ok(kept, `record ${index} (${magicOf(code)}) is not done but was not reported`)
          if (!magicOf(code)) assert.equal(stack.simulator.state(code), 'UNAVAILABLE')
        })
      }),
      { seed: 0x5e12, numRuns: fuzzRuns(300) },
    )
    unhandled.assertNone()
    assert.ok(counts.valid > counts.records / 5, `too few valid records: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.records / 5, `too few invalid records: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code while doing so', () => {
    const lines = assertNoLeaks(logs(), { codes: usedCodes })
    console.log(`queue fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
