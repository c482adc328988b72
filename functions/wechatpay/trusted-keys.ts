import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import { WechatPayError } from './errors.ts'

/** WeChat signs with RSA-2048; a shorter verification key is refused when the secret is parsed. */
export const MIN_RSA_BITS = 2048

/** A key that verifies WeChat's answers, loaded and checked once. */
export interface TrustedKey {
  key: KeyObject
  /** Bytes in the key's modulus: the exact length of every signature it makes. */
  length: number
  /** Certificates are only trusted within their validity period. */
  validFrom?: number
  validTo?: number
}

/** The WeChat Pay public key (`wechatpay_public_key`): an SPKI PEM or a KeyObject. */
export function publicKeyEntry(key: KeyObject | string): TrustedKey {
  return trusted(loadPublicKey(key), 'wechatpay_public_key')
}

/** A platform certificate (`platform_certificates[index]`), with its serial as WeChat writes it. */
export function certificateEntry(pem: string, index: number): TrustedKey & { serial: string } {
  const certificate = parseCertificate(pem, index)
  return {
    serial: certificate.serialNumber.toUpperCase(),
    ...trusted(certificate.publicKey, `platform_certificates[${index}]`),
    validFrom: Date.parse(certificate.validFrom),
    validTo: Date.parse(certificate.validTo),
  }
}

function loadPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') return key
  if (!key.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new WechatPayError(
      'INVALID_KEY',
      'wechatpay_public_key must be an SPKI public key in PEM, as the merchant platform gives it',
      {
        field: 'wechatpay_public_key',
      },
    )
  }
  try {
    return createPublicKey(key)
  } catch (cause) {
    throw new WechatPayError('INVALID_KEY', 'wechatpay_public_key PEM could not be parsed', {
      field: 'wechatpay_public_key',
      cause,
    })
  }
}

function parseCertificate(pem: string, index: number): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (cause) {
    throw new WechatPayError(
      'INVALID_KEY',
      `platform_certificates[${index}] is not an X.509 PEM certificate`,
      { field: 'platform_certificates', cause },
    )
  }
}

/** An RSA public key of at least MIN_RSA_BITS; `field` names it in the secret (`[i]` for a list item). */
function trusted(key: KeyObject, field: string): TrustedKey {
  const named = { field: field.replace(/\[\d+\]$/, '') }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') {
    throw new WechatPayError('INVALID_KEY', `${field} must be an RSA public key`, named)
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_BITS) {
    throw new WechatPayError(
      'INVALID_KEY',
      `${field} must be RSA of at least ${MIN_RSA_BITS} bits, got ${bits}`,
      named,
    )
  }
  return { key, length: Math.ceil(bits / 8) }
}
