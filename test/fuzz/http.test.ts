import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import { MAX_BODY_BYTES, STATUS_BY_OUTCOME } from '../../functions/runtime/http.ts'
import type { Outcome } from '../../functions/terminate/outcome.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { type Stack, startStack, VALID } from '../helpers/stack.ts'
import { type OutputWatch, watchOutput } from '../leaks/output.ts'
import {
  anyJsonArb,
  badFields,
  codeArb,
  expectedOutcomes,
  fuzzRuns,
  inputArb,
  junkTextArb,
  validCodeArb,
} from './inputs.ts'
import { codesSentSince, trackUnhandledRejections } from './support.ts'

let stack: Stack
let handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>
let output: OutputWatch
const unhandled = trackUnhandledRejections()
const usedCodes = new Set<string>()

before(async () => {
  // One attempt per call: the magic faults answer at once instead of backing off.
  stack = await startStack({ env: { WECHATPAY_MAX_ATTEMPTS: '1' } })
  ;({ handler } = (await import('../../functions/http.ts')) as unknown as { handler: typeof handler })
  output = watchOutput({ quiet: true })
})
after(async () => {
  output.stop()
  unhandled.stop()
  await stack.close()
})

/** How the body travels: faithful encodings decode to the text; mismatches never can. */
const ENCODINGS = [
  'plain',
  'plain, isBase64Encoded absent',
  'base64',
  'base64 without padding',
  'base64url',
  'base64 with MIME line breaks',
  'base64 with junk characters Node skips',
  'plain text flagged as base64',
  'base64 not flagged',
  'truncated base64',
  'random text flagged as base64',
] as const
type Encoding = (typeof ENCODINGS)[number]

function encode(
  text: string,
  { encoding, junk, garbage, cut }: Pick<HttpCase, 'encoding' | 'junk' | 'garbage' | 'cut'>,
): Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'> {
  const base64 = Buffer.from(text).toString('base64')
  switch (encoding) {
    case 'plain':
      return { body: text, isBase64Encoded: false }
    case 'plain, isBase64Encoded absent':
      return { body: text } as APIGatewayProxyEventV2
    case 'base64':
    case 'base64 not flagged':
      return { body: base64, isBase64Encoded: encoding === 'base64' }
    case 'base64 without padding':
      return { body: base64.replace(/=+$/, ''), isBase64Encoded: true }
    case 'base64url':
      return { body: Buffer.from(text).toString('base64url'), isBase64Encoded: true }
    case 'base64 with MIME line breaks':
      return { body: base64.replace(/.{76}/g, '$&\r\n'), isBase64Encoded: true }
    case 'base64 with junk characters Node skips':
      return { body: base64.replace(/.{7}/g, `$&${junk}`), isBase64Encoded: true }
    case 'plain text flagged as base64':
      return { body: text, isBase64Encoded: true }
    case 'truncated base64':
      return { body: base64.slice(0, Math.max(0, base64.length - 1 - cut)), isBase64Encoded: true }
    case 'random text flagged as base64':
      return { body: garbage, isBase64Encoded: true }
  }
}

/** The body text to send: an input object, sized around the limit, any JSON, junk, huge, or none. */
const bodyArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 16, arbitrary: inputArb.map((input) => JSON.stringify(input)) },
  { weight: 2, arbitrary: inputArb.map((input) => `\n ${JSON.stringify(input, null, 2)}\t `) },
  {
    weight: 2,
    arbitrary: fc.tuple(inputArb, fc.constantFrom(-1, 0, 1)).map(([input, delta]) => {
      const base = JSON.stringify({ ...input, padding: '' })
      return JSON.stringify({
        ...input,
        padding: 'x'.repeat(MAX_BODY_BYTES + delta - Buffer.byteLength(base)),
      })
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(100_000, 1_500_000).map((size) => '{"a":"'.padEnd(size, 'x')) },
  { weight: 2, arbitrary: anyJsonArb.map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: junkTextArb },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

const caseArb = fc.record({
  code: fc.oneof(
    { weight: 12, arbitrary: validCodeArb },
    { weight: 8, arbitrary: codeArb },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  body: bodyArb,
  // Plain most of the time so that plenty of inputs are valid.
  encoding: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Encoding>('plain') },
    { weight: 9, arbitrary: fc.constantFrom(...ENCODINGS) },
  ),
  junk: fc.constantFrom('!', '.', ' ', '\n', '#', '$(', ';~', '"'),
  garbage: fc.oneof(fc.base64String({ maxLength: 200 }), fc.string({ maxLength: 100 }), junkTextArb),
  cut: fc.nat({ max: 12 }),
})
type HttpCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

/** Bad fields the handler must name, `['']` for a body that is not a JSON object, undefined: can't tell. */
function oracle({ code, body, encoding }: HttpCase): string[] | undefined {
  if (encoding === 'random text flagged as base64' || encoding === 'truncated base64') return undefined
  if (encoding === 'plain text flagged as base64' || encoding === 'base64 not flagged') return ['']
  // Base64 carries the text's UTF-8 bytes: a lone surrogate arrives as U+FFFD.
  const text = encoding.startsWith('plain') ? (body ?? '') : Buffer.from(body ?? '').toString()
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return ['']
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return ['']
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ['']
  return badFields({ ...parsed, authorization_code: code })
}

function eventFor(testCase: HttpCase): APIGatewayProxyEventV2 {
  const event = httpEvent(testCase.code, VALID)
  const encoded = encode(testCase.body ?? '', testCase)
  event.body = testCase.body === undefined && testCase.encoding.startsWith('plain') ? undefined : encoded.body
  if ('isBase64Encoded' in encoded) event.isBase64Encoded = encoded.isBase64Encoded
  else delete (event as Partial<APIGatewayProxyEventV2>).isBase64Encoded
  if (testCase.code === undefined) delete event.pathParameters
  return event
}

const ALLOWED = new Set([200, 400, 422, 502, 503])
const counts = { runs: 0, invalid: 0, valid: 0, undecided: 0, byStatus: {} as Record<number, number> }

describe('HTTP entry point, fuzzed', () => {
  it('answers 200/400/422/502/503 only, 400 exactly for invalid input, and sends nothing for it', async () => {
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
          error?: { code: string; issues: Array<{ path: string }> }
        }
        counts.runs += 1
        counts.byStatus[Number(response.statusCode)] = (counts.byStatus[Number(response.statusCode)] ?? 0) + 1
        if (response.statusCode === 400) {
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
      { seed: 0x5e11, numRuns: fuzzRuns(300) },
    )
    unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 10, `too few valid inputs: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 4, `too few invalid inputs: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code while doing so', () => {
    const lines = output.assertNoLeaks({ codes: usedCodes })
    console.log(`http fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
