import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { createCredentialStore } from '../../functions/merchant/credentials.ts'
import { CredentialsError } from '../../functions/merchant/errors.ts'
import type { MerchantKeys } from '../../functions/merchant/secret.ts'
import { type SecretsManagerErrorName, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import { createTestMerchant } from '../helpers/merchant.ts'

const SECRET = 'payscore/merchant'

/** A store over the real SDK and the stand-in; `build` counts how often a version is parsed. */
async function setUp(
  t: TestContext,
  options: { ttlMs?: number; secret?: string; maxAttempts?: number } = {},
) {
  const merchant = createTestMerchant()
  const sm = await startSecretsManager({ secrets: { [SECRET]: options.secret ?? merchant.secretString } })
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: sm.url,
    maxAttempts: options.maxAttempts ?? 1,
  })
  let now = 1_000_000
  const builds: MerchantKeys[] = []
  const stale: CredentialsError[] = []
  const unusable: Array<[CredentialsError, string]> = []
  const store = createCredentialStore({
    secretId: SECRET,
    secretsManager: client,
    build: (keys) => {
      builds.push(keys)
      return keys
    },
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    clock: () => now,
    onError: (error, { version }) => {
      if (version === undefined) stale.push(error)
      else unusable.push([error, version])
    },
  })
  t.after(async () => {
    client.destroy()
    await sm.close()
  })
  const gets = () => sm.calls.filter((call) => call.operation === 'GetSecretValue').length
  return { sm, store, builds, stale, unusable, gets, merchant, advance: (ms: number) => (now += ms) }
}

async function rejectsWith(promise: Promise<unknown>, code: string, field?: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CredentialsError, String(error))
    assert.equal(error.code, code)
    assert.equal(error.field, field)
    return true
  })
}

describe('credential store', () => {
  it('fetches once and serves warm calls from the cache within the TTL', async (t) => {
    const { store, builds, gets, advance } = await setUp(t)
    const first = await store.get()
    advance(299_999)
    assert.equal(await store.get(), first)
    assert.equal(gets(), 1)
    assert.equal(builds.length, 1)
    assert.equal(first.value.signer.mchid, '1900000100')
  })

  it('fresh(): the cached merchant within its TTL and only then, never a fetch of its own', async (t) => {
    const { sm, store, gets, advance } = await setUp(t, { ttlMs: 1000 })
    assert.equal(store.fresh(), undefined, 'nothing before the first fetch')
    const first = await store.get()
    advance(999)
    assert.equal(store.fresh(), first)
    advance(1)
    assert.equal(store.fresh(), undefined, 'the TTL is over: get() must ask Secrets Manager')
    assert.equal(gets(), 1)
    // A newer version that is unusable is get()'s answer, so fresh() has none to give.
    sm.putSecret(SECRET, '{"mchid":"1900000100"}')
    await assert.rejects(store.get(), CredentialsError)
    assert.equal(store.fresh(), undefined)
  })

  it('shares one fetch among many callers that start at once', async (t) => {
    const { sm, store, gets } = await setUp(t)
    sm.delayMs = 50
    const merchants = await Promise.all(Array.from({ length: 25 }, () => store.get()))
    assert.equal(gets(), 1)
    assert.equal(new Set(merchants).size, 1)
  })

  it('fetches again after the TTL and parses only when the version changed', async (t) => {
    const { sm, store, builds, gets, advance, merchant } = await setUp(t, { ttlMs: 1000 })
    const first = await store.get()
    advance(1000)
    assert.equal(await store.get(), first, 'same version: same merchant, not parsed again')
    assert.equal(gets(), 2)
    assert.equal(builds.length, 1)
    const rotated = createTestMerchant()
    sm.putSecret(SECRET, rotated.secretString)
    advance(1000)
    const second = await store.get()
    assert.notEqual(second.version, first.version)
    assert.equal(builds.length, 2)
    assert.notEqual(merchant.secretString, rotated.secretString)
  })

  it('refresh fetches a rotated secret at once, and only once for many callers', async (t) => {
    const { sm, store, gets } = await setUp(t)
    const first = await store.get()
    sm.putSecret(SECRET, createTestMerchant().secretString)
    const fresh = await Promise.all([store.refresh(first), store.refresh(first), store.refresh(first)])
    assert.equal(gets(), 2)
    assert.notEqual(fresh[0]!.version, first.version)
    assert.equal(
      await store.refresh(first),
      fresh[0],
      'a later refresh of the stale version reuses the new one',
    )
    assert.equal(gets(), 2)
  })

  it('serves the cached version when a refetch fails transiently, tells, and waits before asking again', async (t) => {
    const { sm, store, stale, advance, gets } = await setUp(t, { ttlMs: 60_000 })
    const first = await store.get()
    sm.fail({ error: 'ThrottlingException' })
    advance(60_000)
    assert.equal(await store.get(), first)
    assert.equal(stale[0]?.code, 'SECRET_UNAVAILABLE')
    const asked = gets()
    advance(29_999)
    assert.equal(await store.get(), first)
    assert.equal(gets(), asked, 'no call to Secrets Manager during the pause')
    advance(1)
    sm.clearFaults()
    assert.equal(await store.get(), first)
    assert.equal(gets(), asked + 1)
  })

  it('refresh reports a transient failure instead of serving the stale version', async (t) => {
    const { sm, store } = await setUp(t)
    const first = await store.get()
    sm.fail({ error: 'ThrottlingException', times: 1 })
    await rejectsWith(store.refresh(first), 'SECRET_UNAVAILABLE')
  })

  const faults: Array<[SecretsManagerErrorName, string]> = [
    ['ResourceNotFoundException', 'SECRET_NOT_FOUND'],
    ['AccessDeniedException', 'SECRET_ACCESS_DENIED'],
    ['DecryptionFailure', 'SECRET_ACCESS_DENIED'],
    ['ThrottlingException', 'SECRET_UNAVAILABLE'],
    ['InternalServiceError', 'SECRET_UNAVAILABLE'],
  ]
  for (const [fault, code] of faults) {
    it(`turns ${fault} into ${code} and does not cache the failure`, async (t) => {
      const { sm, store, gets } = await setUp(t)
      sm.fail({ error: fault, times: 1 })
      await rejectsWith(store.get(), code)
      assert.ok(await store.get(), 'the next call fetches again and succeeds')
      assert.equal(gets(), 2)
    })
  }

  it('names the field of a malformed secret', async (t) => {
    const { secret } = createTestMerchant()
    const { store } = await setUp(t, { secret: JSON.stringify({ ...secret, merchant_private_key: 'nope' }) })
    await rejectsWith(store.get(), 'SECRET_INVALID', 'merchant_private_key')
  })

  it('rejects a SecretString that is not JSON', async (t) => {
    const { store } = await setUp(t, { secret: '{not json' })
    await rejectsWith(store.get(), 'SECRET_MALFORMED')
  })

  describe('refresh is decided by the secret, not by timing', () => {
    for (const order of ['get first', 'refresh first'] as const) {
      it(`a throttled refresh fails whatever a concurrent get serves (${order})`, async (t) => {
        const { sm, store, advance } = await setUp(t, { ttlMs: 60_000 })
        const first = await store.get()
        advance(60_000)
        sm.fail({ error: 'ThrottlingException' })
        sm.delayMs = 30
        const [served, refreshed] =
          order === 'get first'
            ? await Promise.allSettled([store.get(), store.refresh(first)])
            : await Promise.allSettled([store.refresh(first), store.get()]).then(([r, g]) => [g!, r!])
        assert.deepEqual(served, { status: 'fulfilled', value: first }, 'get serves the cached version')
        assert.equal(refreshed?.status, 'rejected', 'refresh never receives the stale version')
        assert.equal((refreshed as PromiseRejectedResult).reason.code, 'SECRET_UNAVAILABLE')
      })
    }
  })

  describe('an unusable new version', () => {
    const broken = () => JSON.stringify({ ...createTestMerchant().secret, mchid: 'not digits' })

    it('is parsed and reported once, refused until it changes, and asked again only after a pause', async (t) => {
      const { sm, store, unusable, gets, advance } = await setUp(t, { ttlMs: 60_000 })
      const first = await store.get()
      sm.putSecret(SECRET, broken())
      advance(60_000)
      for (let call = 0; call < 5; call += 1) await rejectsWith(store.get(), 'SECRET_INVALID', 'mchid')
      assert.equal(gets(), 2, 'one fetch for five calls')
      assert.equal(unusable.length, 1)
      assert.equal(unusable[0]![0].code, 'SECRET_INVALID')
      assert.equal(unusable[0]![0].field, 'mchid')
      advance(30_000)
      await rejectsWith(store.get(), 'SECRET_INVALID', 'mchid')
      assert.equal(gets(), 3, 'asked again after the pause')
      assert.equal(unusable.length, 1, 'the same version is not reported again')
      const fixed = createTestMerchant()
      sm.putSecret(SECRET, fixed.secretString)
      advance(30_000)
      const second = await store.get()
      assert.notEqual(second.version, first.version)
    })

    it('is the answer to a refresh (WeChat refused the old key): SECRET_INVALID naming the field', async (t) => {
      const { sm, store, unusable } = await setUp(t)
      const first = await store.get()
      sm.putSecret(SECRET, broken())
      await rejectsWith(store.refresh(first), 'SECRET_INVALID', 'mchid')
      await rejectsWith(store.refresh(first), 'SECRET_INVALID', 'mchid')
      assert.equal(unusable.length, 1, 'reported once')
    })

    it('with no usable version before it: every call fails at once, one fetch per pause', async (t) => {
      const { store, unusable, gets, advance } = await setUp(t, { secret: broken() })
      await rejectsWith(store.get(), 'SECRET_INVALID', 'mchid')
      await rejectsWith(store.get(), 'SECRET_INVALID', 'mchid')
      assert.equal(gets(), 1)
      advance(30_000)
      await rejectsWith(store.get(), 'SECRET_INVALID', 'mchid')
      assert.equal(gets(), 2)
      assert.equal(unusable.length, 1)
    })
  })
})
