/**
 * Query strings for fuzzing the GET routes: the pairs of an input (plus unknown and repeated
 * parameters), written the ways a client may percent-encode them, and what the function must read
 * from them. The decoding is restated here byte by byte rather than asked of URLSearchParams.
 */
import fc from 'fast-check'

export const QUERY_ENCODINGS = ['component', 'form', 'every byte', 'raw where safe'] as const
export type QueryEncoding = (typeof QUERY_ENCODINGS)[number]

export interface QueryCase {
  /** Names and values as the client meant them, in order; a name may repeat. */
  pairs: Array<[name: string, value: string]>
  encoding: QueryEncoding
}

const UNRESERVED = /^[A-Za-z0-9_.~-]$/
/** Characters some clients leave as they are; a form-urlencoded parser reads them unchanged. */
const LEFT_RAW = /^[*!'()@:,;$/]$/

/** `text`'s UTF-8 bytes, percent-encoded as `encoding` says (`+` for a space in a form). */
function encode(text: string, encoding: QueryEncoding): string {
  let out = ''
  for (const byte of Buffer.from(text)) {
    const char = String.fromCharCode(byte)
    if (encoding === 'form' && char === ' ') out += '+'
    else if (encoding !== 'every byte' && UNRESERVED.test(char)) out += char
    else if (encoding === 'raw where safe' && LEFT_RAW.test(char)) out += char
    else {
      const hex = byte.toString(16).padStart(2, '0')
      out += `%${encoding === 'every byte' ? hex : hex.toUpperCase()}`
    }
  }
  return out
}

/** The rawQueryString API Gateway hands over: exactly what the client wrote. */
export function rawQuery({ pairs, encoding }: QueryCase): string {
  return pairs.map(([name, value]) => `${encode(name, encoding)}=${encode(value, encoding)}`).join('&')
}

/** What the text becomes once sent: UTF-8 cannot carry a lone surrogate, which arrives as U+FFFD. */
const sent = (text: string) => Buffer.from(text).toString()

/**
 * What the function must read: the parameters given more than once (refused, each named; whatever
 * the name, since guessing which value was meant is worse), or the fields.
 */
export function expectQuery(query: QueryCase): { repeated: string[] } | { fields: Record<string, string> } {
  const pairs = query.pairs.map(([name, value]) => [sent(name), sent(value)] as const)
  const counts = new Map<string, number>()
  for (const [name] of pairs) counts.set(name, (counts.get(name) ?? 0) + 1)
  const repeated = [...counts].filter(([, count]) => count > 1).map(([name]) => name)
  if (repeated.length > 0) return { repeated: repeated.sort() }
  return { fields: Object.fromEntries(pairs) }
}

/** Names a query string may hold besides the input's: ignored, unless given twice. */
const unknownNameArb = fc.oneof(
  fc.constantFrom('reason', 'operation', 'x', '', 'OPENID', 'openid ', 'appid[]', 'sub-appid'),
  // Names every JavaScript object has: a query string is not an object's prototype.
  fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'),
  fc.string({ maxLength: 8 }),
)

const asText = (value: unknown) =>
  typeof value === 'string'
    ? value
    : typeof value === 'object' || value === undefined
      ? undefined
      : String(value)

/**
 * A query string carrying `input` (strings as they are, numbers and booleans as text, null and
 * objects left out), in any order, with unknown parameters, and now and then one given twice.
 */
export function queryCaseArb(inputArb: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<QueryCase> {
  return fc
    .tuple(
      inputArb,
      fc.array(fc.tuple(unknownNameArb, fc.string({ maxLength: 6 })), { maxLength: 2 }),
      // One time in eight, a parameter given twice (the same value or another).
      fc.oneof(
        { weight: 7, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.boolean(), fc.string({ maxLength: 4 })) },
      ),
      fc.constantFrom(...QUERY_ENCODINGS),
    )
    .chain(([input, unknown, repeat, encoding]) => {
      const pairs: Array<[string, string]> = [
        ...Object.entries(input).flatMap(([name, value]): Array<[string, string]> => {
          const text = asText(value)
          return text === undefined ? [] : [[name, text]]
        }),
        ...unknown,
      ]
      if (repeat && pairs.length > 0) {
        const [index, same, other] = repeat
        const [name, value] = pairs[index % pairs.length]!
        pairs.push([name, same ? value : other])
      }
      return fc
        .shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length })
        .map((shuffled) => ({ pairs: shuffled, encoding }))
    })
}
