/**
 * Edits of a notification on its way: of each header (its value or its presence), of the body's
 * text, and of the encrypted resource (then signed again by WeChat, so that only the AEAD tag can
 * tell). Each takes its position and character from fast-check.
 */
import fc from 'fast-check'
import { junkTextArb } from './inputs.ts'

export const SIGNATURE_HEADERS = [
  'wechatpay-timestamp',
  'wechatpay-nonce',
  'wechatpay-signature',
  'wechatpay-serial',
]
/** Headers the verification must not depend on. */
export const OTHER_HEADERS = ['wechatpay-signature-type', 'request-id', 'content-type']

const ALPHABETS: Record<string, string> = {
  'wechatpay-timestamp': '0123456789',
  'wechatpay-nonce': '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  'wechatpay-signature': 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
  'wechatpay-serial': '0123456789ABCDEF',
}

/** One edit of a header's value, or of its presence; `at` and `char` place it. */
export const headerEditArb = fc.record({
  edit: fc.constantFrom(
    'drop',
    'empty',
    'repeat',
    'repeat, spaced',
    'pad',
    'lower',
    'upper',
    'replace a character',
    'insert a character',
    'delete a character',
    'truncate',
    'shift the timestamp',
    'another serial',
    'name in capitals',
  ),
  at: fc.nat(),
  char: fc.nat(),
  seconds: fc.integer({ min: -300, max: 300 }).filter((seconds) => seconds !== 0),
})
export type HeaderEdit = typeof headerEditArb extends fc.Arbitrary<infer T> ? T : never

/** `headers` (lower-cased names) with `name` edited: a new object. */
export function editHeader(
  headers: Record<string, string | undefined>,
  name: string,
  { edit, at, char, seconds }: HeaderEdit,
) {
  const edited = { ...headers }
  const value = headers[name] ?? ''
  const alphabet = ALPHABETS[name] ?? 'abcXYZ019-'
  const position = at % (value.length + 1)
  const letter = alphabet[char % alphabet.length]!
  const set = (text: string) => {
    edited[name] = text
  }
  if (edit === 'drop') delete edited[name]
  else if (edit === 'empty') set('')
  else if (edit === 'repeat') set(`${value},${value}`)
  else if (edit === 'repeat, spaced') set(`${value}, ${value}`)
  else if (edit === 'pad') set(at % 2 ? ` ${value}` : `${value} `)
  else if (edit === 'lower') set(value.toLowerCase())
  else if (edit === 'upper') set(value.toUpperCase())
  else if (edit === 'replace a character') set(value.slice(0, position) + letter + value.slice(position + 1))
  else if (edit === 'insert a character') set(value.slice(0, position) + letter + value.slice(position))
  else if (edit === 'delete a character') set(value.slice(0, position) + value.slice(position + 1))
  else if (edit === 'truncate') set(value.slice(0, position))
  else if (edit === 'shift the timestamp') set(String(Number(value) + seconds))
  else if (edit === 'another serial')
    set(at % 2 ? `PUB_KEY_ID_${String(at).padStart(20, '0')}` : 'D7CE59D1F522D701')
  else {
    delete edited[name]
    edited[name.replace(/(^|-)[a-z]/g, (start) => start.toUpperCase())] = value
  }
  return edited
}

export const bodyEditArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ edit: 'none' as const, at: 0, text: '' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      edit: fc.constantFrom('cut' as const, 'replace' as const, 'append' as const),
      at: fc.nat(),
      text: fc.oneof(fc.string({ minLength: 1, maxLength: 3 }), junkTextArb),
    }),
  },
)
export type BodyEdit = typeof bodyEditArb extends fc.Arbitrary<infer T> ? T : never

export function editBody(body: string, { edit, at, text }: BodyEdit): string {
  const position = at % (body.length + 1)
  if (edit === 'cut') return body.slice(0, position)
  if (edit === 'replace') return body.slice(0, position) + text + body.slice(position + 1)
  if (edit === 'append') return body + text
  return body
}

/** Which part of the encrypted resource a tampering changes, and where. */
export const resourceTamperArb = fc.record({
  field: fc.constantFrom('ciphertext', 'tag', 'nonce', 'associated_data'),
  at: fc.nat(),
  mask: fc.integer({ min: 1, max: 255 }),
})
export type ResourceTamper = typeof resourceTamperArb extends fc.Arbitrary<infer T> ? T : never

/**
 * `body` with one byte of its ciphertext or tag flipped, one character of its nonce changed, or a
 * character added to its associated data: what only the AEAD tag can catch once WeChat's signature
 * is made anew over it.
 */
export function tamperResource(body: string, { field, at, mask }: ResourceTamper): string {
  const envelope = JSON.parse(body) as { resource: Record<string, string | undefined> }
  const resource = envelope.resource
  if (field === 'ciphertext' || field === 'tag') {
    const sealed = Buffer.from(resource.ciphertext!, 'base64')
    const length = sealed.length - 16
    // The last 16 bytes are the tag; the rest (possibly none) the ciphertext proper.
    const index = field === 'tag' || length === 0 ? length + (at % 16) : at % length
    sealed[index]! ^= mask
    resource.ciphertext = sealed.toString('base64')
  } else if (field === 'nonce') {
    const nonce = resource.nonce!
    const index = at % nonce.length
    // Another printable character: 1 to 93 places further along the 94 of them.
    const changed = String.fromCharCode(((nonce.charCodeAt(index) - 33 + 1 + (mask % 93)) % 94) + 33)
    resource.nonce = nonce.slice(0, index) + changed + nonce.slice(index + 1)
  } else {
    resource.associated_data = `${resource.associated_data ?? ''}${String.fromCharCode(33 + (mask % 94))}`
  }
  return JSON.stringify(envelope)
}
