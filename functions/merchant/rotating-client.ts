import type { CallOptions, WechatPayCaller, WechatPayClient } from '../wechatpay/client.ts'
import { WechatPayError } from '../wechatpay/errors.ts'
import type { CredentialStore, Merchant } from './credentials.ts'
import { CredentialsError } from './errors.ts'
import { beforeDeadline, newerKeysMayVerify, newerVersion } from './rotation.ts'

/**
 * The WeChat Pay client of the merchant secret's current version, following key rotation on both
 * sides with one refresh of the secret per call (shared by concurrent callers):
 * - WeChat refused our signature (401 SIGN_ERROR: the merchant's API key changed): the request is
 *   sent again, signed with the new version's key;
 * - a 2xx signed with a serial our keys do not know, or whose signature fails (WeChat's public key
 *   or platform certificate changed): the same answer is verified again with the new version's keys,
 *   never sent again.
 * Secrets Manager gets no more time than the call has: past the deadline it is a transient fault.
 * Throws CredentialsError when the secret cannot be had (nothing was sent), or when the refresh after
 * SIGN_ERROR failed (`refused` holds WeChat's refusal).
 */
export function createRotatingClient(merchants: CredentialStore<WechatPayClient>): WechatPayCaller {
  return {
    async call(method, path, options) {
      let merchant = merchants.fresh() ?? (await beforeDeadline(merchants.get(), options.deadline))
      let attempts = 0
      for (let refreshed = false; ; refreshed = true) {
        try {
          const answer = await merchant.value.call(method, path, options)
          return { ...answer, attempts: attempts + answer.attempts }
        } catch (error) {
          if (!(error instanceof WechatPayError)) throw error
          attempts += error.attempts ?? 0
          const counted = error.withAttempts(attempts)
          const after = refreshed ? undefined : rotationAfter(error)
          if (!after) throw counted
          const fresh = await newVersion(
            merchants,
            merchant,
            options,
            after === 'resend' ? counted : undefined,
          )
          if (!fresh) throw counted
          merchant = fresh
          if (after === 'verify again') return fresh.value.verify(error.response!, attempts)
        }
      }
    },
  }
}

type Rotation = 'resend' | 'verify again'

/** https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay2_0.shtml: 401 SIGN_ERROR, refresh then fail. */
function rotationAfter(error: WechatPayError): Rotation | undefined {
  if (error.code === 'HTTP_ERROR' && error.status === 401 && error.wechatCode === 'SIGN_ERROR')
    return 'resend'
  if (newerKeysMayVerify(error) && error.response) return 'verify again'
  return undefined
}

/**
 * Another secret version than `stale`, or undefined when Secrets Manager still holds `stale`. A
 * refresh that fails is the caller's answer only after SIGN_ERROR (`refused`): a 2xx that could not
 * be verified is then settled as unverified, whatever became of the refresh.
 */
async function newVersion(
  merchants: CredentialStore<WechatPayClient>,
  stale: Merchant<WechatPayClient>,
  { deadline }: Pick<CallOptions, 'deadline'>,
  refused: WechatPayError | undefined,
): Promise<Merchant<WechatPayClient> | undefined> {
  try {
    return await newerVersion(merchants, stale, deadline)
  } catch (error) {
    if (!(error instanceof CredentialsError)) throw error
    if (refused) throw error.after(refused)
    return undefined
  }
}
