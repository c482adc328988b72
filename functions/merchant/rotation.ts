import { WechatPayError } from '../wechatpay/errors.ts'
import type { CredentialStore, Merchant } from './credentials.ts'
import { CredentialsError } from './errors.ts'

/**
 * What WeChat signed (an answer, or a notification) failed verification in a way that keys newer
 * than ours may fix: its serial is one we do not know (WeChat's new public key or platform
 * certificate), or its signature fails (a new key under the same id). Only then is the secret read
 * again, once, and the same message verified with the new version's keys: never sent again. The
 * other failures (clock, headers, probes, replays) are the message's own, and no key can fix them.
 */
export function newerKeysMayVerify(error: unknown): error is WechatPayError {
  return (
    error instanceof WechatPayError && (error.code === 'UNKNOWN_SERIAL' || error.code === 'BAD_SIGNATURE')
  )
}

/**
 * Another secret version than `stale`, read before `deadline`; undefined when Secrets Manager still
 * holds `stale`. Rejects with CredentialsError when the secret cannot be read in time or the new
 * version is unusable: what that means is the caller's to say.
 */
export async function newerVersion<T>(
  merchants: CredentialStore<T>,
  stale: Merchant<T>,
  deadline: number,
): Promise<Merchant<T> | undefined> {
  const fresh = await beforeDeadline(merchants.refresh(stale), deadline)
  return fresh.version === stale.version ? undefined : fresh
}

/** `work`, or SECRET_UNAVAILABLE (transient) at `deadline`: Secrets Manager gets no more time than the call has. */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CredentialsError('SECRET_UNAVAILABLE', 'Secrets Manager did not answer before the deadline'),
        ),
      Math.max(0, deadline - Date.now()),
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
