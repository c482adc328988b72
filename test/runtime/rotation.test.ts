/**
 * Key rotation on both sides, through the real service (credential store, rotating client, use case)
 * against the simulator and the Secrets Manager stand-in. Each test is one warm container: its own
 * service, which has cached the first secret version before anything rotates.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { parseTerminateInput } from '../../functions/authorizations/request.ts'
import type { MerchantSecret } from '../../functions/merchant/secret.ts'
import { readConfig } from '../../functions/runtime/config.ts'
import { createService } from '../../functions/runtime/service.ts'
import { startSecretsManager } from '../../infra/local/secrets-manager.ts'
import { type SimulatorOptions, startWechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import {
  loadGoSdkCertificate,
  loadPlatformCertificate,
  type PlatformCertificateFixture,
} from '../helpers/keys.ts'
import { captureLogs } from '../helpers/logs.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID } from '../helpers/merchant.ts'
import { freshCode, VALID } from '../helpers/stack.ts'

const SECRET_ID = 'payscore-terminate/rotation'
const NEW_PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001002026010100000000000002'

async function warmContainer(
  t: TestContext,
  options: { mode?: 'public_key' | 'certificate'; certificate?: PlatformCertificateFixture } = {},
) {
  const merchant = createTestMerchant({ mode: options.mode ?? 'public_key' })
  const certificate = options.certificate ?? loadPlatformCertificate()
  const simulatorOptions: SimulatorOptions = {
    merchants: [{ mchid: MCHID, serialNo: MERCHANT_SERIAL, publicKey: merchant.merchantKeys.publicKey }],
    ...(options.mode === 'certificate'
      ? { platformCertificate: { serialNo: certificate.serialNo, privateKey: certificate.privateKey } }
      : { wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: merchant.wechatpayKeys.privateKey } }),
  }
  const simulator = await startWechatPaySimulator(simulatorOptions)
  const sm = await startSecretsManager({ secrets: { [SECRET_ID]: merchant.secretString } })
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: sm.url,
    maxAttempts: 1,
  })
  t.after(async () => {
    client.destroy()
    await Promise.all([simulator.close(), sm.close()])
  })
  const config = readConfig({
    MERCHANT_SECRET_ID: SECRET_ID,
    WECHATPAY_BASE_URL: simulator.url,
    WECHATPAY_BACKUP_URL: '',
    WECHATPAY_ATTEMPT_TIMEOUT_MS: '1000',
  })
  const service = createService(config, { secretsManager: client })
  const terminate = (code = freshCode()) =>
    service.terminate(
      parseTerminateInput({ ...VALID, authorization_code: code }, 'partner'),
      Date.now() + 10_000,
    )
  assert.equal((await terminate()).outcome.outcome, 'terminated', 'warm: the first version is cached')
  simulator.requests.length = 0
  const gets = () => sm.calls.filter((call) => call.operation === 'GetSecretValue').length
  const putSecret = (secret: MerchantSecret) => sm.putSecret(SECRET_ID, JSON.stringify(secret))
  const sent = (endpoint: 'terminate' | 'query') =>
    simulator.requests.filter((request) => (endpoint === 'terminate') === request.url.endsWith('/terminate'))
      .length
  return { merchant, simulator, sm, terminate, gets, putSecret, sent }
}

function newWechatpayKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

describe("WeChat's key rotation: answers signed with a key the cached secret does not hold yet", () => {
  it('a new WeChat Pay public key (new id) in the secret: terminated, verified after one refresh, sent once', async (t) => {
    const c = await warmContainer(t)
    const key = newWechatpayKey()
    c.simulator.rotateKeys({ wechatpayPublicKey: { id: NEW_PUBLIC_KEY_ID, privateKey: key.privateKey } })
    c.putSecret({
      ...c.merchant.secret,
      wechatpay_public_key_id: NEW_PUBLIC_KEY_ID,
      wechatpay_public_key: key.publicPem,
    })
    const before = c.gets()
    const { outcome } = await c.terminate()
    assert.equal(outcome.outcome, 'terminated')
    assert.equal(outcome.wechatpay.status, 204)
    assert.equal(outcome.attempts, 1)
    assert.deepEqual([c.sent('terminate'), c.sent('query')], [1, 0], 'verified again, never sent again')
    assert.equal(c.gets(), before + 1, 'one refresh')
  })

  it('a new key under the same id (the signature fails): terminated after one refresh', async (t) => {
    const c = await warmContainer(t)
    const key = newWechatpayKey()
    c.simulator.rotateKeys({ wechatpayPublicKey: { id: PUBLIC_KEY_ID, privateKey: key.privateKey } })
    c.putSecret({ ...c.merchant.secret, wechatpay_public_key: key.publicPem })
    const { outcome } = await c.terminate()
    assert.equal(outcome.outcome, 'terminated')
    assert.deepEqual([c.sent('terminate'), c.sent('query')], [1, 0])
  })

  it('a new platform certificate added to the secret: terminated after one refresh', async (t) => {
    const c = await warmContainer(t, { mode: 'certificate' })
    const next = loadGoSdkCertificate()
    c.simulator.rotateKeys({ platformCertificate: { serialNo: next.serialNo, privateKey: next.privateKey } })
    c.putSecret({
      ...c.merchant.secret,
      platform_certificates: [...(c.merchant.secret.platform_certificates ?? []), next.certificatePem],
    })
    const { outcome } = await c.terminate()
    assert.equal(outcome.outcome, 'terminated')
    assert.deepEqual([c.sent('terminate'), c.sent('query')], [1, 0])
  })

  it('a query answer under the new key is verified after the refresh too', async (t) => {
    const c = await warmContainer(t)
    const key = newWechatpayKey()
    const code = freshCode()
    c.simulator.inject({ fault: 'unfinished_orders', code })
    c.simulator.rotateKeys({ wechatpayPublicKey: { id: NEW_PUBLIC_KEY_ID, privateKey: key.privateKey } })
    c.putSecret({
      ...c.merchant.secret,
      wechatpay_public_key_id: NEW_PUBLIC_KEY_ID,
      wechatpay_public_key: key.publicPem,
    })
    const { outcome } = await c.terminate(code)
    assert.equal(outcome.outcome, 'rejected', 'the refusal is settled by the verified query')
    assert.equal(outcome.wechatpay.authorization_state, 'AVAILABLE')
  })

  it('concurrent calls share one refresh', async (t) => {
    const c = await warmContainer(t)
    const key = newWechatpayKey()
    c.simulator.rotateKeys({ wechatpayPublicKey: { id: NEW_PUBLIC_KEY_ID, privateKey: key.privateKey } })
    c.putSecret({
      ...c.merchant.secret,
      wechatpay_public_key_id: NEW_PUBLIC_KEY_ID,
      wechatpay_public_key: key.publicPem,
    })
    const before = c.gets()
    const results = await Promise.all(Array.from({ length: 5 }, () => c.terminate()))
    assert.deepEqual(
      results.map((result) => result.outcome.outcome),
      Array(5).fill('terminated'),
    )
    assert.equal(c.gets(), before + 1)
  })

  it('the secret not updated yet: never terminated from an answer nobody can verify', async (t) => {
    const c = await warmContainer(t)
    const key = newWechatpayKey()
    c.simulator.rotateKeys({ wechatpayPublicKey: { id: NEW_PUBLIC_KEY_ID, privateKey: key.privateKey } })
    const code = freshCode()
    const { outcome } = await c.terminate(code)
    assert.equal(outcome.outcome, 'failed')
    assert.equal(c.simulator.state(code), 'UNAVAILABLE', 'WeChat did terminate; we cannot know it')
    assert.deepEqual([c.sent('terminate'), c.sent('query')], [1, 1])
  })
})

describe('the merchant key rotation: WeChat refuses our signature (401 SIGN_ERROR)', () => {
  it('a new version in the secret: the request is signed with it and sent again', async (t) => {
    const c = await warmContainer(t)
    const rotated = createTestMerchant()
    c.putSecret({ ...c.merchant.secret, merchant_private_key: rotated.merchantKeys.privatePem })
    c.simulator.trustMerchant({
      mchid: MCHID,
      serialNo: MERCHANT_SERIAL,
      publicKey: rotated.merchantKeys.publicKey,
    })
    const before = c.gets()
    const { outcome } = await c.terminate()
    assert.equal(outcome.outcome, 'terminated')
    assert.equal(outcome.attempts, 2)
    assert.equal(c.gets(), before + 1)
  })

  it('no new version: failed after one refresh, no second terminate', async (t) => {
    const c = await warmContainer(t)
    const before = c.gets()
    const { outcome } = await c.terminate(freshCode('SIM_SIGNERR'))
    assert.equal(outcome.outcome, 'failed')
    assert.equal(outcome.wechatpay.code, 'SIGN_ERROR')
    assert.equal(outcome.attempts, 1)
    assert.equal(c.gets(), before + 1)
  })

  it('a refresh that fails transiently: retryable, reporting the refusal', async (t) => {
    const c = await warmContainer(t)
    c.simulator.inject({ fault: 'sign_error' })
    c.sm.fail({ error: 'ThrottlingException' })
    const { outcome } = await c.terminate()
    assert.equal(outcome.outcome, 'retryable')
    assert.equal(outcome.wechatpay.code, 'SIGN_ERROR')
    assert.equal(outcome.attempts, 1)
  })

  it('an unusable new version: failed, reporting the refusal; logged once with its code and field', async (t) => {
    const c = await warmContainer(t)
    c.putSecret({ ...c.merchant.secret, merchant_serial_no: 'not hex' })
    const { result, lines } = await captureLogs(async () => [
      await c.terminate(freshCode('SIM_SIGNERR')),
      await c.terminate(freshCode('SIM_SIGNERR')),
    ])
    const [refused, next] = result
    assert.equal(refused?.outcome.outcome, 'failed')
    assert.equal(refused?.outcome.wechatpay.status, 401)
    assert.equal(refused?.outcome.attempts, 1)
    assert.equal(next?.outcome.outcome, 'failed', 'the next call meets the unusable version at once')
    assert.equal(next?.fault, 'configuration')
    assert.equal(next?.outcome.attempts, 0)
    assert.equal(c.sent('terminate'), 1, 'nothing sent with a secret known to be unusable')
    const logged = lines.filter((line) => line.message === 'merchant secret unusable')
    assert.equal(logged.length, 1, 'logged once for two calls')
    assert.equal(logged[0]?.error_code, 'SECRET_INVALID')
    assert.equal(logged[0]?.field, 'merchant_serial_no')
  })
})
