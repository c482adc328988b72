import { randomBytes } from 'node:crypto'
import type { MerchantSecret } from '../../functions/merchant/secret.ts'
import { generateRsaKeyPair, loadPlatformCertificate, type TestKeyPair } from './keys.ts'

export const MCHID = '1900000100'
export const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1'
export const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001002025010100000000000001'

/** A merchant with keys made for this test run: what the secret holds and what WeChat's side holds. */
export interface TestMerchant {
  merchantKeys: TestKeyPair
  wechatpayKeys: TestKeyPair
  secret: MerchantSecret
  secretString: string
  /** The merchant's APIv3 key (32 characters), which WeChat's notifications are encrypted with. */
  apiv3Key: string
}

export function createTestMerchant(
  options: { mode?: 'public_key' | 'certificate' | 'both' } = {},
): TestMerchant {
  const mode = options.mode ?? 'public_key'
  const merchantKeys = generateRsaKeyPair()
  const wechatpayKeys = generateRsaKeyPair()
  const apiv3Key = randomBytes(24).toString('base64url')
  const secret: MerchantSecret = {
    mchid: MCHID,
    merchant_serial_no: MERCHANT_SERIAL,
    merchant_private_key: merchantKeys.privatePem,
    ...(mode === 'certificate'
      ? {}
      : { wechatpay_public_key_id: PUBLIC_KEY_ID, wechatpay_public_key: wechatpayKeys.publicPem }),
    ...(mode === 'public_key' ? {} : { platform_certificates: [loadPlatformCertificate().certificatePem] }),
    apiv3_key: apiv3Key,
  }
  return { merchantKeys, wechatpayKeys, secret, secretString: JSON.stringify(secret), apiv3Key }
}
