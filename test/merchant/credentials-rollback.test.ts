import assert from 'node:assert/strict'
import { it } from 'node:test'
import { createCredentialStore } from '../../functions/merchant/credentials.ts'
import { CredentialsError } from '../../functions/merchant/errors.ts'
import { createTestMerchant } from '../helpers/merchant.ts'

/**
 * after an operator rolls the secret back (AWSCURRENT moved back to the last good
 * version once a new version proved unusable), the store keeps `unusable` set forever: fresh() never
 * answers again and get() asks Secrets Manager on every single call.
 */
it('after a rollback to the cached version, warm calls are served from the cache again', async () => {
  const good = createTestMerchant().secretString
  const broken = JSON.stringify({ ...createTestMerchant().secret, mchid: 'not digits' })
  let held = { VersionId: 'v1', SecretString: good }
  let gets = 0
  let now = 1_000_000
  const store = createCredentialStore({
    secretId: 'payscore/merchant',
    secretsManager: {
      send: async () => {
        gets += 1
        return held
      },
    } as never,
    build: (keys) => keys,
    ttlMs: 60_000,
    clock: () => now,
  })
  const first = await store.get()
  // The operator puts a broken version...
  held = { VersionId: 'v2', SecretString: broken }
  now += 60_000
  await assert.rejects(store.get(), CredentialsError)
  // ... sees the errors and moves AWSCURRENT back to v1.
  held = { VersionId: 'v1', SecretString: good }
  now += 30_000
  assert.equal(await store.get(), first, 'the rolled-back version is served')
  const asked = gets
  for (let call = 0; call < 100; call += 1) await store.get()
  assert.equal(gets, asked, 'within the TTL, no call asks Secrets Manager again')
  assert.equal(store.fresh(), first, 'and the warm path has its merchant again')
})
