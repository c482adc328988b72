import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { type CredentialStore, createCredentialStore } from '../merchant/credentials.ts'
import { CredentialsError } from '../merchant/errors.ts'
import { type Outcome, outcome } from '../terminate/outcome.ts'
import type { TerminateInput } from '../terminate/request.ts'
import { terminateAuthorization } from '../terminate/terminate.ts'
import { createClient, type WechatPayClient } from '../wechatpay/client.ts'
import { type Config, readConfig } from './config.ts'
import { logger, maskCode, observeWechatPayError, reportOutcome } from './observability.ts'

export interface Termination {
  outcome: Outcome
  /** Set when our own configuration or secret is at fault: HTTP answers 500 without detail. */
  fault?: 'configuration'
}

/** What every entry point calls: one termination, logged and measured. */
export interface Service {
  readonly config: Config
  /** The deadline for WeChat calls: Lambda's remaining time less a margin to answer in. */
  deadline(context: { getRemainingTimeInMillis(): number }): number
  terminate(input: TerminateInput, deadline: number): Promise<Termination>
}

export interface ServiceDeps {
  secretsManager?: Pick<SecretsManagerClient, 'send'>
  fetch?: typeof fetch
  clock?: () => number
}

export function createService(config: Config, deps: ServiceDeps = {}): Service {
  const clock = deps.clock ?? Date.now
  const merchants: CredentialStore<WechatPayClient> = createCredentialStore({
    secretId: config.merchantSecretId,
    secretsManager:
      deps.secretsManager ??
      // Bounded, so a Secrets Manager that hangs is a transient fault, not a Lambda timeout.
      new SecretsManagerClient({
        maxAttempts: 2,
        requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
      }),
    ttlMs: config.secretTtlMs,
    clock,
    build: ({ signer, verifier }) =>
      createClient({
        signer,
        verifier,
        baseUrl: config.wechatpayBaseUrl,
        backupUrl: config.wechatpayBackupUrl,
        maxAttempts: config.maxAttempts,
        attemptTimeoutMs: config.attemptTimeoutMs,
        clock,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      }),
    onStale: (error) =>
      logger.warn('serving the cached merchant secret: refresh failed', { error_code: error.code }),
  })

  return {
    config,
    deadline: (context) => clock() + context.getRemainingTimeInMillis() - config.deadlineMarginMs,
    async terminate(input, deadline) {
      const started = performance.now()
      try {
        const result = await terminateAuthorization(input, {
          deadline,
          merchants,
          observe: observeWechatPayError,
        })
        reportOutcome(result, performance.now() - started)
        return { outcome: result }
      } catch (error) {
        if (!(error instanceof CredentialsError)) throw error
        logger.error('merchant secret unusable: nothing was sent to WeChat Pay', {
          error_code: error.code,
          field: error.field,
          reason: error.message,
          authorization_code: maskCode(input.authorization_code),
        })
        const result = outcome(error.transient ? 'retryable' : 'failed', input, {}, 0)
        reportOutcome(result, performance.now() - started)
        return error.transient ? { outcome: result } : { outcome: result, fault: 'configuration' }
      }
    },
  }
}

let shared: Service | undefined

/**
 * The container's service, built on first use so that a bad environment is a logged error, not an
 * init crash. Throws ConfigError naming the variable.
 */
export function defaultService(): Service {
  shared ??= createService(readConfig())
  return shared
}
