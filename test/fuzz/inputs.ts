/**
 * Generators and the oracle for fuzzing the three entry points. The oracle restates the input rules
 * (README, functions/authorizations/request.ts) in plain code, independent of valibot, so the fuzzer can
 * tell which inputs must be refused before anything is sent to WeChat Pay.
 */
import fc from 'fast-check'
import type { OutcomeKind } from '../../functions/authorizations/outcome.ts'

/** Runs per property: FUZZ_RUNS (npm run test:fuzz sets 10000), a few hundred otherwise. */
export function fuzzRuns(fallback: number): number {
  const text = process.env.FUZZ_RUNS
  const runs = text ? Number(text) : fallback
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, got ${text}`)
  return runs
}

export const FIELDS = ['authorization_code', 'service_id', 'sub_mchid', 'reason'] as const

const CODE_CHARS = /^[0-9A-Za-z_*-]{1,32}$/
const DIGITS = /^[0-9]{1,32}$/

function reasonIsValid(value: unknown): boolean {
  if (typeof value !== 'string' || value === '' || value.trim() === '') return false
  // UTF-8 of 1 to 3 bytes: no lone surrogates, nothing beyond the BMP.
  if (!value.isWellFormed()) return false
  const characters = [...value]
  if (characters.some((character) => character.codePointAt(0)! > 0xffff)) return false
  if (characters.some((character) => isControl(character.codePointAt(0)!))) return false
  return characters.length <= 50
}

/** Unicode general category Cc: C0, DEL and C1. */
function isControl(codePoint: number) {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f)
}

/** Every field of the input contract, in the order invalid input lists them (README). */
export const ALL_FIELDS = [
  'authorization_code',
  'openid',
  'sub_openid',
  'service_id',
  'appid',
  'sub_mchid',
  'sub_appid',
  'reason',
] as const

const OPENID_CHARS = /^[0-9A-Za-z_-]{1,128}$/
const APPID_CHARS = /^[0-9A-Za-z_-]{1,32}$/
const PARTNER_ONLY = new Set(['sub_mchid', 'sub_appid', 'sub_openid'])

/**
 * The fields a terminate input gets wrong, in the contract's order, one each; `['']` when it is not a
 * JSON object at all. An empty list means valid. A field set to null counts as absent.
 */
export function badFields(input: unknown, mode: 'partner' | 'direct' = 'partner'): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['']
  const record = input as Record<string, unknown>
  const own = (key: string) => (Object.hasOwn(record, key) ? record[key] : undefined)
  const present = (key: string) => own(key) !== undefined && own(key) !== null
  const string = (rule: RegExp) => (value: unknown) => typeof value === 'string' && rule.test(value)
  const rules: Record<(typeof ALL_FIELDS)[number], (value: unknown) => boolean> = {
    authorization_code: string(CODE_CHARS),
    openid: string(OPENID_CHARS),
    sub_openid: string(OPENID_CHARS),
    service_id: string(DIGITS),
    appid: string(APPID_CHARS),
    sub_mchid: string(DIGITS),
    sub_appid: string(APPID_CHARS),
    reason: reasonIsValid,
  }
  const bad = new Set<string>()
  for (const field of ALL_FIELDS) {
    if (!present(field)) continue
    if ((mode === 'direct' && PARTNER_ONLY.has(field)) || !rules[field](own(field))) bad.add(field)
  }
  for (const field of ['service_id', 'reason', ...(mode === 'partner' ? ['sub_mchid'] : [])]) {
    if (!present(field)) bad.add(field)
  }
  const ways =
    mode === 'partner' ? ['authorization_code', 'openid', 'sub_openid'] : ['authorization_code', 'openid']
  const given = ways.filter(present)
  if (given.length !== 1) for (const way of given.length === 0 ? ways : given) bad.add(way)
  else if (given[0] !== 'authorization_code') {
    if (!present('appid')) bad.add('appid')
    if (given[0] === 'sub_openid' && !present('sub_appid')) bad.add('sub_appid')
  }
  return ALL_FIELDS.filter((field) => bad.has(field))
}

/**
 * Outcome of a valid input under the fuzz configuration (WECHATPAY_MAX_ATTEMPTS=1, a code never used
 * before): the simulator's magic prefixes, and plain codes which end terminated or already_terminated.
 * SIM_SLOW is left out (it waits on purpose).
 */
export const MAGIC_OUTCOMES = {
  SIM_429: 'retryable',
  SIM_500: 'retryable',
  SIM_503: 'retryable',
  SIM_FLAKY2: 'retryable',
  SIM_RESET: 'retryable',
  SIM_UNSIGNED: 'terminated',
  SIM_BADSIG: 'terminated',
  SIM_BADSIG_ALL: 'failed',
  SIM_SIGNTEST: 'terminated',
  SIM_SKEW: 'terminated',
  SIM_SERIAL: 'terminated',
  SIM_ORDERS: 'rejected',
  SIM_NOTEXIST: 'rejected',
  SIM_NOAUTH: 'failed',
  SIM_SIGNERR: 'failed',
  SIM_UNBOUND: 'rejected',
  SIM_TERMINATED: 'already_terminated',
} as const satisfies Record<string, OutcomeKind>

export type MagicPrefix = keyof typeof MAGIC_OUTCOMES
const MAGIC_PREFIXES = Object.keys(MAGIC_OUTCOMES) as MagicPrefix[]

/** The magic prefix a code starts with (longest wins, as in the simulator), if any. */
export function magicOf(code: string): MagicPrefix | undefined {
  return MAGIC_PREFIXES.filter((prefix) => code.startsWith(prefix)).sort((a, b) => b.length - a.length)[0]
}

/** Outcomes a valid input may end with: exactly the magic one, or done for a plain code (new or seen). */
export function expectedOutcomes(code: string): readonly OutcomeKind[] {
  const magic = magicOf(code)
  if (magic) return [MAGIC_OUTCOMES[magic]]
  if (code.startsWith('SIM_')) return ['terminated', 'already_terminated', 'rejected', 'failed', 'retryable']
  return ['terminated', 'already_terminated']
}

// ---- generators ------------------------------------------------------------------------------

const VALID_CODE_UNIT = fc.constantFrom(
  ...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_*-'.split(''),
)
const codeOfLength = (length: number) =>
  fc.string({ unit: VALID_CODE_UNIT, minLength: length, maxLength: length })

/** Any UTF-16 code unit, lone surrogates included. */
const ANY_UNIT = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))
const LONE_SURROGATE = fc
  .oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }))
  .map((unit) => String.fromCharCode(unit))
const ASTRAL = fc.constantFrom('😀', '𠀀', '👋🏽', '\u{10FFFF}', '\u{1F1E8}\u{1F1F3}')
const CONTROL = fc.constantFrom('\u0000', '\u0007', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u009f')
const BLANKS = fc.constantFrom(' ', '\u3000', '\u00a0', '\ufeff', '\u2028', '\u200b')
/** BMP characters of 1 to 3 UTF-8 bytes that are not control characters. */
const REASON_UNIT = fc.oneof(
  fc.constantFrom(...'解除授权用户申请取消服务再见 abcXYZ09-_.,!?'.split('')),
  fc.integer({ min: 0x20, max: 0x7e }).map((unit) => String.fromCharCode(unit)),
  fc.integer({ min: 0xa0, max: 0xd7ff }).map((unit) => String.fromCharCode(unit)),
  fc.integer({ min: 0xe000, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
)

/** Inserts `piece` into `text` at a generated position. */
const inserted = (text: fc.Arbitrary<string>, piece: fc.Arbitrary<string>) =>
  fc
    .tuple(text, piece, fc.nat())
    .map(
      ([base, extra, at]) =>
        base.slice(0, at % (base.length + 1)) + extra + base.slice(at % (base.length + 1)),
    )

const WRONG_TYPES: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
)

let unique = 0
/** A code nobody used before in this process, so that a magic code's outcome is predictable. */
const magicCode = fc
  .constantFrom(...MAGIC_PREFIXES)
  .map((prefix) => `${prefix}_${process.pid.toString(36)}_${(unique++).toString(36)}`.slice(0, 32))

/** Valid codes (a few magic), boundary lengths, path tricks and unicode. */
export const codeArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 32 }).chain(codeOfLength) },
  { weight: 2, arbitrary: fc.constantFrom(1, 32).chain(codeOfLength) },
  { weight: 2, arbitrary: magicCode },
  { weight: 1, arbitrary: fc.constantFrom(0, 33, 64).chain(codeOfLength) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom(
        '..',
        '.',
        '/',
        'a/b',
        '../x',
        '%2F',
        'a%2Fb',
        '%2e%2e',
        'a?x=1',
        'a#b',
        'a b',
        ' a',
        'a ',
      ),
      inserted(
        fc.integer({ min: 0, max: 31 }).chain(codeOfLength),
        fc.constantFrom('/', '..', '%2F', '?', '#', ' ', '%', '.', '\\', '+', '=', '&', 'é', '\u0000'),
      ),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: ANY_UNIT, maxLength: 40 }),
      inserted(fc.integer({ min: 1, max: 20 }).chain(codeOfLength), fc.oneof(ASTRAL, LONE_SURROGATE)),
    ),
  },
)

const digitsOfLength = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: length, maxLength: length })

/** Ids: 1 to 32 ASCII digits when valid; 0 and 33 digits, other digits and junk when not. */
export const idArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 32 }).chain(digitsOfLength) },
  { weight: 2, arbitrary: fc.constantFrom(1, 32).chain(digitsOfLength) },
  { weight: 1, arbitrary: fc.constantFrom(0, 33).chain(digitsOfLength) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom('１２３', '١٢٣', '12 ', ' 12', '1e5', '-1', '+1', '0x1F', '1.0', '12\n'),
      fc.string({ unit: 'binary', maxLength: 10 }),
    ),
  },
  { weight: 1, arbitrary: WRONG_TYPES },
)

const reasonOfLength = (length: number) =>
  fc
    .string({ unit: REASON_UNIT, minLength: length, maxLength: length })
    .map((text) => (text.trim() === '' ? `x${text.slice(1)}` : text))

/** Reasons: 1 to 50 characters of 1 to 3 UTF-8 bytes when valid; boundaries, emoji, surrogates, controls. */
export const reasonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 50 }).chain(reasonOfLength) },
  { weight: 2, arbitrary: fc.constantFrom(1, 50, 51).chain(reasonOfLength) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '   ', '\u3000', '\t') },
  { weight: 1, arbitrary: fc.array(BLANKS, { minLength: 1, maxLength: 5 }).map((items) => items.join('')) },
  {
    weight: 3,
    arbitrary: inserted(
      fc.integer({ min: 0, max: 49 }).chain(reasonOfLength),
      fc.oneof(ASTRAL, LONE_SURROGATE, CONTROL),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: ANY_UNIT, maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
    ),
  },
  { weight: 1, arbitrary: WRONG_TYPES },
)

const ABSENT = Symbol('absent')
const field = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary }, { weight: 1, arbitrary: fc.constant(ABSENT) })

/** Extra fields a producer may add; ours must be ignored, and none may confuse the parser. */
const extras = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'detail')),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
)

const withFields = (extra: Record<string, unknown>, values: unknown[]) => {
  // JSON.parse makes `__proto__` an own property, as a body or event would.
  const input = JSON.parse(JSON.stringify(extra)) as Record<string, unknown>
  FIELDS.forEach((name, index) => {
    const value = values[index]
    if (value === ABSENT) delete input[name]
    else input[name] = value
  })
  return input
}

/** Valid codes: plain (any length 1 to 32) or magic. */
export const validCodeArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 32 }).chain(codeOfLength) },
  { weight: 1, arbitrary: fc.constantFrom(1, 32).chain(codeOfLength) },
  { weight: 2, arbitrary: magicCode },
)

/** An input every rule accepts, at the boundaries too, plus unknown fields. */
export const validInputArb: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    extras,
    validCodeArb,
    fc.integer({ min: 1, max: 32 }).chain(digitsOfLength),
    fc.integer({ min: 1, max: 32 }).chain(digitsOfLength),
    fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(1, 50)).chain(reasonOfLength),
  )
  .map(([extra, ...values]) => withFields(extra, values))

/** The input object, fields possibly absent or wrong, plus unknown fields; as JSON would carry it. */
export const inputArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  validInputArb,
  fc
    .tuple(extras, field(codeArb), field(idArb), field(idArb), field(reasonArb))
    .map(([extra, ...values]) => withFields(extra, values)),
)

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
  inputArb
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
