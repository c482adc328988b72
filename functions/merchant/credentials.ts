import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { CredentialsError } from './errors.ts'
import { type MerchantKeys, parseMerchantSecret } from './secret.ts'

/** One secret version, parsed once, and whatever was built from it (the WeChat Pay client). */
export interface Merchant<T> {
  version: string
  value: T
}

export interface CredentialStore<T> {
  /** The cached merchant, fetching at most once per TTL however many callers ask at once. */
  get(): Promise<Merchant<T>>
  /** After WeChat refused our signature: fetch again unless someone already replaced `stale`. */
  refresh(stale: Merchant<T>): Promise<Merchant<T>>
}

export interface CredentialStoreOptions<T> {
  secretId: string
  secretsManager: Pick<SecretsManagerClient, 'send'>
  /** Builds what callers use from the parsed keys, once per secret version. */
  build: (keys: MerchantKeys) => T
  ttlMs?: number
  clock?: () => number
  /** Told when a refresh failed and the previous version is served instead. */
  onStale?: (error: CredentialsError) => void
}

export const DEFAULT_SECRET_TTL_MS = 5 * 60_000
/** After a transient failure, the cached version is served this long before Secrets Manager is asked again. */
export const STALE_RETRY_MS = 30_000

export function createCredentialStore<T>(options: CredentialStoreOptions<T>): CredentialStore<T> {
  const { secretId, secretsManager, build, ttlMs = DEFAULT_SECRET_TTL_MS, clock = Date.now } = options
  let current: (Merchant<T> & { fetchedAt: number }) | undefined
  let inflight: Promise<Merchant<T>> | undefined

  // One fetch at a time: a batch of records starting together shares it.
  const load = (serveStale: boolean) => {
    inflight ??= fetchMerchant(serveStale).finally(() => {
      inflight = undefined
    })
    return inflight
  }

  async function fetchMerchant(serveStale: boolean): Promise<Merchant<T>> {
    let response: { SecretString?: string | undefined; VersionId?: string | undefined }
    try {
      response = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))
    } catch (cause) {
      const error = fromAws(cause)
      // A transient fault keeps the previous version working rather than failing every call, and
      // is asked again after a pause rather than on every call (which would feed a throttle).
      if (serveStale && error.transient && current) {
        options.onStale?.(error)
        current.fetchedAt = clock() - ttlMs + Math.min(ttlMs, STALE_RETRY_MS)
        return current
      }
      throw error
    }
    const version = response.VersionId ?? 'unversioned'
    if (current && current.version === version) {
      current.fetchedAt = clock()
      return current
    }
    if (typeof response.SecretString !== 'string') {
      throw new CredentialsError(
        'SECRET_MALFORMED',
        'the merchant secret has no SecretString (binary secrets are not supported)',
      )
    }
    current = { version, value: build(parseMerchantSecret(response.SecretString)), fetchedAt: clock() }
    return current
  }

  return {
    async get() {
      if (current && clock() - current.fetchedAt < ttlMs) return current
      return load(true)
    },
    async refresh(stale) {
      if (current && current.version !== stale.version) return current
      if (inflight) return inflight
      // The caller needs a new version: a failure to get one is its answer, not the stale version.
      return load(false)
    },
  }
}

const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'InvalidParameterException',
  'InvalidRequestException',
  'ValidationException',
])
const DENIED = new Set([
  'AccessDeniedException',
  'DecryptionFailure',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
])

/** Branch on `name`: the SDK has no classes for AccessDeniedException or ThrottlingException. */
function fromAws(cause: unknown): CredentialsError {
  const name = cause instanceof Error ? cause.name : ''
  if (NOT_FOUND.has(name))
    return new CredentialsError('SECRET_NOT_FOUND', `the merchant secret was not found (${name})`, { cause })
  if (DENIED.has(name))
    return new CredentialsError('SECRET_ACCESS_DENIED', `reading the merchant secret was refused (${name})`, {
      cause,
    })
  return new CredentialsError(
    'SECRET_UNAVAILABLE',
    `Secrets Manager could not be read (${name || 'unknown error'})`,
    { cause },
  )
}
