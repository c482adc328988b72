import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { PUBLISH_MARGIN_MS } from './events/publisher.ts'
import { entrySummary } from './events/summary.ts'
import { CredentialsError } from './merchant/errors.ts'
import { NotificationError } from './notifications/errors.ts'
import { PayloadTooLargeError, readRawBody } from './runtime/http.ts'
import {
  defaultNotificationService,
  NOTIFICATION_BUDGET_MS,
  type NotificationService,
} from './runtime/notifications.ts'
import { MAX_NOTIFICATION_BYTES, NOTIFICATION_ANSWERS, notificationHeaders } from './runtime/notify-http.ts'
import { defaultObservability, type NotificationResult, type Observability } from './runtime/observability.ts'
import { observed } from './runtime/observed.ts'

/** The notification function's route on the HTTP API: public, WeChat's signature protects it. */
export const NOTIFICATION_ROUTE = 'POST /v1/wechatpay/notifications'

export interface NotifyDeps {
  notifications?: () => NotificationService
  observability?: Observability
  clock?: () => number
}

/**
 * WeChat -> us: `POST /v1/wechatpay/notifications` (no IAM: WeChat's signature protects it). A
 * notification verified like WeChat's answers, decrypted with the APIv3 key and normalized becomes
 * one event on EVENT_BUS; WeChat hears 204 only once EventBridge accepted it. It never calls WeChat,
 * and answers within WeChat's 5 s whatever Secrets Manager or EventBridge do.
 */
export function createNotifyHandler({
  notifications = defaultNotificationService,
  observability = defaultObservability(),
  clock = Date.now,
}: NotifyDeps = {}) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability))
    .use(observability.unhandledErrors(NOTIFICATION_ANSWERS.internal))
    .handler(async (event, context) => {
      const started = clock()
      const deadline = Math.min(
        started + NOTIFICATION_BUDGET_MS,
        started + context.getRemainingTimeInMillis() - PUBLISH_MARGIN_MS,
      )
      const report = (result: NotificationResult, fields: Record<string, unknown> = {}) =>
        observability.reportNotification(result, fields, clock() - started)
      let body: string
      try {
        body = readRawBody(event, MAX_NOTIFICATION_BYTES)
      } catch (error) {
        if (error instanceof PayloadTooLargeError) {
          report('too_large')
          return NOTIFICATION_ANSWERS.tooLarge
        }
        // Not UTF-8: WeChat never sent it, and it was not verified. A 400 here would be one anyone
        // could cause without feeding the verification-failure alarm.
        report('unauthenticated', { reason: 'the body is not UTF-8' })
        return NOTIFICATION_ANSWERS.unauthenticated
      }
      const service = notifications()
      try {
        const received = await service.receive({ body, headers: notificationHeaders(event) }, deadline)
        const { entry, result } = await service.publish(received.notification, deadline)
        const summary = entrySummary(entry, result)
        if (!result.accepted) {
          report('not_published', summary)
          return NOTIFICATION_ANSWERS.notPublished
        }
        // Only now is it received: until its event is out, WeChat's resend must not be a replay.
        received.remember()
        report('published', summary)
        return NOTIFICATION_ANSWERS.published
      } catch (error) {
        if (error instanceof NotificationError) {
          const fields = { error_code: error.code, reason: error.reason, field: error.field }
          if (error.errorClass === 'unauthenticated') {
            report('unauthenticated', fields)
            return NOTIFICATION_ANSWERS.unauthenticated
          }
          report('malformed', fields)
          return NOTIFICATION_ANSWERS.malformed
        }
        if (error instanceof CredentialsError) {
          // The secret's problem is logged by the credential store, once per version, with its field.
          report('secret_unusable', { error_code: error.code, field: error.field })
          return NOTIFICATION_ANSWERS.internal
        }
        throw error
      }
    })
}

export const handler = createNotifyHandler()
