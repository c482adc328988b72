import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { MAX_BODY_BYTES, STATUS_BY_OUTCOME } from '../../functions/runtime/http.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { type Stack, startStack, VALID } from '../helpers/stack.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import { bodyArb, carriageArb, expectBody, withBody } from './bodies.ts'
import { badFields, codeArb, expectedOutcomes, fuzzRuns, inputArb, validCodeArb } from './inputs.ts'
import { codesSentSince, trackUnhandledRejections } from './support.ts'

let stack: Stack
let handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>
let logs: () => string[]
const unhandled = trackUnhandledRejections()
const usedCodes = new Set<string>()

before(async () => {
  // One attempt per call: the magic faults answer at once instead of backing off.
  stack = await startStack()
  const container = stack.container({ WECHATPAY_MAX_ATTEMPTS: '1' }, { quiet: true })
  handler = container.http as unknown as typeof handler
  logs = container.logs.text
})
after(async () => {
  unhandled.stop()
  await stack.close()
})

const caseArb = fc.record({
  code: fc.oneof(
    { weight: 12, arbitrary: validCodeArb },
    { weight: 8, arbitrary: codeArb },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  body: bodyArb(inputArb, MAX_BODY_BYTES),
  carriage: carriageArb,
})
type HttpCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

/** Cases that must always run: a byte order mark, plain and in base64 (seed 24081 found the second). */
const EXAMPLES: HttpCase[] = (['plain', 'base64', 'base64 with junk characters Node skips'] as const).map(
  (encoding, index) => ({
    code: `bom_example_${process.pid}_${index}`,
    body: `\ufeff${JSON.stringify(VALID)}`,
    carriage: { encoding, junk: '!', garbage: '', cut: 0 },
  }),
)

/**
 * 'too large' for a 413; else the bad fields a 400 must name (`['']`: the body is not a JSON object;
 * none: valid); undefined: the carriage makes it unknowable.
 */
function oracle({ code, body, carriage }: HttpCase): 'too large' | string[] | undefined {
  const verdict = expectBody(body, carriage, MAX_BODY_BYTES)
  if (verdict === undefined || verdict === 'too large') return verdict
  if (verdict === 'not a JSON object') return ['']
  // The path route's code is the path's: an absent one counts as empty (functions/runtime/http.ts).
  return badFields({ ...verdict, authorization_code: code ?? '' })
}

function eventFor({ code, body, carriage }: HttpCase): APIGatewayProxyEventV2 {
  const event = withBody(httpEvent(code, VALID), body, carriage)
  if (code === undefined) delete event.pathParameters
  return event
}

const ALLOWED = new Set([200, 400, 413, 422, 502, 503])
/** Answers given before anything is sent to WeChat Pay. */
const REFUSED = new Set([400, 413])
const counts = {
  runs: 0,
  invalid: 0,
  tooLarge: 0,
  valid: 0,
  undecided: 0,
  byStatus: {} as Record<number, number>,
}

describe('HTTP entry point, fuzzed', () => {
  it('answers 200/400/413/422/502/503 only, 400 or 413 exactly for invalid input, sending nothing for it', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (testCase) => {
        if (testCase.code !== undefined) usedCodes.add(testCase.code)
        const expected = oracle(testCase)
        const sentBefore = stack.simulator.requests.length
        const response = await handler(eventFor(testCase), lambdaContext())
        const sent = codesSentSince(stack.simulator, sentBefore)

        assert.ok(ALLOWED.has(Number(response.statusCode)), `status ${response.statusCode}`)
        assert.equal(response.headers?.['content-type'], 'application/json')
        const json = JSON.parse(String(response.body)) as Outcome & {
          error?: { code: string; message: string; issues: Array<{ path: string }> }
        }
        counts.runs += 1
        counts.byStatus[Number(response.statusCode)] = (counts.byStatus[Number(response.statusCode)] ?? 0) + 1
        if (response.statusCode === 413) {
          assert.equal(sent.length, 0, 'a body over the limit reached WeChat Pay')
          assert.equal(json.error?.code, 'PAYLOAD_TOO_LARGE')
          assert.ok(json.error?.message.includes(String(MAX_BODY_BYTES)), 'the message names the limit')
        } else if (response.statusCode === 400) {
          assert.equal(sent.length, 0, 'an invalid request reached WeChat Pay')
          assert.equal(json.error?.code, 'INVALID_REQUEST')
          assert.ok((json.error?.issues.length ?? 0) >= 1)
        } else {
          assert.ok(sent.length >= 1, 'a valid request must reach WeChat Pay')
          assert.deepEqual(new Set(sent), new Set([testCase.code]), 'only the requested code is sent')
        }
        if (expected === undefined) {
          counts.undecided += 1
          return
        }
        if (expected === 'too large') {
          counts.tooLarge += 1
          assert.equal(response.statusCode, 413, 'expected 413 for a body over the limit')
          return
        }
        if (expected.length > 0) {
          counts.invalid += 1
          assert.equal(response.statusCode, 400, `expected 400 naming ${expected.join(', ')}`)
          assert.deepEqual(
            json.error?.issues.map((issue) => issue.path),
            expected,
          )
          return
        }
        counts.valid += 1
        const code = testCase.code!
        assert.ok(expectedOutcomes(code).includes(json.outcome), `${json.outcome} for a valid input`)
        assert.equal(response.statusCode, STATUS_BY_OUTCOME[json.outcome])
        assert.equal(json.authorization_code, code)
      }),
      { seed: 0x5e11, numRuns: fuzzRuns(300), examples: EXAMPLES.map((example) => [example]) },
    )
    unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 10, `too few valid inputs: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 4, `too few invalid inputs: ${JSON.stringify(counts)}`)
  })

  it('refuses the same bytes the same way, sent plain or in base64', async () => {
    // Without a code in the path every answer is a refusal whose issues come from the body alone
    // (413; not a JSON object; or the object's bad fields plus authorization_code), and none costs
    // a call to WeChat Pay: fast enough to run as often as the property above.
    const answer = async (body: string | undefined, encoding: 'plain' | 'base64') => {
      const carriage = { encoding, junk: '!', garbage: '', cut: 0 } as const
      const response = await handler(eventFor({ code: undefined, body, carriage }), lambdaContext())
      return [response.statusCode, JSON.parse(String(response.body))]
    }
    await fc.assert(
      fc.asyncProperty(bodyArb(inputArb, MAX_BODY_BYTES), async (body) => {
        const sentBefore = stack.simulator.requests.length
        const plain = await answer(body, 'plain')
        assert.ok(REFUSED.has(Number(plain[0])), `status ${plain[0]}`)
        assert.deepEqual(await answer(body, 'base64'), plain)
        assert.equal(stack.simulator.requests.length, sentBefore)
      }),
      { seed: 0x5e11, numRuns: fuzzRuns(300), examples: EXAMPLES.map((example) => [example.body]) },
    )
  })

  it('logs no secret and no unmasked code while doing so', () => {
    const lines = assertNoLeaks(logs(), { codes: usedCodes })
    console.log(`http fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
