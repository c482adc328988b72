import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Outcome, QueryResultKind } from '../../functions/authorizations/outcome.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { type FuzzStack, MODES, startFuzzStack } from './containers.ts'
import { anyJsonArb, asJson, fuzzRuns, inputArb, validInputArb } from './inputs.ts'
import {
  badFields,
  echoedIdentity,
  IDENTITY_FIELDS,
  identificationOf,
  type Mode,
  type Operation,
} from './oracle.ts'
import { assertSentFor } from './support.ts'

type InvokeHandler = (event: unknown, context: unknown) => Promise<unknown>
let fuzz: FuzzStack
const handlers = {} as Record<Mode, InvokeHandler>

before(async () => {
  fuzz = await startFuzzStack()
  for (const mode of ['partner', 'direct'] as const) {
    handlers[mode] = fuzz.containers[mode].invoke as unknown as InvokeHandler
  }
})
after(() => fuzz.close())

const ABSENT = Symbol('absent')
/** `operation`: absent, null or "terminate" terminate; "query" queries; anything else is refused. */
const operationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(ABSENT, null, 'terminate') },
  { weight: 4, arbitrary: fc.constant('query') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('Query', 'TERMINATE', 'terminate ', '', 'delete', 'state', ['query'], 1, true),
      fc.string({ maxLength: 8 }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
)
const withOperation = (input: Record<string, unknown>, operation: unknown) =>
  operation === ABSENT ? input : { ...input, operation }

/** A direct invocation's payload is any JSON: the input with an operation, near it, or anything at all. */
const eventArb = (mode: Mode): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(validInputArb(mode), operationArb).map(([i, o]) => withOperation(i, o)),
      },
      { weight: 4, arbitrary: fc.tuple(inputArb(mode), operationArb).map(([i, o]) => withOperation(i, o)) },
      { weight: 1, arbitrary: inputArb(mode).map((detail) => ({ 'detail-type': 'X', source: 'y', detail })) },
      { weight: 1, arbitrary: inputArb(mode).map((input) => [input]) },
      { weight: 2, arbitrary: anyJsonArb },
    )
    .map(asJson)

const caseArb = fc.constantFrom(...MODES).chain((mode) => fc.tuple(fc.constant(mode), eventArb(mode)))

/** What the handler must do with `event`: refuse it naming fields, terminate or query. */
function oracle(event: unknown, mode: Mode): { bad: string[]; operation: Operation } {
  const operation =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>).operation : undefined
  if (operation === 'query') return { operation, bad: badFields(event, mode, 'query') }
  if (operation === undefined || operation === null || operation === 'terminate') {
    return { operation: 'terminate', bad: badFields(event, mode) }
  }
  // A bad operation is refused before the rest is read.
  return { operation: 'terminate', bad: ['operation'] }
}

/** The error the invoke function throws for each query result that is not `found` (README). */
const QUERY_ERRORS: Record<Exclude<QueryResultKind, 'found'>, string> = {
  not_found: 'AuthorizationNotFoundError',
  failed: 'QueryFailedError',
  retryable: 'QueryRetryableError',
}
const RESULT_OF_ERROR = Object.fromEntries(
  Object.entries(QUERY_ERRORS).map(([result, name]) => [name, result]),
)

const counts = {
  runs: 0,
  invalid: 0,
  valid: 0,
  byOperation: {} as Record<string, number>,
  byResult: {} as Record<string, number>,
}
const count = (key: string) => {
  counts.byResult[key] = (counts.byResult[key] ?? 0) + 1
}

describe('direct invocation, fuzzed, partner and direct mode', () => {
  it('terminates or queries valid input, throws only its contract errors, and sends nothing for invalid input', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ([mode, event]) => {
        fuzz.used.add(event)
        const { bad, operation } = oracle(event, mode)
        const input = event as Record<string, unknown>
        const outcomes =
          bad.length === 0 && operation === 'terminate' ? fuzz.ledger.outcomes(input) : undefined
        const query = bad.length === 0 && operation === 'query' ? fuzz.ledger.query(input) : undefined
        const { result, sent } = await fuzz.observe(async () => {
          try {
            return { value: await handlers[mode](event, lambdaContext()) }
          } catch (error) {
            return { error: error as Error & { issues?: Array<{ path: string }> } }
          }
        })
        counts.runs += 1

        if (bad.length > 0) {
          counts.invalid += 1
          assert.ok(result.error, 'invalid input must throw')
          assert.equal(result.error.name, 'InvalidRequestError', String(result.error))
          assert.deepEqual(
            result.error.issues?.map((issue) => issue.path),
            bad,
          )
          assert.deepEqual(sent, [], 'an invalid request reached WeChat Pay')
          return
        }
        counts.valid += 1
        const named = identificationOf(input)
        const key = `${mode}/${operation}/${named.by}`
        counts.byOperation[key] = (counts.byOperation[key] ?? 0) + 1
        assertSentFor(sent, input, mode)
        if (operation === 'query') {
          assert.ok(
            sent.every((request) => request.endpoint === 'query'),
            'a query never terminates',
          )
          if (result.error) {
            const found = RESULT_OF_ERROR[result.error.name]
            assert.ok(found, `the query threw ${result.error}`)
            count(`query ${found}`)
            assert.ok(
              query?.results.includes(found as QueryResultKind),
              `${found}, expected ${query?.results}`,
            )
            return
          }
          const state = result.value as Record<string, unknown>
          count(`query found ${state.authorization_state}`)
          assert.ok(query?.results.includes('found'), `found, expected ${query?.results}`)
          assert.ok(
            query?.states.includes(state.authorization_state as never),
            String(state.authorization_state),
          )
          assert.equal(state[named.by], named.name)
          assert.equal(state.service_id, input.service_id)
          return
        }
        assert.ok(!result.error, `valid input threw ${result.error}`)
        const outcome = result.value as Outcome
        count(outcome.outcome)
        assert.ok(outcomes?.includes(outcome.outcome), `${outcome.outcome}, expected ${outcomes}`)
        assert.deepEqual(
          Object.fromEntries(IDENTITY_FIELDS.map((field) => [field, outcome[field]])),
          echoedIdentity(input),
        )
      }),
      { seed: 0x5e13, numRuns: fuzzRuns(300) },
    )
    fuzz.unhandled.assertNone()
    assert.ok(counts.valid > counts.runs / 5, `too few valid events: ${JSON.stringify(counts)}`)
    assert.ok(counts.invalid > counts.runs / 5, `too few invalid events: ${JSON.stringify(counts)}`)
  })

  it('logs no secret and no unmasked code or openid while doing so', () => {
    const lines = fuzz.assertNoLeaks()
    console.log(`invoke fuzz: ${JSON.stringify(counts)}, ${lines} log lines scanned`)
  })
})
