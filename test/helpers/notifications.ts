import { randomUUID } from 'node:crypto'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { createCredentialStore } from '../../functions/merchant/credentials.ts'
import {
  createNotificationReceiver,
  type NotificationReceiver,
  notificationKeys,
  type ReceiverOptions,
} from '../../functions/notifications/receive.ts'
import { type SecretsManagerStandIn, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import type { SignedNotification } from '../../infra/local/simulator/notify.ts'

export interface NotificationContainer {
  secretId: string
  /** GetSecretValue calls for this container's secret so far. */
  reads(): number
  receive(notification: SignedNotification, deadline?: number): ReturnType<NotificationReceiver['receive']>
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
        receive: (notification, deadline = Date.now() + 4_000) =>
          receiver.receive({ body: notification.body, headers: new Headers(notification.headers) }, deadline),
      }
    },
    async close() {
      client.destroy()
      await sm.close()
    },
  }
}
