/**
 * Inputs for fuzzing the entry points (the HTTP body or query, the queue message or its EventBridge
 * detail, the invoke event): valid ones of every shape (code, openid, sub_openid; partner and direct
 * mode), near misses one or two edits away from valid (a field dropped, nulled, broken or added: both
 * or no identifications, partner-only fields in direct mode, 129-character openids, 33-character
 * appids), and junk. test/fuzz/oracle.ts says which are valid and what is wrong with the others.
 */
import fc from 'fast-check'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { ALL_FIELDS, type Field, type Identification, type Mode, waysOf } from './oracle.ts'
import {
  ANY_UNIT,
  brokenAppidArb,
  brokenOpenidArb,
  codeArb,
  digitsOfLength,
  idArb,
  reasonArb,
  reasonOfLength,
  validAppidArb,
  validCodeArb,
  validOpenidArb,
} from './values.ts'

/** Runs per property: FUZZ_RUNS (npm run test:fuzz sets 10000), a few hundred otherwise. */
export function fuzzRuns(fallback: number): number {
  const text = process.env.FUZZ_RUNS
  const runs = text ? Number(text) : fallback
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, got ${text}`)
  return runs
}

const ABSENT = Symbol('absent')
/** Mostly absent, sometimes null: a field set to null counts as absent. */
const unset = fc.constantFrom<unknown>(ABSENT, ABSENT, ABSENT, null)
const orUnset = (arbitrary: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 2, arbitrary }, { weight: 1, arbitrary: unset })

const validDigits = fc.oneof(fc.integer({ min: 1, max: 32 }), fc.constantFrom(1, 32)).chain(digitsOfLength)
const validReason = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(1, 50)).chain(reasonOfLength)

const VALID: Record<Field, fc.Arbitrary<unknown>> = {
  authorization_code: validCodeArb,
  openid: validOpenidArb,
  sub_openid: validOpenidArb,
  service_id: validDigits,
  appid: validAppidArb,
  sub_mchid: validDigits,
  sub_appid: validAppidArb,
  reason: validReason,
}
const BROKEN: Record<Field, fc.Arbitrary<unknown>> = {
  authorization_code: codeArb,
  openid: brokenOpenidArb,
  sub_openid: brokenOpenidArb,
  service_id: idArb,
  appid: brokenAppidArb,
  sub_mchid: idArb,
  sub_appid: brokenAppidArb,
  reason: reasonArb,
}

/**
 * The fields of a valid reference of each shape. An appid beside a code is not sent to WeChat but
 * is checked against a query's answer: it is left out, or the appid the simulator gives codes.
 */
function referenceArb(mode: Mode, ways: readonly Identification[]) {
  const partner = mode === 'partner'
  const partnerOnly = (arbitrary: fc.Arbitrary<unknown>) => (partner ? arbitrary : unset)
  const common = { sub_mchid: partner ? validDigits : unset, sub_appid: partnerOnly(orUnset(validAppidArb)) }
  const shapes: Record<Identification, fc.Arbitrary<Record<string, unknown>>> = {
    authorization_code: fc.record({
      ...common,
      authorization_code: validCodeArb,
      openid: unset,
      sub_openid: unset,
      appid: fc.oneof(unset, fc.constant(DEFAULT_APPID)),
    }),
    openid: fc.record({
      ...common,
      openid: validOpenidArb,
      authorization_code: unset,
      sub_openid: unset,
      appid: validAppidArb,
    }),
    sub_openid: fc.record({
      ...common,
      sub_openid: validOpenidArb,
      authorization_code: unset,
      openid: unset,
      appid: validAppidArb,
      sub_appid: validAppidArb,
    }),
  }
  return fc.oneof(...ways.filter((way) => waysOf(mode).includes(way)).map((way) => shapes[way]))
}

/** Extra fields a producer may add; ours must be ignored, and none may confuse the parser. */
const extras = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'detail')),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
)

/** `extra` with `fields` over it (ABSENT deletes), as JSON.parse would make it (`__proto__` an own key). */
function withFields(extra: unknown, fields: Record<string, unknown>): Record<string, unknown> {
  const input = JSON.parse(JSON.stringify(extra)) as Record<string, unknown>
  for (const [name, value] of Object.entries(fields)) {
    if (value === ABSENT) delete input[name]
    else input[name] = value
  }
  return input
}

/** An input every rule of `mode` accepts, of the shapes `ways` (all by default), plus unknown fields. */
export function validInputArb(
  mode: Mode,
  ways: readonly Identification[] = waysOf(mode),
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(extras, referenceArb(mode, ways), validDigits, validReason)
    .map(([extra, reference, service_id, reason]) => withFields(extra, { ...reference, service_id, reason }))
}

/** One edit: a field dropped, set to null, given a valid value (a second identification, a
 * partner-only field) or a broken one. */
const editArb = fc
  .constantFrom(...ALL_FIELDS)
  .chain((field) =>
    fc.tuple(
      fc.constant(field),
      fc.oneof(fc.constantFrom<unknown>(ABSENT, null), VALID[field], BROKEN[field]),
    ),
  )

/** A valid input of either mode, one or two edits away. */
const nearMissArb = fc
  .tuple(
    fc.constantFrom<Mode>('partner', 'direct').chain((mode) => validInputArb(mode)),
    fc.array(editArb, { minLength: 1, maxLength: 2 }),
  )
  .map(([input, edits]) => withFields(input, Object.fromEntries(edits)))

/** Every field valid, broken or absent at random. */
const anyFieldsArb = fc
  .tuple(
    extras,
    fc.record(
      Object.fromEntries(
        ALL_FIELDS.map((field) => [
          field,
          fc.oneof(
            { weight: 2, arbitrary: VALID[field] },
            { weight: 2, arbitrary: BROKEN[field] },
            { weight: 3, arbitrary: fc.constant<unknown>(ABSENT) },
          ),
        ]),
      ),
    ),
  )
  .map(([extra, fields]) => withFields(extra, fields))

/** The input object, valid for `mode`, near valid or anything; as JSON would carry it. */
export function inputArb(
  mode: Mode,
  ways: readonly Identification[] = waysOf(mode),
): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 5, arbitrary: validInputArb(mode, ways) },
    { weight: 4, arbitrary: nearMissArb },
    { weight: 2, arbitrary: anyFieldsArb },
  )
}

/** Any JSON value at the top level: mostly not an object. */
export const anyJsonArb = fc.jsonValue({ maxDepth: 3 })

/** Random text: not JSON, truncated JSON, unicode junk. */
export const junkTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'null', '[]', '{', '}', '{"a":', '"x"', '1', 'true', '{}garbage'),
  // One leading byte order mark is ignored; a second one, or one after whitespace, is not JSON.
  fc.constantFrom('\ufeff{}', '\ufeff\ufeff{}', ' \ufeff{}', '\ufeff'),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: ANY_UNIT, maxLength: 80 }),
  inputArb('partner')
    .map((input) => JSON.stringify(input))
    .chain((text) => fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut))),
)

/** A JSON value that round-trips through JSON (what Lambda, SQS and API Gateway can carry). */
export const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value) ?? 'null') as T

export function fieldsOf(input: unknown, key: string): unknown {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)[key]
    : undefined
}
