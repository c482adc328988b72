import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager'
import type { Outcome } from '../authorizations/outcome.ts'
import { type QueryResult, queryAuthorization } from '../authorizations/query.ts'
import type { AuthorizationRef } from '../authorizations/reference.ts'
import type { TerminateInput } from '../authorizations/request.ts'
import { type Termination, terminateAuthorization } from '../authorizations/terminate.ts'
import { type EntryPoint, outcomeEntry } from '../events/entries.ts'
import { createPublisher, type EntryResult, PUBLISH_MARGIN_MS, type Publisher } from '../events/publisher.ts'
import { type CredentialStore, createCredentialStore } from '../merchant/credentials.ts'
import { createRotatingClient } from '../merchant/rotating-client.ts'
import { createClient, type WechatPayClient } from '../wechatpay/client.ts'
import { type Config, readConfig } from './config.ts'
import { defaultObservability, type Observability } from './observability.ts'

export type { QueryResult, Termination }

/** What every entry point calls: one termination or query, logged and measured. */
export interface Service {
  readonly config: Config
  /** The deadline for WeChat calls: Lambda's remaining time less a margin to answer in. */
  deadline(context: { getRemainingTimeInMillis(): number }): number
  terminate(input: TerminateInput, deadline: number): Promise<Termination>
  query(ref: AuthorizationRef, deadline: number): Promise<QueryResult>
  /**
   * Puts one event per outcome that ends a termination (README, "Outcome events"), all in one
   * PutEvents call (an SQS batch has at most 10 records). Per outcome: what EventBridge said, or
   * `none` when no event was due (a retryable outcome, or no EVENT_BUS). Never throws; each failure
   * is logged and counted (`OutcomeEventsFailed`).
   */
  publish(
    outcomes: ReadonlyArray<{ outcome: Outcome; from: EntryPoint }>,
    deadline: number,
  ): Promise<Array<EntryResult | 'none'>>
  /** The deadline for publishing: Lambda's remaining time less a little to answer in. */
  publishDeadline(context: { getRemainingTimeInMillis(): number }): number
  /**
   * Starts what the first call would wait for: the merchant secret's fetch, while the rest
   * initializes (WeChat Pay's connection is opened as the bundle loads: connect-ahead.ts).
   * Never throws; a failure is the first call's to meet again (and the secret's is logged once).
   */
  warmUp(): void
}

export interface ServiceDeps {
  secretsManager?: Pick<SecretsManagerClient, 'send'>
  fetch?: typeof fetch
  clock?: () => number
  observability?: Observability
  publisher?: Publisher
}

/**
 * The container's Secrets Manager client, bounded: a Secrets Manager that hangs is a transient fault
 * after about 3 s (two attempts), not a Lambda timeout. Without throwOnRequestTimeout the SDK only logs a warning
 * when requestTimeout passes, and waits on.
 */
export function secretsManagerClient(overrides: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    // Two attempts of at most 1.5 s each (GetSecretValue answers in tens of milliseconds).
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
    ...overrides,
  })
}

export function createService(config: Config, deps: ServiceDeps = {}): Service {
  const clock = deps.clock ?? Date.now
  const observability = deps.observability ?? defaultObservability()
  const merchants: CredentialStore<WechatPayClient> = createCredentialStore({
    secretId: config.merchantSecretId,
    secretsManager: deps.secretsManager ?? secretsManagerClient(),
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
    // Once per failed fetch: an unusable version is parsed and logged once, then refused until it changes.
    onError: observability.observeSecretError,
  })
  const wechatpay = createRotatingClient(merchants)
  const context = (deadline: number) => ({
    deadline,
    wechatpay,
    observe: observability.observeWechatPayError,
  })

  const publisher = deps.publisher ?? createPublisher({ clock })

  return {
    config,
    warmUp() {
      // WeChat Pay's connection is opened earlier still, as the bundle loads (connect-ahead.ts).
      merchants.get().catch(() => undefined)
    },
    deadline: (lambda) => clock() + lambda.getRemainingTimeInMillis() - config.deadlineMarginMs,
    publishDeadline: (lambda) => clock() + lambda.getRemainingTimeInMillis() - PUBLISH_MARGIN_MS,
    async publish(outcomes, deadline) {
      const { eventBus } = config
      const entries = outcomes.map(({ outcome, from }) =>
        eventBus === null ? undefined : outcomeEntry(outcome, from, eventBus),
      )
      const due = entries.filter((entry) => entry !== undefined)
      const results = due.length === 0 ? [] : await publisher.publish(due, deadline)
      let next = 0
      return entries.map((entry) => {
        if (!entry) return 'none'
        const result = results[next++]!
        if (!result.accepted) observability.reportEventFailed(entry, result)
        return result
      })
    },
    async terminate(input, deadline) {
      const started = performance.now()
      const result = await terminateAuthorization(input, context(deadline))
      observability.reportOutcome(result.outcome, performance.now() - started)
      return result
    },
    async query(ref, deadline) {
      const started = performance.now()
      const result = await queryAuthorization(ref, context(deadline))
      observability.reportQuery(result, performance.now() - started)
      return result
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

/**
 * Called by each entry point as it loads (Lambda's initialization): builds the container's service
 * and starts its warm-up, so that the secret's fetch and WeChat Pay's TCP and TLS handshakes overlap
 * the rest of the initialization instead of following it. A bad environment stays the first call's
 * to log, as before: nothing here throws.
 */
export function warmUp(service: () => Service = defaultService): void {
  try {
    service().warmUp()
  } catch {
    // ConfigError: the first call builds the service again and logs it.
  }
}
