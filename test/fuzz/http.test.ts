import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { MAX_BODY_BYTES, STATUS_BY_OUTCOME } from '../../functions/runtime/http.ts'
import { httpEvent, lambdaContext, routeEvent } from '../helpers/lambda.ts'
import { VALID } from '../helpers/stack.ts'
import { bodyArb, carriageArb, expectBody, withBody } from './bodies.ts'
import { type FuzzStack, MODES, startFuzzStack } from './containers.ts'
import { fuzzRuns, inputArb } from './inputs.ts'
import { badFields, echoedIdentity, IDENTITY_FIELDS, identificationOf, type Mode } from './oracle.ts'
import { assertSentFor, keyOf } from './support.ts'
import { codeArb, validCodeArb } from './values.ts'

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>
let fuzz: FuzzStack
const handlers = {} as Record<Mode, HttpHandler>

before(async () => {
  fuzz = await startFuzzStack()
  for (const mode of ['partner', 'direct'] as const) {
    handlers[mode] = fuzz.containers[mode].http as unknown as HttpHandler
  }
})
after(() => fuzz.close())

const BODY_ROUTE = 'POST /v1/authorizations/terminate'

/**
 * A POST to either terminate route: the one whose path names the code (the body's identification
 * is then a second one), or the one whose body is the whole input, of any shape.
 */
const caseArb = fc.constantFrom(...MODES).chain((mode) =>
  fc.oneof(
    fc.record({
      mode: fc.constant(mode),
      route: fc.constant<'path' | 'body'>('path'),
      code: fc.oneof(
        { weight: 12, arbitrary: validCodeArb },
        { weight: 8, arbitrary: codeArb },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      body: bodyArb(inputArb(mode, ['authorization_code']), MAX_BODY_BYTES),
      carriage: carriageArb,
    }),
    fc.record({
      mode: fc.constant(mode),
      route: fc.constant<'path' | 'body'>('body'),
      code: fc.constant(undefined),
      body: bodyArb(inputArb(mode), MAX_BODY_BYTES),
      carriage: carriageArb,
    }),
  ),
)
type HttpCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

/** Cases that must always run: a byte order mark, plain and in base64 (seed 24081 found the second). */
const EXAMPLES: HttpCase[] = (['plain', 'base64', 'base64 with junk characters Node skips'] as const).map(
  (encoding, index) => ({
    mode: 'partner',
    route: 'path',
    code: `bom_example_${process.pid}_${index}`,
    body: `\ufeff${JSON.stringify(VALID)}`,
    carriage: { encoding, junk: '!', garbage: '', cut: 0 },
  }),
)

/**
 * 'too large' for a 413; else the input the function must read and the bad fields a 400 must name
 * (`['']`: the body is not a JSON object; none: valid); undefined: the carriage makes it unknowable.
 */
function oracle({ mode, route, code, body, carriage }: HttpCase) {
  const verdict = expectBody(body, carriage, MAX_BODY_BYTES)
  if (verdict === undefined || verdict === 'too large') return verdict
  if (verdict === 'not a JSON object') return { bad: [''] }
  // The path route's code is the path's: an absent one counts as empty (functions/runtime/http.ts).
  const input = route === 'path' ? { ...verdict, authorization_code: code ?? '' } : verdict
  return { input, bad: badFields(input, mode) }
}

function eventFor({ route, code, body, carriage }: Pick<HttpCase, 'route' | 'code' | 'body' | 'carriage'>) {
  if (route === 'body') return withBody(routeEvent(BODY_ROUTE), body, carriage)
  const event = withBody(httpEvent(code, VALID), body, carriage)
  if (code === undefined) delete event.pathParameters
  return event
}

/** The JSON a body holds, if any: its codes and openids are known values for the leak scan. */
function parsedBody(body: string | undefined): unknown {
  try {
    return JSON.parse((body ?? '').replace(/^\ufeff/, ''))
  } catch {
    return undefined
  }
}

const ALLOWED = new Set([200, 400, 413, 422, 502, 503])
/** Answers given before anything is sent to WeChat Pay. */
const REFUSED = new Set([400, 413])
const counts = {
  runs: 0,
  byRoute: { path: 0, body: 0 },
  byMode: { partner: 0, direct: 0 },
  byShape: {} as Record<string, number>,
  invalid: 0,
  tooLarge: 0,
  valid: 0,
  undecided: 0,
  byStatus: {} as Record<number, number>,
}

describe('HTTP terminate routes, fuzzed, partner and direct mode', () => {
  it('answers 200/400/413/422/502/503 only, 400 or 413 exactly for invalid input, sending nothing for it', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (testCase) => {
        fuzz.used.add(parsedBody(testCase.body))
        fuzz.used.add({ authorization_code: testCase.code })
        const expected = oracle(testCase)
        const outcomes = typeof expected === 'object' && expected.input ? validOutcomes(expected) : undefined
        const { result: response, sent } = await fuzz.observe(() =>
          handlers[testCase.mode](eventFor(testCase), lambdaContext()),
        )

        assert.ok(ALLOWED.has(Number(response.statusCode)), `status ${response.statusCode}`)
        assert.equal(response.headers?.['content-type'], 'application/json')
        const json = JSON.parse(String(response.body)) as Outcome & {
          error?: { code: string; message: string; issues: Array<{ path: string }> }
        }
        counts.runs += 1
        counts.byRoute[testCase.route] += 1
        counts.byMode[testCase.mode] += 1
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
          assert.deepEqual(new Set(sent.map(keyOf)).size, 1, 'one authorization per call')
          assert.ok(
            sent.every((request) => request.mode === testCase.mode),
            `${testCase.mode} mode paths only`,
          )
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
        if (expected.bad.length > 0) {
          counts.invalid += 1
          assert.equal(response.statusCode, 400, `expected 400 naming ${expected.bad.join(', ')}`)
          assert.deepEqual(
            json.error?.issues.map((issue) => issue.path),
            expected.bad,
          )
          return
        }
        counts.valid += 1
        assert.ok(
          !REFUSED.has(Number(response.statusCode)),
          `valid input refused: ${JSON.stringify(json.error)}`,
        )
        const input = expected.input!
        const named = identificationOf(input)
        counts.byShape[`${testCase.mode}/${named.by}`] =
          (counts.byShape[`${testCase.mode}/${named.by}`] ?? 0) + 1
        assert.ok(outcomes?.includes(json.outcome), `${json.outcome} for a valid input, expected ${outcomes}`)
        assert.equal(response.statusCode, STATUS_BY_OUTCOME[json.outcome])
        assert.deepEqual(pick(json, IDENTITY_FIELDS), echoedIdentity(input))
        assertSentFor(sent, input, testCase.mode)
      }),
      { seed: 0x5e11, numRuns: fuzzRuns(300), examples: EXAMPLES.map((example) => [example]) },
    )
    fuzz.unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 10, `too few valid inputs: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 4, `too few invalid inputs: ${JSON.stringify(counts)}`)
  })

  it('refuses the same bytes the same way, sent plain or in base64', async () => {
    // Without a code in the path every answer is a refusal whose issues come from the body alone
    // (413; not a JSON object; or the object's bad fields plus authorization_code), and none costs
    // a call to WeChat Pay: fast enough to run as often as the property above.
    const answer = async (mode: Mode, body: string | undefined, encoding: 'plain' | 'base64') => {
      const carriage = { encoding, junk: '!', garbage: '', cut: 0 } as const
      const event = eventFor({ route: 'path', code: undefined, body, carriage })
      const response = await handlers[mode](event, lambdaContext())
      return [response.statusCode, JSON.parse(String(response.body))]
    }
    const bodiesArb = fc
      .constantFrom(...MODES)
      .chain((mode) => fc.tuple(fc.constant(mode), bodyArb(inputArb(mode), MAX_BODY_BYTES)))
    await fc.assert(
      fc.asyncProperty(bodiesArb, async ([mode, body]) => {
        fuzz.used.add(parsedBody(body))
        const { result: plain, sent } = await fuzz.observe(() => answer(mode, body, 'plain'))
        assert.ok(REFUSED.has(Number(plain[0])), `status ${plain[0]}`)
        assert.deepEqual(await answer(mode, body, 'base64'), plain)
        assert.deepEqual(sent, [])
      }),
      {
        seed: 0x5e11,
        numRuns: fuzzRuns(300),
        examples: EXAMPLES.map((example) => [['partner', example.body] as [Mode, string | undefined]]),
      },
    )
  })

  it('logs no secret and no unmasked code or openid while doing so', () => {
    const lines = fuzz.assertNoLeaks()
    console.log(`http fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})

/** The outcomes a valid input may end with, decided before it runs (the ledger learns from it). */
function validOutcomes(expected: { input?: Record<string, unknown>; bad: string[] }) {
  return expected.bad.length === 0 ? fuzz.ledger.outcomes(expected.input!) : undefined
}

const pick = (value: object, fields: readonly string[]) =>
  Object.fromEntries(fields.map((field) => [field, (value as Record<string, unknown>)[field]]))
