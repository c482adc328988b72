/**
 * Generators of field values for fuzzing the entry points: valid ones (at the boundaries too, and
 * behind the simulator's magic prefixes) and broken ones (lengths just past the limit, charset
 * tricks, unicode, wrong JSON types). test/fuzz/oracle.ts says which is which.
 */
import fc from 'fast-check'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { MAGIC_PREFIXES } from './outcomes.ts'

const VALID_CODE_UNIT = fc.constantFrom(
  ...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_*-'.split(''),
)
const codeOfLength = (length: number) =>
  fc.string({ unit: VALID_CODE_UNIT, minLength: length, maxLength: length })

/** Any UTF-16 code unit, lone surrogates included. */
export const ANY_UNIT = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))
export const LONE_SURROGATE = fc
  .oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }))
  .map((unit) => String.fromCharCode(unit))
export const ASTRAL = fc.constantFrom('😀', '𠀀', '👋🏽', '\u{10FFFF}', '\u{1F1E8}\u{1F1F3}')
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
export const inserted = (text: fc.Arbitrary<string>, piece: fc.Arbitrary<string>) =>
  fc
    .tuple(text, piece, fc.nat())
    .map(
      ([base, extra, at]) =>
        base.slice(0, at % (base.length + 1)) + extra + base.slice(at % (base.length + 1)),
    )

export const WRONG_TYPES: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
)

let unique = 0
/** A name nobody used before in this process, so that a magic prefix's outcome is predictable. */
const magicName = (maxLength: number) =>
  fc
    .tuple(fc.constantFrom(...MAGIC_PREFIXES), fc.nat({ max: maxLength }))
    .map(([prefix, length]) =>
      `${prefix}_${process.pid.toString(36)}_${(unique++).toString(36)}_`
        .padEnd(length, 'x')
        .slice(0, maxLength),
    )
const magicCode = magicName(32)

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

export const digitsOfLength = (length: number) =>
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

export const reasonOfLength = (length: number) =>
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

/** Valid codes: plain (any length 1 to 32) or magic. */
export const validCodeArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 32 }).chain(codeOfLength) },
  { weight: 1, arbitrary: fc.constantFrom(1, 32).chain(codeOfLength) },
  { weight: 2, arbitrary: magicCode },
)

// ---- openids and appids -----------------------------------------------------------------------

const USER_UNIT = fc.constantFrom(
  ...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-'.split(''),
)
const userOfLength = (length: number) => fc.string({ unit: USER_UNIT, minLength: length, maxLength: length })

/**
 * A few users every run names again and again, under a few appids: the same user under the same
 * app finds the authorization already ended; under another app WeChat does not know it.
 */
export const POOLED_OPENIDS = ['oPooled-user_0000000000000001', 'oPooled-user_0000000000000002']
export const POOLED_APPIDS = [DEFAULT_APPID, 'wx5678efh567hg6786', 'wxPooledApp0003']

/** Valid openids and sub_openids: 1 to 128 of [0-9A-Za-z_-], WeChat's 28-character shape, magic, pooled. */
export const validOpenidArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 128 }).chain(userOfLength) },
  { weight: 2, arbitrary: fc.constantFrom(1, 127, 128).chain(userOfLength) },
  { weight: 2, arbitrary: userOfLength(27).map((tail) => `o${tail}`) },
  { weight: 3, arbitrary: fc.oneof(magicName(28), magicName(128)) },
  { weight: 2, arbitrary: fc.constantFrom(...POOLED_OPENIDS) },
)

/** Characters one of the rules refuses: `*` is a code's but not an openid's, `.` `/` `%` a path's. */
const USER_TRICKS = fc.constantFrom(
  '*',
  '.',
  '..',
  '/',
  '%2F',
  '%',
  '+',
  '=',
  '&',
  '?',
  '#',
  ' ',
  '\\',
  'é',
  'Ａ',
  '\u0000',
  '\n',
  '\u200b',
)

/** Openids that break the rule by one thing: 0, 129 or many characters, a trick, unicode, a type. */
export const brokenOpenidArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 129, 200).chain(userOfLength) },
  { weight: 3, arbitrary: inserted(fc.integer({ min: 0, max: 127 }).chain(userOfLength), USER_TRICKS) },
  {
    weight: 1,
    arbitrary: inserted(
      fc.integer({ min: 1, max: 40 }).chain(userOfLength),
      fc.oneof(ASTRAL, LONE_SURROGATE),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: WRONG_TYPES },
)

/** Valid appids and sub_appids: 1 to 32 of [0-9A-Za-z_-], `wx` + 16 hex digits, pooled. */
export const validAppidArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 32 }).chain(userOfLength) },
  { weight: 2, arbitrary: fc.constantFrom(1, 32).chain(userOfLength) },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 16, maxLength: 16 })
      .map((hex) => `wx${hex}`),
  },
  { weight: 3, arbitrary: fc.constantFrom(...POOLED_APPIDS) },
)

export const brokenAppidArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 33, 64).chain(userOfLength) },
  { weight: 3, arbitrary: inserted(fc.integer({ min: 0, max: 31 }).chain(userOfLength), USER_TRICKS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: WRONG_TYPES },
)
