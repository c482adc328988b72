import { type SecretsManagerStandIn, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import {
  type SimulatorOptions,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from '../../infra/local/wechatpay-simulator.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID, type TestMerchant } from './merchant.ts'
import { platform } from './wechatpay.ts'

export const SECRET_ID = 'payscore-terminate/merchant'

export interface Stack {
  merchant: TestMerchant
  simulator: WechatPaySimulator
  secretsManager: SecretsManagerStandIn
  close(): Promise<void>
}

/**
 * The WeChat Pay simulator and the Secrets Manager stand-in holding the merchant's secret, with the
 * environment the real handlers read pointed at them. Call before importing a handler: the
 * handlers read their configuration once per container, like Lambda.
 */
export async function startStack(
  options: { env?: Record<string, string>; simulator?: Partial<SimulatorOptions>; secret?: string } = {},
): Promise<Stack> {
  const merchant = createTestMerchant()
  const simulator = await startWechatPaySimulator({
    merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.merchantKeys.publicKey }],
    wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey },
    platformCertificate: { serialNo: platform.serialNo, privateKey: platform.privateKey },
    slowDelayMs: 1_500,
    ...options.simulator,
  })
  const secretsManager = await startSecretsManager({
    secrets: { [SECRET_ID]: options.secret ?? merchant.secretString },
  })
  Object.assign(process.env, {
    MERCHANT_SECRET_ID: SECRET_ID,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    WECHATPAY_BASE_URL: simulator.url,
    WECHATPAY_BACKUP_URL: '',
    WECHATPAY_ATTEMPT_TIMEOUT_MS: '1000',
    DEADLINE_MARGIN_MS: '500',
    ...options.env,
  })
  return {
    merchant,
    simulator,
    secretsManager,
    close: async () => {
      await simulator.close()
      await secretsManager.close()
    },
  }
}

export const VALID = { service_id: '500001', sub_mchid: '1900000109', reason: '用户申请解除授权' }

let counter = 0
/** A fresh authorization code (the simulator treats unseen codes as AVAILABLE), optionally behind a magic prefix. */
export function freshCode(prefix = 'code') {
  counter += 1
  return `${prefix}_${process.pid}_${counter}`.slice(0, 32)
}
