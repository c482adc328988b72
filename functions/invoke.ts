// First: WeChat Pay's connection starts while the rest of the bundle loads (connect-ahead.ts).
import './runtime/connect-ahead.ts'
import middy from '@middy/core'
import type { Outcome } from './authorizations/outcome.ts'
import type { AuthorizationStateView } from './authorizations/query.ts'
import {
  InvalidRequestError,
  operationOf,
  parseQueryInput,
  parseTerminateInput,
} from './authorizations/request.ts'
import type { EntryDeps } from './runtime/entry.ts'
import { queryFailure } from './runtime/invoke.ts'
import { defaultObservability } from './runtime/observability.ts'
import { observed } from './runtime/observed.ts'
import { defaultService, warmUp } from './runtime/service.ts'

/**
 * Direct invocation (Step Functions, SDK): the event is the input. `"operation": "terminate"` (or
 * none) returns the outcome; `"operation": "query"` returns the verified state, or throws an error
 * named AuthorizationNotFoundError, QueryRetryableError or QueryFailedError. Invalid input throws
 * InvalidRequestError. A Step Functions Catch or Retry can match each name.
 */
export function createInvokeHandler({
  service = defaultService,
  observability = defaultObservability(),
}: EntryDeps = {}) {
  return middy<unknown, Outcome | AuthorizationStateView>()
    .use(observed(observability))
    .use(observability.unhandledErrors())
    .handler(async (event, context) => {
      const container = service()
      const { mode } = container.config
      const deadline = () => container.deadline(context)
      try {
        const operation = operationOf(event)
        if (operation === 'query') {
          const result = await container.query(parseQueryInput(event, mode), deadline())
          if (result.result === 'found') return result.state
          throw queryFailure(result)
        }
        const { outcome } = await container.terminate(parseTerminateInput(event, mode), deadline())
        // The result is the outcome whatever EventBridge does: a failed put is logged, counted and alarmed.
        await container.publish(
          [{ outcome, from: { entryPoint: 'invoke' } }],
          container.publishDeadline(context),
        )
        return outcome
      } catch (error) {
        if (error instanceof InvalidRequestError) observability.reportInvalid(error, event)
        throw error
      }
    })
}

export const handler = createInvokeHandler()
// Lambda's initialization: the secret's fetch and WeChat Pay's handshakes start now (service.ts).
warmUp()
