import type { KeyObject } from 'node:crypto'
import { apiV3Key } from '../wechatpay/aead.ts'
import { WechatPayError } from '../wechatpay/errors.ts'
import { createSigner, loadPrivateKey, type Signer } from '../wechatpay/signer.ts'
import { createVerifier, type Verifier } from '../wechatpay/verifier.ts'
import { CredentialsError } from './errors.ts'

/**
 * The merchant secret's JSON (SecretString), documented in the README:
 * the service provider's own mchid, API certificate serial and private key, plus the WeChat Pay
 * public key (id + PEM) and/or platform certificates to verify WeChat's answers, and the APIv3 key
 * that decrypts WeChat's notifications (only the notification function needs it).
 */
export interface MerchantSecret {
  mchid: string
  merchant_serial_no: string
  merchant_private_key: string
  wechatpay_public_key_id?: string
  wechatpay_public_key?: string
  platform_certificates?: string[]
  apiv3_key?: string
}

export interface MerchantKeys {
  signer: Signer
  verifier: Verifier
  /**
   * The APIv3 key that WeChat's notifications are encrypted with, as a secret KeyObject no log line
   * can print. Only the notification function
   * needs it, so only it asks: a secret without one, or with one that is not 32 printable ASCII
   * characters, is unusable there (SECRET_INVALID naming `apiv3_key`), never for the other functions.
   */
  apiv3Key(): KeyObject
}

/**
 * Parses and checks the secret once, turning every PEM into a KeyObject at once so that no later
 * log line can print key text. Errors name the field and never echo its value.
 */
export function parseMerchantSecret(secretString: string, clock?: () => number): MerchantKeys {
  let json: unknown
  try {
    json = JSON.parse(secretString)
  } catch (cause) {
    throw new CredentialsError('SECRET_MALFORMED', 'the merchant secret is not valid JSON', { cause })
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CredentialsError('SECRET_MALFORMED', 'the merchant secret must be a JSON object')
  }
  const secret = json as Record<string, unknown>
  const mchid = requiredString(secret, 'mchid')
  const serialNo = requiredString(secret, 'merchant_serial_no')
  const privateKeyPem = requiredString(secret, 'merchant_private_key')
  const publicKeyId = optionalString(secret, 'wechatpay_public_key_id')
  const publicKeyPem = optionalString(secret, 'wechatpay_public_key')
  const certificates = optionalCertificates(secret)
  if ((publicKeyId === undefined) !== (publicKeyPem === undefined)) {
    const missing = publicKeyId === undefined ? 'wechatpay_public_key_id' : 'wechatpay_public_key'
    throw invalid(missing, `${missing} is required when the other WeChat Pay public key field is set`)
  }
  if (publicKeyId === undefined && certificates === undefined) {
    throw invalid(
      'wechatpay_public_key',
      'the merchant secret needs wechatpay_public_key_id + wechatpay_public_key, platform_certificates, or both',
    )
  }
  if (!/^\d{1,32}$/.test(mchid))
    throw invalid(
      'mchid',
      'mchid must be the merchant id (in partner mode the service provider), 1 to 32 digits',
    )
  if (!/^[0-9A-Fa-f]{1,64}$/.test(serialNo)) {
    throw invalid('merchant_serial_no', 'merchant_serial_no must be the hex serial of the API certificate')
  }
  const signer = guard('merchant_private_key', () =>
    createSigner({ mchid, serialNo, privateKey: loadPrivateKey(privateKeyPem), ...(clock ? { clock } : {}) }),
  )
  const verifier = guard(publicKeyId === undefined ? 'platform_certificates' : 'wechatpay_public_key', () =>
    createVerifier({
      ...(publicKeyId && publicKeyPem ? { publicKey: { id: publicKeyId, key: publicKeyPem } } : {}),
      ...(certificates ? { platformCertificates: certificates } : {}),
      ...(clock ? { clock } : {}),
    }),
  )
  const apiv3Value = secret.apiv3_key
  let apiv3Key: KeyObject | undefined
  return {
    signer,
    verifier,
    apiv3Key() {
      if (apiv3Value === undefined || apiv3Value === null) {
        throw invalid('apiv3_key', 'the merchant secret needs apiv3_key to decrypt notifications')
      }
      apiv3Key ??= guard('apiv3_key', () => {
        if (typeof apiv3Value !== 'string') throw invalid('apiv3_key', 'apiv3_key must be a string')
        return apiV3Key(apiv3Value)
      })
      return apiv3Key
    },
  }
}

function requiredString(secret: Record<string, unknown>, field: keyof MerchantSecret): string {
  const value = secret[field]
  if (value === undefined) throw invalid(field, `the merchant secret is missing ${field}`)
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(field, `${field} must be a non-empty string`)
  return value
}

function optionalString(secret: Record<string, unknown>, field: keyof MerchantSecret): string | undefined {
  return secret[field] === undefined || secret[field] === null ? undefined : requiredString(secret, field)
}

function optionalCertificates(secret: Record<string, unknown>): string[] | undefined {
  const value = secret.platform_certificates
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    throw invalid('platform_certificates', 'platform_certificates must be a non-empty array of PEM strings')
  }
  return value
}

function invalid(field: string, message: string) {
  return new CredentialsError('SECRET_INVALID', message, { field })
}

/** Key and configuration errors from the WeChat Pay layer become secret errors naming the field. */
function guard<T>(field: string, build: () => T): T {
  try {
    return build()
  } catch (cause) {
    const named = cause instanceof WechatPayError && cause.field ? cause.field : field
    const detail = cause instanceof Error ? cause.message : 'invalid value'
    throw new CredentialsError('SECRET_INVALID', detail.includes(named) ? detail : `${named}: ${detail}`, {
      field: named,
      cause,
    })
  }
}
