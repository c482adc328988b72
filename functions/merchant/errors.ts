import type { WechatPayError } from '../wechatpay/errors.ts'

export type CredentialsErrorCode =
  /** The secret does not exist (wrong MERCHANT_SECRET_ID). */
  | 'SECRET_NOT_FOUND'
  /** IAM or KMS refused: the function may not read or decrypt the secret. */
  | 'SECRET_ACCESS_DENIED'
  /** Secrets Manager throttled, failed or was unreachable: worth retrying. */
  | 'SECRET_UNAVAILABLE'
  /** The SecretString is not a JSON object. */
  | 'SECRET_MALFORMED'
  /** A field is missing or holds something unusable (the field is named). */
  | 'SECRET_INVALID'

/** The merchant credentials could not be had. Never carries secret values, only field names. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError'
  readonly code: CredentialsErrorCode
  readonly field: string | undefined
  /** Set when this was met refreshing the secret after WeChat refused our signature: that refusal. */
  readonly refused: WechatPayError | undefined

  constructor(
    code: CredentialsErrorCode,
    message: string,
    options: { field?: string | undefined; cause?: unknown; refused?: WechatPayError } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options.field
    this.refused = options.refused
  }

  /** The same problem, met while refreshing the secret after `refused`. */
  after(refused: WechatPayError): CredentialsError {
    return new CredentialsError(this.code, this.message, { field: this.field, cause: this.cause, refused })
  }

  /** Transient faults may pass; the others need an operator. */
  get transient(): boolean {
    return this.code === 'SECRET_UNAVAILABLE'
  }
}
