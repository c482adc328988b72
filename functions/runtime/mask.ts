/**
 * Authorization codes and openids identify a user's authorization: logs keep a quarter of each end,
 * at most 4 characters, enough to correlate with the caller's records and not enough to reuse.
 */
export function maskCode(value: string): string
export function maskCode(value: unknown): string | null
export function maskCode(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'string') return '[not a string]'
  // Nothing valid is this long (codes 32, openids 128): invalid input, shown by its length only.
  if (value.length > 128) return `[${value.length} characters]`
  const shown = Math.min(4, Math.floor(value.length / 4))
  return shown === 0
    ? '*'.repeat(value.length)
    : `${value.slice(0, shown)}${'*'.repeat(value.length - 2 * shown)}${value.slice(-shown)}`
}

/**
 * What a log may show as it is: ids that are the merchant's, not a person's, and only in their own
 * form (an input that failed its rules may hold anything there: an openid in appid, megabytes).
 */
const SHOWN_AS_IS: Record<string, RegExp> = {
  service_id: /^\d{1,32}$/,
  sub_mchid: /^\d{1,32}$/,
  appid: /^wx[0-9A-Za-z]{16}$/,
  sub_appid: /^wx[0-9A-Za-z]{16}$/,
}

/** The identifying fields of an input or outcome as logs may hold them: personal ids masked. */
export function loggedIdentity(value: unknown) {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  const shown = (field: string) => {
    const given = record[field]
    if (given === undefined || given === null) return undefined
    return typeof given === 'string' && SHOWN_AS_IS[field]!.test(given) ? given : maskCode(given)
  }
  return {
    authorization_code: maskCode(record.authorization_code) ?? undefined,
    openid: maskCode(record.openid) ?? undefined,
    sub_openid: maskCode(record.sub_openid) ?? undefined,
    service_id: shown('service_id'),
    appid: shown('appid'),
    sub_mchid: shown('sub_mchid'),
    sub_appid: shown('sub_appid'),
  }
}
