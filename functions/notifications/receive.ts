/**
 * WeChat -> us: a notification as it arrived (raw body, headers) -> the event to publish, or a
 * NotificationError saying why not. Verified exactly as WeChat's answers are (the same verifier:
 * headers once each and well-formed, clock, serial, probes, signature, replays), then decrypted with
 * the APIv3 key, the tag checked, then normalized. No Lambda types, no HTTP statuses.
 */
import type { KeyObject } from 'node:crypto'
import { type CredentialStore, type Merchant, RETRY_PAUSE_MS } from '../merchant/credentials.ts'
import { CredentialsError } from '../merchant/errors.ts'
import { beforeDeadline, newerKeysMayVerify, newerVersion } from '../merchant/rotation.ts'
import type { MerchantKeys } from '../merchant/secret.ts'
import { decryptResource } from '../wechatpay/aead.ts'
import { WechatPayError } from '../wechatpay/errors.ts'
import type { HeaderSource, VerifiedResponse, Verifier } from '../wechatpay/verifier.ts'
import { type Envelope, readEnvelope } from './envelope.ts'
import { NotificationError } from './errors.ts'
import { type Notification, normalize } from './normalize.ts'

/** What one secret version gives the notification function: WeChat's keys and the APIv3 key. */
export interface NotificationKeys {
  verifier: Pick<Verifier, 'verify' | 'remember'>
  apiv3Key: KeyObject
}

/** A notification as API Gateway hands it over: the raw body (base64 already decoded) and the headers. */
export interface ArrivedNotification {
  body: string
  /** Looked up by WeChat's spelling (`Wechatpay-Timestamp`): the source must ignore case. */
  headers: HeaderSource
}

/**
 * The credential store's `build` for the notification function: a secret without `apiv3_key` is
 * unusable here (SECRET_INVALID naming the field), though the other functions accept it.
 */
export function notificationKeys(keys: MerchantKeys): NotificationKeys {
  return { verifier: keys.verifier, apiv3Key: keys.apiv3Key() }
}

/**
 * Verifies exactly as an answer is verified, except that the nonce is not yet remembered: a
 * notification counts as received only once its event is published (Received.remember), so that
 * WeChat sending the same request again after our 500 is not refused as a replay.
 * Throws NotificationError UNVERIFIED (`reason`: the failed check, `cause`: the WechatPayError).
 */
export function verifyNotification(
  arrived: ArrivedNotification,
  verifier: NotificationKeys['verifier'],
): VerifiedResponse {
  try {
    return verifier.verify(arrived.headers, arrived.body, { remember: false })
  } catch (error) {
    if (!(error instanceof WechatPayError)) throw error
    throw new NotificationError('UNVERIFIED', `notification not verified: ${error.message}`, {
      reason: error.code,
      cause: error,
    })
  }
}

/** Decrypts and normalizes a verified envelope. Throws NotificationError UNDECRYPTABLE or MALFORMED_RESOURCE. */
export function openEnvelope(envelope: Envelope, apiv3Key: KeyObject): Notification {
  let plaintext: Buffer
  try {
    plaintext = decryptResource(apiv3Key, envelope.resource)
  } catch (error) {
    // INVALID_KEY is our configuration's fault, not the sender's: it goes up as it is.
    if (!(error instanceof WechatPayError) || error.code !== 'DECRYPTION_FAILED') throw error
    throw new NotificationError('UNDECRYPTABLE', `notification not decrypted: ${error.message}`, {
      reason: error.code,
      cause: error,
    })
  }
  try {
    return normalize(envelope, plaintext)
  } finally {
    plaintext.fill(0)
  }
}

/** A verified, decrypted, normalized notification, and how to mark it received once passed on. */
export interface Received {
  notification: Notification
  /** Remembers its nonce (a replay is then refused): call once its event was accepted. */
  remember(): void
}

export interface NotificationReceiver {
  /**
   * The event for `arrived`. Throws NotificationError (UNVERIFIED, UNDECRYPTABLE: unauthenticated;
   * MALFORMED_*, UNSUPPORTED_ALGORITHM: malformed), or CredentialsError when the secret cannot be had
   * at all (nothing was verified).
   */
  receive(arrived: ArrivedNotification, deadline: number): Promise<Received>
}

export interface ReceiverOptions {
  clock?: () => number
  /** After a refresh that found no newer version, how long notifications wait before asking again. */
  refreshPauseMs?: number
}

/**
 * The whole path with the secret's current version, following key rotation with at most one refresh
 * of the secret per notification (merchant/rotation.ts, as for WeChat's answers):
 * - signed with a serial our keys do not know, or a signature that fails: verified again with the
 *   new version's keys;
 * - verified, but the tag fails: the merchant may have set a new APIv3 key; decrypted again with the
 *   new version's key (not verified again: the signature held).
 * A refresh that finds no new version, or fails, leaves the first failure as the answer. Unlike
 * WeChat's answers, anyone can send a notification: after a refresh found nothing newer, none is
 * tried for `refreshPauseMs`, so that forged serials cannot turn into one GetSecretValue each.
 */
export function createNotificationReceiver(
  merchants: CredentialStore<NotificationKeys>,
  { clock = Date.now, refreshPauseMs = RETRY_PAUSE_MS }: ReceiverOptions = {},
): NotificationReceiver {
  /** The version a refresh last failed to replace, and when. */
  let fruitless: { version: string; at: number } | undefined

  async function newer(stale: Merchant<NotificationKeys>, deadline: number) {
    if (fruitless?.version === stale.version && clock() - fruitless.at < refreshPauseMs) return undefined
    let fresh: Merchant<NotificationKeys> | undefined
    try {
      fresh = await newerVersion(merchants, stale, deadline)
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error
    }
    if (!fresh) fruitless = { version: stale.version, at: clock() }
    return fresh
  }

  return {
    async receive(arrived, deadline) {
      let merchant = await beforeDeadline(merchants.get(), deadline)
      let refreshed = false
      let verified: VerifiedResponse
      try {
        verified = verifyNotification(arrived, merchant.value.verifier)
      } catch (error) {
        if (!(error instanceof NotificationError) || !newerKeysMayVerify(error.cause)) throw error
        refreshed = true
        const fresh = await newer(merchant, deadline)
        if (!fresh) throw error
        merchant = fresh
        verified = verifyNotification(arrived, merchant.value.verifier)
      }
      const { verifier } = merchant.value
      const received = (notification: Notification): Received => ({
        notification,
        remember: () => verifier.remember(verified),
      })
      const envelope = readEnvelope(arrived.body)
      try {
        return received(openEnvelope(envelope, merchant.value.apiv3Key))
      } catch (error) {
        if (!(error instanceof NotificationError) || error.code !== 'UNDECRYPTABLE' || refreshed) throw error
        const fresh = await newer(merchant, deadline)
        if (!fresh) throw error
        return received(openEnvelope(envelope, fresh.value.apiv3Key))
      }
    },
  }
}
