import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import fc from 'fast-check'
import type { QueryResultKind } from '../../functions/authorizations/outcome.ts'
import { RETRY_AFTER_SECONDS, STATUS_BY_QUERY_RESULT } from '../../functions/runtime/http.ts'
import { lambdaContext, routeEvent } from '../helpers/lambda.ts'
import { type FuzzStack, MODES, startFuzzStack } from './containers.ts'
import { fuzzRuns, inputArb } from './inputs.ts'
import { badFields, identificationOf, type Mode } from './oracle.ts'
import { expectQuery, queryCaseArb, rawQuery } from './queries.ts'
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

const ROUTES = { code: 'GET /v1/authorizations/{authorization_code}', user: 'GET /v1/authorizations' }

/** A GET of the verified state: by the code in the path, or by whatever the query string names. */
const caseArb = fc.constantFrom(...MODES).chain((mode) =>
  fc.oneof(
    fc.record({
      mode: fc.constant(mode),
      route: fc.constant<'code' | 'user'>('code'),
      code: fc.oneof(
        { weight: 12, arbitrary: validCodeArb },
        { weight: 6, arbitrary: codeArb },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      query: queryCaseArb(inputArb(mode, ['authorization_code'])),
    }),
    fc.record({
      mode: fc.constant(mode),
      route: fc.constant<'code' | 'user'>('user'),
      code: fc.constant(undefined),
      query: queryCaseArb(inputArb(mode)),
    }),
  ),
)
type QueryRouteCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never

function eventFor({ route, code, query }: QueryRouteCase): APIGatewayProxyEventV2 {
  const event = routeEvent(ROUTES[route], { query: rawQuery(query) })
  // Set after: API Gateway hands the decoded parameter over, whatever it holds.
  return route === 'code' && code !== undefined
    ? { ...event, pathParameters: { authorization_code: code } }
    : event
}

/** The parameters given twice (refused, each named), or the input the function must read and its bad fields. */
function oracle({ mode, route, code, query }: QueryRouteCase) {
  const read = expectQuery(query)
  if ('repeated' in read) return { repeated: read.repeated }
  // The path names the code: a query parameter of that name never overrides it.
  const input = route === 'code' ? { ...read.fields, authorization_code: code ?? '' } : read.fields
  return { input, bad: badFields(input, mode, 'query') }
}

/**
 * Cases that must always run: a valid query with one unknown parameter named like a property every
 * JavaScript object has, given once (ignored, as unknown fields are), and `__proto__` given twice
 * (refused, as any parameter given twice is: a fix that only asks Object.hasOwn misses that one).
 */
const EXAMPLES: QueryRouteCase[] = [
  [['constructor', 'x']],
  [['__proto__', 'x']],
  [['toString', 'x']],
  [['hasOwnProperty', 'x']],
  [
    ['__proto__', 'a'],
    ['__proto__', 'b'],
  ],
].map((extra, index) => ({
  mode: 'partner',
  route: 'code',
  code: `proto_example_${process.pid}_${index}`,
  query: {
    pairs: [['service_id', '500001'], ['sub_mchid', '1900000109'], ...(extra as Array<[string, string]>)],
    encoding: 'component',
  },
}))

const RESULT_BY_STATUS = Object.fromEntries(
  Object.entries(STATUS_BY_QUERY_RESULT).map(([result, status]) => [status, result as QueryResultKind]),
)
/** The state answer's keys (issue 9, "HTTP routes"): always all of them, null where WeChat gave none. */
const STATE_KEYS = [
  'authorization_state',
  'authorization_code',
  'openid',
  'sub_openid',
  'service_id',
  'appid',
  'sub_mchid',
  'sub_appid',
  'authorization_success_time',
  'cancel_authorization_time',
  'wechatpay',
]

/** What a found state must say about what was asked. */
function assertStateOf(state: Record<string, unknown>, input: Record<string, unknown>, mode: Mode) {
  assert.deepEqual(Object.keys(state).sort(), [...STATE_KEYS].sort())
  const { by, name } = identificationOf(input)
  assert.equal(state[by], name)
  assert.equal(state.service_id, input.service_id)
  assert.equal(state.sub_mchid, mode === 'partner' ? input.sub_mchid : null)
  if (by !== 'authorization_code') assert.equal(state.appid, input.appid)
  if (by === 'sub_openid') assert.equal(state.sub_appid, input.sub_appid)
  const wechatpay = state.wechatpay as { status: number; request_id: unknown }
  assert.equal(wechatpay.status, 200)
  assert.equal(typeof wechatpay.request_id, 'string')
}

const counts = {
  runs: 0,
  repeated: 0,
  invalid: 0,
  valid: 0,
  byShape: {} as Record<string, number>,
  byStatus: {} as Record<number, number>,
}

describe('HTTP query routes, fuzzed, partner and direct mode', () => {
  it('answers 200/400/404/502/503 only, 400 naming exactly the bad or repeated fields, and only ever queries', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (testCase: QueryRouteCase) => {
        const expected = oracle(testCase)
        fuzz.used.add(expected.input ?? Object.fromEntries(testCase.query.pairs))
        fuzz.used.add({ authorization_code: testCase.code })
        const allowed =
          expected.input && expected.bad.length === 0 ? fuzz.ledger.query(expected.input) : undefined
        const { result: response, sent } = await fuzz.observe(() =>
          handlers[testCase.mode](eventFor(testCase), lambdaContext()),
        )
        const status = Number(response.statusCode)
        counts.runs += 1
        counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1
        assert.ok([200, 400, 404, 502, 503].includes(status), `status ${status}`)
        assert.equal(response.headers?.['content-type'], 'application/json')
        const json = JSON.parse(String(response.body)) as Record<string, unknown> & {
          error?: { code: string; issues?: Array<{ path: string }> }
        }
        if (status === 400) {
          assert.deepEqual(sent, [], 'an invalid request reached WeChat Pay')
          assert.equal(json.error?.code, 'INVALID_REQUEST')
        } else {
          assert.ok(sent.length >= 1, 'a valid request must reach WeChat Pay')
          assert.ok(
            sent.every((request) => request.endpoint === 'query' && request.mode === testCase.mode),
            `a GET sends ${testCase.mode} mode queries only: ${JSON.stringify(sent)}`,
          )
          assert.equal(new Set(sent.map(keyOf)).size, 1, 'one authorization per call')
        }
        if (expected.repeated) {
          counts.repeated += 1
          assert.equal(status, 400, `expected 400 naming ${expected.repeated.join(', ')} given twice`)
          assert.deepEqual(json.error?.issues?.map((issue) => issue.path).sort(), expected.repeated)
          return
        }
        if (expected.bad.length > 0) {
          counts.invalid += 1
          assert.equal(status, 400, `expected 400 naming ${expected.bad.join(', ')}`)
          assert.deepEqual(
            json.error?.issues?.map((issue) => issue.path),
            expected.bad,
          )
          return
        }
        counts.valid += 1
        assert.notEqual(status, 400, `a valid query was refused: ${JSON.stringify(json.error)}`)
        const named = identificationOf(expected.input)
        const shape = `${testCase.mode}/${named.by}`
        counts.byShape[shape] = (counts.byShape[shape] ?? 0) + 1
        assertSentFor(sent, expected.input, testCase.mode)
        const result = RESULT_BY_STATUS[status]!
        assert.ok(allowed?.results.includes(result), `${status} (${result}), expected ${allowed?.results}`)
        if (result === 'found') {
          assert.ok(
            allowed?.states.includes(json.authorization_state as never),
            String(json.authorization_state),
          )
          assertStateOf(json, expected.input, testCase.mode)
          return
        }
        const codes = {
          not_found: 'NOT_FOUND',
          failed: 'WECHATPAY_FAILED',
          retryable: 'WECHATPAY_UNAVAILABLE',
        }
        assert.equal(json.error?.code, codes[result])
        if (status === 503) assert.equal(response.headers?.['retry-after'], String(RETRY_AFTER_SECONDS))
      }),
      { seed: 0x5e14, numRuns: fuzzRuns(300), examples: EXAMPLES.map((example) => [example]) },
    )
    fuzz.unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 10, `too few valid queries: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 5, `too few invalid queries: ${JSON.stringify(counts)}`)
    assert.ok(counts.repeated > counts.runs / 20, `too few repeated parameters: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code or openid while doing so', () => {
    const lines = fuzz.assertNoLeaks()
    console.log(`http query fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
