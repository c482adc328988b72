import assert from 'node:assert/strict'
import { it } from 'node:test'
import { NotificationError } from '../../functions/notifications/errors.ts'
import { createNotifyHandler } from '../../functions/notify.ts'
import { createObservability } from '../../functions/runtime/observability.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { captureConsole } from '../helpers/logs.ts'
import { notificationEvent } from '../helpers/notifications.ts'

/**
 * every entry point uses `injectLambdaContext(logger)` without `logEvent: false`, so
 * Powertools' own switch POWERTOOLS_LOGGER_LOG_EVENT=true (a documented, commonly set debugging
 * variable) logs each whole event: a notification's ciphertext and signature headers, HTTP bodies
 * and paths with authorization codes and openids unmasked, queue messages. The service's rule is
 * "never log ... ciphertexts"; nothing in the code keeps that rule against the environment.
 */
it('POWERTOOLS_LOGGER_LOG_EVENT=true does not put a notification ciphertext or signature in the log', async (t) => {
  const previous = process.env.POWERTOOLS_LOGGER_LOG_EVENT
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true'
  t.after(() => {
    if (previous === undefined) delete process.env.POWERTOOLS_LOGGER_LOG_EVENT
    else process.env.POWERTOOLS_LOGGER_LOG_EVENT = previous
  })
  const logs = captureConsole({ quiet: true })
  const observability = createObservability({ console: logs.console })
  const handler = createNotifyHandler({
    observability,
    notifications: () => ({
      receive: async () => {
        throw new NotificationError('UNVERIFIED', 'not verified', { reason: 'BAD_SIGNATURE' })
      },
      publish: async () => {
        throw new Error('not reached')
      },
    }),
  })
  const ciphertext = 'REVIEW-MARKER-CIPHERTEXT-3f9a'
  const signature = 'REVIEW-MARKER-SIGNATURE-77c1'
  const body = JSON.stringify({
    id: 'EV-1',
    event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
    resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext, nonce: 'n', associated_data: '' },
  })
  const event = notificationEvent({
    headers: {
      'Wechatpay-Timestamp': '1700000000',
      'Wechatpay-Nonce': 'abc',
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': 'PUB_KEY_ID_1',
    },
    body,
  })
  const answer = await handler(event, lambdaContext(6_000))
  assert.equal(answer.statusCode, 401)
  const written = logs.text().join('\n')
  assert.ok(!written.includes(ciphertext), 'the ciphertext is in the log')
  assert.ok(!written.includes(signature), 'the signature is in the log')
})
