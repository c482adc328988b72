import * as v from 'valibot'
import { AUTHORIZATION_CODE } from '../wechatpay/operations.ts'

/**
 * The input every entry point accepts, with WeChat's rules, checked before anything reaches WeChat.
 * Unknown fields are ignored so that producers can add their own (EventBridge detail, tracing ids).
 */
const digits = (field: string) =>
  v.pipe(v.string(`${field} must be a string`), v.regex(/^\d{1,32}$/, `${field} must be 1 to 32 digits`))

const schema = v.object({
  authorization_code: v.pipe(
    v.string('authorization_code must be a string'),
    v.regex(AUTHORIZATION_CODE, 'authorization_code must be 1 to 32 characters of 0-9, A-Z, a-z, _, - and *'),
  ),
  service_id: digits('service_id'),
  sub_mchid: digits('sub_mchid'),
  reason: v.pipe(
    v.string('reason must be a string'),
    v.minLength(1, 'reason must not be empty'),
    // APIv3 accepts UTF-8 characters of 1 to 3 bytes only; lone surrogates cannot be encoded at all.
    v.check(
      (text) => !/[\u{10000}-\u{10FFFF}\p{Cs}]/u.test(text),
      'reason must not contain emoji or other 4-byte UTF-8 characters',
    ),
    v.check((text) => !/\p{Cc}/u.test(text), 'reason must not contain control characters'),
    v.maxLength(50, 'reason must be at most 50 characters'),
    v.check((text) => text.trim() !== '', 'reason must not be blank'),
  ),
})

export type TerminateInput = v.InferOutput<typeof schema>

export interface InputIssue {
  path: string
  message: string
}

/** Invalid input: every bad field is listed; nothing was sent to WeChat. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError'
  readonly issues: readonly InputIssue[]

  constructor(issues: readonly InputIssue[]) {
    super(`invalid request: ${issues.map((issue) => issue.message).join('; ')}`)
    this.issues = issues
  }
}

/** Returns the checked input or throws InvalidRequestError naming every bad field (one issue each). */
export function parseTerminateInput(input: unknown): TerminateInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError([{ path: '', message: 'the request must be a JSON object' }])
  }
  const result = v.safeParse(schema, input, { abortPipeEarly: true })
  if (result.success) return result.output
  const issues = result.issues.map((issue) => ({
    path: v.getDotPath(issue) ?? '',
    message: issue.received === 'undefined' ? `${v.getDotPath(issue)} is required` : issue.message,
  }))
  throw new InvalidRequestError(issues)
}
