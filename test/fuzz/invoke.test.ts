import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { type Stack, startStack } from '../helpers/stack.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import {
  anyJsonArb,
  asJson,
  badFields,
  expectedOutcomes,
  fieldsOf,
  fuzzRuns,
  inputArb,
  validInputArb,
} from './inputs.ts'
import { codesSentSince, trackUnhandledRejections } from './support.ts'

let stack: Stack
let handler: (event: unknown, context: unknown) => Promise<Outcome>
let logs: () => string[]
const unhandled = trackUnhandledRejections()
const usedCodes = new Set<string>()

before(async () => {
  stack = await startStack()
  const container = stack.container({ WECHATPAY_MAX_ATTEMPTS: '1' }, { quiet: true })
  handler = container.invoke as unknown as typeof handler
  logs = container.logs.text
})
after(async () => {
  unhandled.stop()
  await stack.close()
})

/** A direct invocation's payload is any JSON: the input, something near it, or anything at all. */
const eventArb: fc.Arbitrary<unknown> = fc
  .oneof(
    { weight: 4, arbitrary: validInputArb },
    { weight: 4, arbitrary: inputArb },
    { weight: 1, arbitrary: inputArb.map((detail) => ({ 'detail-type': 'X', source: 'y', detail })) },
    { weight: 1, arbitrary: inputArb.map((input) => [input]) },
    { weight: 2, arbitrary: anyJsonArb },
  )
  .map(asJson)

const counts = { runs: 0, invalid: 0, valid: 0, byOutcome: {} as Record<string, number> }

describe('direct invocation, fuzzed', () => {
  it('returns an outcome for valid input, throws only InvalidRequestError otherwise, sending nothing', async () => {
    await fc.assert(
      fc.asyncProperty(eventArb, async (event) => {
        const code = fieldsOf(event, 'authorization_code')
        if (typeof code === 'string') usedCodes.add(code)
        const bad = badFields(event)
        const sentBefore = stack.simulator.requests.length
        let result: { outcome: Outcome } | { error: Error & { issues?: Array<{ path: string }> } }
        try {
          result = { outcome: await handler(event, lambdaContext()) }
        } catch (error) {
          result = { error: error as Error }
        }
        const sent = codesSentSince(stack.simulator, sentBefore)
        counts.runs += 1

        if (bad.length > 0) {
          counts.invalid += 1
          assert.ok('error' in result, 'invalid input must throw')
          assert.equal(result.error.name, 'InvalidRequestError', String(result.error))
          assert.deepEqual(
            result.error.issues?.map((issue) => issue.path),
            bad,
          )
          assert.deepEqual(sent, [], 'an invalid request reached WeChat Pay')
          return
        }
        counts.valid += 1
        assert.ok('outcome' in result, `valid input threw ${'error' in result ? String(result.error) : ''}`)
        const { outcome } = result
        counts.byOutcome[outcome.outcome] = (counts.byOutcome[outcome.outcome] ?? 0) + 1
        assert.ok(expectedOutcomes(String(code)).includes(outcome.outcome), outcome.outcome)
        assert.deepEqual(
          [outcome.authorization_code, outcome.service_id, outcome.sub_mchid],
          [code, fieldsOf(event, 'service_id'), fieldsOf(event, 'sub_mchid')],
        )
        assert.ok(sent.length >= 1 && sent.every((sentCode) => sentCode === code))
      }),
      { seed: 0x5e13, numRuns: fuzzRuns(300) },
    )
    unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 5, `too few valid events: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 5, `too few invalid events: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code while doing so', () => {
    const lines = assertNoLeaks(logs(), { codes: usedCodes })
    console.log(`invoke fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
