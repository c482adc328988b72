import { randomUUID } from 'node:crypto'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { createCredentialStore } from '../../functions/merchant/credentials.ts'
import type { Notification } from '../../functions/notifications/normalize.ts'
import {
  createNotificationReceiver,
  notificationKeys,
  type ReceiverOptions,
} from '../../functions/notifications/receive.ts'
import { type SecretsManagerStandIn, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import type { NotifierKey, SignedNotification } from '../../infra/local/simulator/notify.ts'
import { httpEvent } from './lambda.ts'
import { PUBLIC_KEY_ID, type TestMerchant } from './merchant.ts'

export interface NotificationContainer {
  secretId: string
  /** GetSecretValue calls for this container's secret so far. */
  reads(): number
  receive(notification: SignedNotification, deadline?: number): Promise<Notification>
}

/**
 * A Secrets Manager stand-in and the real SDK client, and containers of the notification path:
 * each with its own secret and credential store (the real ones), as the notification function holds.
 */
export async function notificationStandIns() {
  const sm: SecretsManagerStandIn = await startSecretsManager()
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: sm.url,
    maxAttempts: 1,
  })
  return {
    sm,
    container(secret: object, options: ReceiverOptions = {}): NotificationContainer {
      const secretId = `notify/${randomUUID()}`
      sm.putSecret(secretId, JSON.stringify(secret))
      const store = createCredentialStore({ secretId, secretsManager: client, build: notificationKeys })
      const receiver = createNotificationReceiver(store, options)
      return {
        secretId,
        reads: () => sm.calls.filter((call) => call.secretId === secretId).length,
        // As the notification function does once the event is out: received, and so remembered.
        receive: async (notification, deadline = Date.now() + 4_000) => {
          const received = await receiver.receive(
            { body: notification.body, headers: new Headers(notification.headers) },
            deadline,
          )
          received.remember()
          return received.notification
        },
      }
    },
    async close() {
      client.destroy()
      await sm.close()
    },
  }
}

/** WeChat's signing key for the test merchant's notifications (its public half is in the secret). */
export function notifierKey(merchant: TestMerchant): NotifierKey {
  return { serial: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey }
}

/**
 * What API Gateway (payload 2.0) hands the notification function for a POST to its route: the
 * headers lower-cased, as API Gateway gives them, and the body as sent, base64 when asked.
 */
export function notificationEvent(
  sent: { headers: Record<string, string>; body: string },
  options: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const routeKey = 'POST /v1/wechatpay/notifications'
  const event = httpEvent(undefined, sent.body, { raw: true, ...(options.base64 ? { base64: true } : {}) })
  return {
    ...event,
    routeKey,
    rawPath: '/v1/wechatpay/notifications',
    requestContext: {
      ...event.requestContext,
      routeKey,
      http: { ...event.requestContext.http, path: '/v1/wechatpay/notifications' },
    },
    headers: Object.fromEntries(
      Object.entries(sent.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
  }
}
