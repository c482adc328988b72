import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { createPublisher, eventBridgeClient } from '../../functions/events/publisher.ts'
import { createHttpHandler } from '../../functions/http.ts'
import { createInvokeHandler } from '../../functions/invoke.ts'
import { createNotifyHandler } from '../../functions/notify.ts'
import { createQueueHandler } from '../../functions/queue.ts'
import { type Config, readConfig } from '../../functions/runtime/config.ts'
import { createNotificationService } from '../../functions/runtime/notifications.ts'
import { createObservability } from '../../functions/runtime/observability.ts'
import { createService, type Service } from '../../functions/runtime/service.ts'
import { type EventBridgeStandIn, startEventBridge } from '../../infra/local/eventbridge.ts'
import { type SecretsManagerStandIn, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import {
  type SimulatorOptions,
  startWechatPaySimulator,
  type WechatPaySimulator,
} from '../../infra/local/wechatpay-simulator.ts'
import { type CapturedLogs, captureConsole } from './logs.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID, type TestMerchant } from './merchant.ts'
import { platform } from './wechatpay.ts'

export const SECRET_ID = 'payscore-terminate/merchant'
/** The bus every container publishes to unless its environment says otherwise (EVENT_BUS). */
export const STACK_BUS = 'payscore-test-bus'

/** One Lambda container: its own service (secret cache), its own logs, the real handlers over them. */
export interface Container {
  config: Config
  service: Service
  logs: CapturedLogs
  http: ReturnType<typeof createHttpHandler>
  queue: ReturnType<typeof createQueueHandler>
  invoke: ReturnType<typeof createInvokeHandler>
  /** The notification function (its service built on first use, as on Lambda). */
  notify: ReturnType<typeof createNotifyHandler>
}

export interface Stack {
  merchant: TestMerchant
  simulator: WechatPaySimulator
  secretsManager: SecretsManagerStandIn
  eventBridge: EventBridgeStandIn
  /** The environment a function against these stand-ins reads, with `env` over it. */
  env(env?: Record<string, string>): Record<string, string>
  /** A fresh container configured from `env` (as the function would read it). */
  container(env?: Record<string, string>, options?: { quiet?: boolean }): Container
  close(): Promise<void>
}

/** The WeChat Pay simulator and the Secrets Manager stand-in holding the merchant's secret. */
export async function startStack(
  options: { simulator?: Partial<SimulatorOptions>; secret?: string } = {},
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
  const eventBridge = await startEventBridge()
  // The production client's settings (timeouts, attempts), pointed at the stand-in.
  const events = eventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: eventBridge.url,
  })
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: secretsManager.url,
    maxAttempts: 2,
    requestHandler: { requestTimeout: 1_500, throwOnRequestTimeout: true },
  })
  const env = (overrides: Record<string, string> = {}) => ({
    MERCHANT_SECRET_ID: SECRET_ID,
    WECHATPAY_BASE_URL: simulator.url,
    WECHATPAY_BACKUP_URL: '',
    WECHATPAY_ATTEMPT_TIMEOUT_MS: '1000',
    DEADLINE_MARGIN_MS: '500',
    EVENT_BUS: STACK_BUS,
    ...overrides,
  })
  return {
    merchant,
    simulator,
    secretsManager,
    eventBridge,
    env,
    container(overrides = {}, { quiet = false } = {}) {
      const config = readConfig(env(overrides))
      const logs = captureConsole({ quiet })
      const observability = createObservability({ console: logs.console })
      const publisher = createPublisher({ client: events })
      const service = createService(config, { secretsManager: client, observability, publisher })
      const deps = { service: () => service, observability }
      let notifications: ReturnType<typeof createNotificationService> | undefined
      return {
        config,
        service,
        logs,
        http: createHttpHandler(deps),
        queue: createQueueHandler(deps),
        invoke: createInvokeHandler(deps),
        notify: createNotifyHandler({
          notifications: () => {
            notifications ??= createNotificationService(env(overrides), {
              secretsManager: client,
              publisher,
              observability,
            })
            return notifications
          },
          observability,
        }),
      }
    },
    close: async () => {
      client.destroy()
      events.destroy()
      await simulator.close()
      await secretsManager.close()
      await eventBridge.close()
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
