import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { CredentialsError } from './errors.ts'
import { type MerchantKeys, parseMerchantSecret } from './secret.ts'

/** One secret version, parsed once, and whatever was built from it (the WeChat Pay client). */
export interface Merchant<T> {
  version: string
  value: T
}

export interface CredentialStore<T> {
  /**
   * The cached merchant, fetching at most once per TTL however many callers ask at once. When a
   * refetch fails transiently the cached version is served; when it finds a new version that is
   * unusable, that version's error is the answer. Either way Secrets Manager is asked again only
   * after a pause.
   */
  get(): Promise<Merchant<T>>
  /**
   * The cached merchant when `get()` would answer with it at once (within its TTL, no newer version
   * refused), else undefined: the warm path, without a promise and a deadline race per call.
   */
  fresh(): Merchant<T> | undefined
  /**
   * Another version than `stale` (WeChat refused our signature, or signed with a key `stale` does
   * not hold): fetched now unless someone already replaced `stale`. Resolves to `stale` itself when
   * Secrets Manager still holds that version; rejects when it cannot be read or the new version is
   * unusable. Never served the stale version because a fetch failed.
   */
  refresh(stale: Merchant<T>): Promise<Merchant<T>>
}

export interface CredentialStoreOptions<T> {
  secretId: string
  secretsManager: Pick<SecretsManagerClient, 'send'>
  /** Builds what callers use from the parsed keys, once per secret version. */
  build: (keys: MerchantKeys) => T
  ttlMs?: number
  clock?: () => number
  /**
   * Told once per failed fetch: `version` when the secret was read but is unusable, `servingCached`
   * when a transient failure leaves the cached version in use.
   */
  onError?: (error: CredentialsError, facts: { version?: string; servingCached: boolean }) => void
}

export const DEFAULT_SECRET_TTL_MS = 5 * 60_000
/** After a failed fetch, the cached version (or the unusable version's error) is served this long before Secrets Manager is asked again. */
export const RETRY_PAUSE_MS = 30_000

interface Cached<T> extends Merchant<T> {
  /** When Secrets Manager may next be asked (TTL, or a pause after a failure). */
  nextFetchAt: number
}

export function createCredentialStore<T>(options: CredentialStoreOptions<T>): CredentialStore<T> {
  const { secretId, secretsManager, build, ttlMs = DEFAULT_SECRET_TTL_MS, clock = Date.now } = options
  let current: Cached<T> | undefined
  /** The newest version that could not be used: parsed once, logged once, refused until it changes. */
  let unusable: { version: string; error: CredentialsError; nextFetchAt: number } | undefined
  let inflight: Promise<Merchant<T>> | undefined

  // One fetch at a time, whoever asked: each caller then reads the result its own way.
  const fetchOnce = () => {
    inflight ??= fetchMerchant().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  async function fetchMerchant(): Promise<Merchant<T>> {
    let response: { SecretString?: string | undefined; VersionId?: string | undefined }
    try {
      response = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))
    } catch (cause) {
      const error = fromAws(cause)
      options.onError?.(error, { servingCached: Boolean(current && error.transient) })
      // Asked again after a pause rather than on every call, which would feed a throttle.
      if (current && error.transient) current.nextFetchAt = clock() + Math.min(ttlMs, RETRY_PAUSE_MS)
      throw error
    }
    const version = response.VersionId ?? 'unversioned'
    if (current?.version === version) {
      // The secret holds the cached version again (a rollback after an unusable one): it is the answer.
      unusable = undefined
      current.nextFetchAt = clock() + ttlMs
      return current
    }
    if (unusable?.version !== version) {
      try {
        current = {
          version,
          value: build(parseSecretString(response.SecretString)),
          nextFetchAt: clock() + ttlMs,
        }
        unusable = undefined
        return current
      } catch (error) {
        if (!(error instanceof CredentialsError)) throw error
        unusable = { version, error, nextFetchAt: 0 }
        options.onError?.(error, { version, servingCached: false })
      }
    }
    unusable.nextFetchAt = clock() + Math.min(ttlMs, RETRY_PAUSE_MS)
    throw unusable.error
  }

  const fresh = () => (current && !unusable && clock() < current.nextFetchAt ? current : undefined)

  return {
    fresh,
    async get() {
      // A newer version that is unusable is the answer until it changes: the operator must see it.
      if (unusable && clock() < unusable.nextFetchAt) throw unusable.error
      const cached = fresh()
      if (cached) return cached
      try {
        return await fetchOnce()
      } catch (error) {
        // Through a throttle or an outage, the cached version keeps working.
        if (current && error instanceof CredentialsError && error.transient) return current
        throw error
      }
    },
    async refresh(stale) {
      if (current && current.version !== stale.version) return current
      return fetchOnce()
    },
  }
}

function parseSecretString(secretString: string | undefined): MerchantKeys {
  if (typeof secretString !== 'string') {
    throw new CredentialsError(
      'SECRET_MALFORMED',
      'the merchant secret has no SecretString (binary secrets are not supported)',
    )
  }
  return parseMerchantSecret(secretString)
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
