/**
 * What WeChat accepts in each field, as the issue text a PARAM_ERROR reports (undefined: fine).
 * Presence is checked by the caller; these rules see only values that were given.
 */

export type Rule = (value: unknown) => string | undefined

const CONTROL = /\p{Cc}/u
const MAX_REASON_CHARACTERS = 50

function pattern(regex: RegExp, description: string): Rule {
  return (value) => (typeof value === 'string' && regex.test(value) ? undefined : `must be ${description}`)
}

/** service_id, sub_mchid */
export const digits = pattern(/^[0-9]{1,32}$/, '1..32 digits')

/** `*` is allowed: WeChat's codes may contain it (in a path raw or as %2A: the same code either way). */
export const authorizationCode = pattern(/^[0-9A-Za-z_*-]{1,32}$/, '1..32 characters of [0-9A-Za-z_*-]')

/** openid, sub_openid: WeChat's are 28 base64url-like characters; the documented bound is 128. */
export const openid = pattern(/^[0-9A-Za-z_-]{1,128}$/, '1..128 characters of [0-9A-Za-z_-]')

/** appid, sub_appid: `wx` and 16 hex digits in practice; the documented bound is 32. */
export const appid = pattern(/^[0-9A-Za-z_-]{1,32}$/, '1..32 characters of [0-9A-Za-z_-]')

/** APIv3 takes UTF-8 characters of 1 to 3 bytes only: no emoji (4 bytes), no lone surrogates. */
export const reason: Rule = (value) => {
  if (typeof value !== 'string') return 'must be a string'
  const characters = [...value]
  if (!value.isWellFormed() || characters.some((c) => c.codePointAt(0)! > 0xffff)) {
    return 'must not contain 4-byte UTF-8 characters'
  }
  if (CONTROL.test(value)) return 'must not contain control characters'
  if (characters.length < 1 || characters.length > MAX_REASON_CHARACTERS) return 'must be 1..50 characters'
  return undefined
}
