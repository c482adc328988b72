import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { type EventEntry, notificationEntry } from '../events/entries.ts'
import { createPublisher, type EntryResult, type Publisher } from '../events/publisher.ts'
import { createCredentialStore } from '../merchant/credentials.ts'
import type { Notification } from '../notifications/normalize.ts'
import {
  type ArrivedNotification,
  createNotificationReceiver,
  notificationKeys,
  type Received,
} from '../notifications/receive.ts'
import { ConfigError, readConfig } from './config.ts'
import { defaultObservability, type Observability } from './observability.ts'
import { secretsManagerClient } from './service.ts'

/**
 * WeChat answers a notification that took more than 5 s as failed and sends it again: the function
 * answers by this long after it started, whatever Secrets Manager or EventBridge do.
 */
export const NOTIFICATION_BUDGET_MS = 4_500

/** What the notification function calls: receive one notification, then publish its event. */
export interface NotificationService {
  /**
   * The verified, decrypted, normalized notification, to be remembered once its event is published;
   * throws NotificationError or CredentialsError.
   */
  receive(arrived: ArrivedNotification, deadline: number): Promise<Received>
  /** Puts its event on EVENT_BUS; the entry and what EventBridge said. */
  publish(notification: Notification, deadline: number): Promise<{ entry: EventEntry; result: EntryResult }>
}

export interface NotificationDeps {
  secretsManager?: Pick<SecretsManagerClient, 'send'>
  publisher?: Publisher
  clock?: () => number
  observability?: Observability
}

/**
 * The notification function's service, from the same environment as the others (MERCHANT_SECRET_ID,
 * SECRET_TTL_SECONDS) plus EVENT_BUS, which it cannot work without (ConfigError naming it). Its
 * secret must hold `apiv3_key` (checked per version by the credential store's build).
 */
export function createNotificationService(
  env: Record<string, string | undefined>,
  deps: NotificationDeps = {},
): NotificationService {
  const config = readConfig(env)
  const eventBus = config.eventBus
  if (eventBus === null) {
    throw new ConfigError('EVENT_BUS', 'EVENT_BUS must name the EventBridge bus for notification events')
  }
  const clock = deps.clock ?? Date.now
  const observability = deps.observability ?? defaultObservability()
  const merchants = createCredentialStore({
    secretId: config.merchantSecretId,
    secretsManager: deps.secretsManager ?? secretsManagerClient(),
    build: notificationKeys,
    ttlMs: config.secretTtlMs,
    clock,
    onError: observability.observeSecretError,
  })
  const receiver = createNotificationReceiver(merchants, { clock })
  const publisher = deps.publisher ?? createPublisher({ clock })
  return {
    receive: (arrived, deadline) => receiver.receive(arrived, deadline),
    async publish(notification, deadline) {
      const entry = notificationEntry(notification, eventBus)
      const [result] = await publisher.publish([entry], deadline)
      return { entry, result: result! }
    },
  }
}

let shared: NotificationService | undefined

/** The container's notification service, built on first use (a bad environment is a logged 500). */
export function defaultNotificationService(): NotificationService {
  shared ??= createNotificationService(process.env)
  return shared
}
