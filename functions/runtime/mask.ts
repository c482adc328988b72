/**
 * Authorization codes and openids identify a user's authorization: logs keep a quarter of each end,
 * at most 4 characters, enough to correlate with the caller's records and not enough to reuse.
 */
export function maskCode(value: string): string
export function maskCode(value: unknown): string | null
export function maskCode(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'string') return '[not a string]'
  const shown = Math.min(4, Math.floor(value.length / 4))
  return shown === 0
    ? '*'.repeat(value.length)
    : `${value.slice(0, shown)}${'*'.repeat(value.length - 2 * shown)}${value.slice(-shown)}`
}
