import type { TestContext } from 'node:test'
import { type ClientOptions, createClient } from '../../functions/wechatpay/client.ts'
import { createSigner } from '../../functions/wechatpay/signer.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'
import { type SimulatorOptions, startWechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { loadPlatformCertificate } from './keys.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID, type TestMerchant } from './merchant.ts'

export const platform = loadPlatformCertificate()

/** A simulator trusting a per-run merchant, signing with a per-run WeChat Pay key and the test certificate. */
export async function startSimulator(
  t: TestContext,
  merchant: TestMerchant = createTestMerchant(),
  overrides: Partial<SimulatorOptions> = {},
) {
  const simulator = await startWechatPaySimulator({
    merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.merchantKeys.publicKey }],
    wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey },
    platformCertificate: { serialNo: platform.serialNo, privateKey: platform.privateKey },
    slowDelayMs: 1_000,
    ...overrides,
  })
  t.after(() => simulator.close())
  return simulator
}

/** A client for `merchant` against `baseUrl`, with fast backoff and failover off unless asked. */
export function clientFor(
  merchant: TestMerchant,
  baseUrl: string,
  options: Partial<ClientOptions> & { mode?: 'public_key' | 'certificate' } = {},
) {
  const { mode = 'public_key', ...rest } = options
  return createClient({
    signer: createSigner({
      mchid: MCHID,
      serialNo: MERCHANT_SERIAL,
      privateKey: merchant.merchantKeys.privateKey,
    }),
    verifier: createVerifier(
      mode === 'public_key'
        ? { publicKey: { id: PUBLIC_KEY_ID, key: merchant.wechatpayKeys.publicKey } }
        : { platformCertificates: [platform.certificatePem] },
    ),
    baseUrl,
    backupUrl: null,
    baseDelayMs: 10,
    minAttemptMs: 50,
    ...rest,
  })
}

export const inSeconds = (seconds: number) => Date.now() + seconds * 1000
