import type { WechatPayErrorCode } from '../wechatpay/errors.ts'

/** Why a notification was not turned into an event. Callers branch on `code`, never on message text. */
export type NotificationErrorCode =
  /** The Wechatpay-* headers or the signature did not verify (`reason` says which check). */
  | 'UNVERIFIED'
  /** The signature verified but the resource's AEAD tag did not: altered, or another APIv3 key. */
  | 'UNDECRYPTABLE'
  /** The signed body is not the envelope WeChat sends (`field` names what is wrong). */
  | 'MALFORMED_ENVELOPE'
  /** `resource.algorithm` is not AEAD_AES_256_GCM. */
  | 'UNSUPPORTED_ALGORITHM'
  /** The decrypted resource is not what its event type carries (`field` names what is wrong). */
  | 'MALFORMED_RESOURCE'

/**
 * What a failure means for the answer WeChat gets, one class per code (the HTTP status is the
 * handler's to choose):
 * - `unauthenticated`: nothing says WeChat sent it; nothing of it is used (an attack, a replay, or a
 *   key we do not hold). WeChat sends a genuine one again.
 * - `malformed`: WeChat's signature holds but we cannot read what it signed; a retry will not change it.
 */
export type NotificationErrorClass = 'unauthenticated' | 'malformed'

export const NOTIFICATION_ERROR_CLASSES: Readonly<Record<NotificationErrorCode, NotificationErrorClass>> = {
  UNVERIFIED: 'unauthenticated',
  UNDECRYPTABLE: 'unauthenticated',
  MALFORMED_ENVELOPE: 'malformed',
  UNSUPPORTED_ALGORITHM: 'malformed',
  MALFORMED_RESOURCE: 'malformed',
}

export class NotificationError extends Error {
  override readonly name = 'NotificationError'
  readonly code: NotificationErrorCode
  /** The WeChat Pay check that failed (e.g. TIMESTAMP_SKEW, DECRYPTION_FAILED), for logs and metrics. */
  readonly reason: WechatPayErrorCode | undefined
  /** The envelope or resource field at fault, e.g. `resource.nonce`; never its value. */
  readonly field: string | undefined

  constructor(
    code: NotificationErrorCode,
    message: string,
    options: { reason?: WechatPayErrorCode; field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.reason = options.reason
    this.field = options.field
  }

  get errorClass(): NotificationErrorClass {
    return NOTIFICATION_ERROR_CLASSES[this.code]
  }
}
