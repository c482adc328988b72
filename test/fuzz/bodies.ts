/**
 * HTTP bodies for fuzzing an API Gateway (payload 2.0) entry point: the text, the ways API Gateway
 * may carry it (plain or base64, faithfully or not), and what the function must make of it. A route
 * with its own input and body limit reuses all of it: `bodyArb(itsInputArb, itsLimit)`, then
 * `withBody` and `expectBody` with the same limit.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import fc from 'fast-check'
import { anyJsonArb, junkTextArb } from './inputs.ts'

/** How the body travels: faithful encodings decode to the text; mismatches never can. */
export const ENCODINGS = [
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
export type Encoding = (typeof ENCODINGS)[number]

/** An encoding plus what the unfaithful ones need: junk to insert, random text, bytes to cut. */
export const carriageArb = fc.record({
  // Plain most of the time so that plenty of inputs are valid.
  encoding: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Encoding>('plain') },
    { weight: 9, arbitrary: fc.constantFrom(...ENCODINGS) },
  ),
  junk: fc.constantFrom('!', '.', ' ', '\n', '#', '$(', ';~', '"'),
  garbage: fc.oneof(fc.base64String({ maxLength: 200 }), fc.string({ maxLength: 100 }), junkTextArb),
  cut: fc.nat({ max: 12 }),
})
export type Carriage = typeof carriageArb extends fc.Arbitrary<infer T> ? T : never

function encode(text: string, { encoding, junk, garbage, cut }: Carriage) {
  const base64 = Buffer.from(text).toString('base64')
  switch (encoding) {
    case 'plain':
      return { body: text, isBase64Encoded: false }
    case 'plain, isBase64Encoded absent':
      return { body: text }
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

/** `event` with the body `text` (undefined: no body at all) carried as `carriage` says. */
export function withBody(
  event: APIGatewayProxyEventV2,
  text: string | undefined,
  carriage: Carriage,
): APIGatewayProxyEventV2 {
  const encoded = encode(text ?? '', carriage)
  const { isBase64Encoded: _, ...rest } = event
  return {
    ...rest,
    ...encoded,
    body: text === undefined && carriage.encoding.startsWith('plain') ? undefined : encoded.body,
  } as APIGatewayProxyEventV2
}

const BOM = '\ufeff'

/**
 * Body texts: the JSON of an input (compact, pretty, after a byte order mark), sized around `limit`,
 * any JSON, junk, far too large, or none.
 */
export function bodyArb(inputArb: fc.Arbitrary<object>, limit: number): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 16, arbitrary: inputArb.map((input) => JSON.stringify(input)) },
    { weight: 2, arbitrary: inputArb.map((input) => `\n ${JSON.stringify(input, null, 2)}\t `) },
    { weight: 2, arbitrary: inputArb.map((input) => `${BOM}${JSON.stringify(input)}`) },
    {
      weight: 2,
      arbitrary: fc.tuple(inputArb, fc.constantFrom(-1, 0, 1), fc.boolean()).map(([input, delta, bom]) => {
        const prefix = bom ? BOM : ''
        const base = prefix + JSON.stringify({ ...input, padding: '' })
        const padding = 'x'.repeat(limit + delta - Buffer.byteLength(base))
        return prefix + JSON.stringify({ ...input, padding })
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(limit * 6, limit * 90).map((size) => '{"a":"'.padEnd(size, 'x')),
    },
    { weight: 2, arbitrary: anyJsonArb.map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: junkTextArb },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )
}

/** What the function must make of a body; undefined when the carriage makes it unknowable. */
export type BodyVerdict = 'too large' | 'not a JSON object' | Record<string, unknown> | undefined

/**
 * The README's rules restated: at most `limit` bytes as the client sent them (base64 decoded,
 * a byte order mark counted), one leading byte order mark ignored, then a JSON object.
 */
export function expectBody(text: string | undefined, carriage: Carriage, limit: number): BodyVerdict {
  const { body = '', isBase64Encoded } = encode(text ?? '', carriage)
  const received = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body)
  if (received.length > limit) return 'too large'
  switch (carriage.encoding) {
    case 'random text flagged as base64':
    case 'truncated base64':
      return undefined
    case 'plain text flagged as base64':
    case 'base64 not flagged':
      return 'not a JSON object'
  }
  // Base64 carries the text's UTF-8 bytes: a lone surrogate arrives as U+FFFD.
  const sent = carriage.encoding.startsWith('plain') ? (text ?? '') : Buffer.from(text ?? '').toString()
  let parsed: unknown
  try {
    parsed = JSON.parse(sent.startsWith(BOM) ? sent.slice(1) : sent)
  } catch {
    return 'not a JSON object'
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : 'not a JSON object'
}
