/**
 * The one place the command line borrows the service's own rules: what a valid invoke event is, and
 * how an identifier is masked. A row the service would refuse is refused here first, so it costs no
 * call; the rules are imported, never copied, so the two cannot drift apart.
 */
import {
  type InputIssue,
  InvalidRequestError,
  parseQueryInput,
  parseTerminateInput,
} from '../functions/authorizations/request.ts'
import { maskCode } from '../functions/runtime/mask.ts'

export type { InputIssue }
export { maskCode }

export type Mode = 'partner' | 'direct'
export type Operation = 'terminate' | 'query'

/** Exactly one of these names the authorization (issue 9, "The contract"). */
export const IDENTIFICATIONS = ['authorization_code', 'openid', 'sub_openid'] as const

/** Every field of the invoke function's input, in the order a summary shows them. */
export const INPUT_FIELDS = [
  ...IDENTIFICATIONS,
  'appid',
  'sub_appid',
  'service_id',
  'sub_mchid',
  'reason',
] as const

export type InputField = (typeof INPUT_FIELDS)[number]
export type InputFields = Partial<Record<InputField, string>>

/**
 * The event sent to the invoke function: the fields given (an empty value is no value), and
 * `"operation": "query"` for a query; a terminate sends no `operation` (absent means terminate).
 */
export function invokeEvent(fields: InputFields, operation: Operation): Record<string, string> {
  const event: Record<string, string> = operation === 'query' ? { operation: 'query' } : {}
  for (const field of INPUT_FIELDS) {
    const value = fields[field]
    if (value !== undefined && value !== '') event[field] = value
  }
  return event
}

/** What the service would refuse in this event (nothing when it is valid), by its own parser. */
export function inputIssues(event: Record<string, string>, operation: Operation, mode: Mode): InputIssue[] {
  try {
    if (operation === 'query') parseQueryInput(event, mode)
    else parseTerminateInput(event, mode)
    return []
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error
    return [...error.issues]
  }
}

/**
 * Fields every event needs besides the identification, as the service's parser says for an empty
 * event: a bulk file must have each as a column or a flag.
 */
export function requiredFields(operation: Operation, mode: Mode): InputField[] {
  const named = new Set(inputIssues({}, operation, mode).map((issue) => issue.path))
  return INPUT_FIELDS.filter(
    (field) => named.has(field) && !(IDENTIFICATIONS as readonly string[]).includes(field),
  )
}

/** `path: message` for each issue, as the CLI prints them and RESULTS.csv's `error` holds them. */
export function describeIssues(issues: readonly InputIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')
}
