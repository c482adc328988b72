import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { SecretsManagerErrorName } from '../../infra/local/secrets-manager.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { captureLogs } from '../helpers/logs.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL } from '../helpers/merchant.ts'
import { freshCode, SECRET_ID, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>

before(async () => {
  stack = await startStack()
  ;({ handler } = (await import('../../functions/http.ts')) as unknown as { handler: typeof handler })
})
after(() => stack.close())

const gets = () => stack.secretsManager.calls.filter((call) => call.operation === 'GetSecretValue').length

async function post(code = freshCode()) {
  const { result, lines } = await captureLogs(() => handler(httpEvent(code, VALID), lambdaContext()))
  return { ...result, json: JSON.parse(String(result.body)), lines }
}

function assertInternalError(response: Awaited<ReturnType<typeof post>>, errorCode: string, field?: string) {
  assert.equal(response.statusCode, 500)
  assert.deepEqual(response.json, { error: { code: 'INTERNAL_ERROR', message: 'internal error' } })
  const line = response.lines.find(
    (entry) => entry.message === 'merchant secret unusable: nothing was sent to WeChat Pay',
  )
  assert.ok(
    line,
    `a log line names the problem: ${JSON.stringify(response.lines.map((entry) => entry.message))}`,
  )
  assert.equal(line.error_code, errorCode)
  assert.equal(line.field, field)
}

// The order matters: the container caches the first good secret, as Lambda would.
describe('merchant secret faults (HTTP entry point)', () => {
  it('a missing MERCHANT_SECRET_ID is a logged 500, and costs no call', async () => {
    const saved = process.env.MERCHANT_SECRET_ID
    delete process.env.MERCHANT_SECRET_ID
    try {
      const { result, lines } = await captureLogs(() =>
        handler(httpEvent(freshCode(), VALID), lambdaContext()),
      )
      assert.equal(result.statusCode, 500)
      assert.ok(lines.some((line) => JSON.stringify(line).includes('MERCHANT_SECRET_ID')))
      assert.ok(
        lines.some((line) => line.UnhandledErrors === 1),
        'counted for the unhandled-errors alarm',
      )
    } finally {
      process.env.MERCHANT_SECRET_ID = saved
    }
  })

  const faults: Array<[SecretsManagerErrorName, string]> = [
    ['ResourceNotFoundException', 'SECRET_NOT_FOUND'],
    ['AccessDeniedException', 'SECRET_ACCESS_DENIED'],
    ['DecryptionFailure', 'SECRET_ACCESS_DENIED'],
  ]
  for (const [fault, code] of faults) {
    it(`${fault}: 500 with no detail, logged as ${code}`, async () => {
      stack.secretsManager.fail({ error: fault, times: 1 })
      assertInternalError(await post(), code)
    })
  }

  it('ThrottlingException: 503 retryable (it may pass), attempts 0', async () => {
    stack.secretsManager.fail({ error: 'ThrottlingException', times: 2 })
    const response = await post()
    assert.equal(response.statusCode, 503)
    assert.equal(response.json.outcome, 'retryable')
    assert.equal(response.json.attempts, 0)
  })

  const malformed: Array<[string, string, string | undefined]> = [
    ['not JSON', '{"mchid": ', undefined],
    ['missing mchid', JSON.stringify({ ...createTestMerchant().secret, mchid: undefined }), 'mchid'],
    [
      'an EC private key',
      JSON.stringify({
        ...createTestMerchant().secret,
        merchant_private_key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      }),
      'merchant_private_key',
    ],
    [
      'no verification key',
      JSON.stringify({
        ...createTestMerchant().secret,
        wechatpay_public_key: undefined,
        wechatpay_public_key_id: undefined,
      }),
      'wechatpay_public_key',
    ],
  ]
  for (const [name, secretString, field] of malformed) {
    it(`a secret with ${name}: 500, logged naming ${field ?? 'the problem'}, no call`, async () => {
      stack.secretsManager.putSecret(SECRET_ID, secretString)
      const before = stack.simulator.requests.length
      const response = await post()
      assertInternalError(response, field ? 'SECRET_INVALID' : 'SECRET_MALFORMED', field)
      assert.equal(stack.simulator.requests.length, before)
      assert.ok(!JSON.stringify(response.lines).includes('PRIVATE KEY'), 'no key material in the logs')
    })
  }

  it('a Secrets Manager that hangs: 503 retryable before the Lambda deadline, not a timeout', async () => {
    stack.secretsManager.delayMs = 5_000
    try {
      const started = Date.now()
      const { result } = await captureLogs(() => handler(httpEvent(freshCode(), VALID), lambdaContext(2_000)))
      assert.equal(result.statusCode, 503)
      assert.equal(JSON.parse(String(result.body)).outcome, 'retryable')
      assert.ok(Date.now() - started < 2_000)
    } finally {
      stack.secretsManager.delayMs = 0
    }
  })

  it('a good secret version then works', async () => {
    stack.secretsManager.putSecret(SECRET_ID, stack.merchant.secretString)
    assert.equal((await post()).json.outcome, 'terminated')
  })

  it('key rotation: SIGN_ERROR refreshes the secret once and the retry with the new key succeeds', async () => {
    const rotated = createTestMerchant()
    stack.secretsManager.putSecret(
      SECRET_ID,
      JSON.stringify({ ...rotated.secret, wechatpay_public_key: stack.merchant.secret.wechatpay_public_key }),
    )
    stack.simulator.trustMerchant({
      mchid: MCHID,
      serialNo: MERCHANT_SERIAL,
      publicKey: rotated.merchantKeys.publicKey,
    })
    const before = gets()
    const response = await post()
    assert.equal(response.json.outcome, 'terminated')
    assert.equal(response.json.attempts, 2)
    assert.equal(gets(), before + 1)
  })

  it('SIGN_ERROR then an unusable new secret version: failed, reporting the refused terminate', async () => {
    stack.secretsManager.putSecret(SECRET_ID, '{"mchid": ')
    const response = await post(freshCode('SIM_SIGNERR'))
    assert.equal(response.statusCode, 502)
    assert.equal(response.json.outcome, 'failed')
    assert.equal(response.json.wechatpay.status, 401)
    assert.equal(response.json.attempts, 1)
  })

  it('SIGN_ERROR then a refresh that fails transiently: retryable', async () => {
    stack.secretsManager.fail({ error: 'ThrottlingException', times: 2 })
    const response = await post(freshCode('SIM_SIGNERR'))
    assert.equal(response.statusCode, 503)
    assert.equal(response.json.outcome, 'retryable')
    assert.equal(response.json.wechatpay.code, 'SIGN_ERROR')
  })

  it('SIGN_ERROR with no new secret version: failed after one refresh, no second terminate', async () => {
    const before = gets()
    const response = await post(freshCode('SIM_SIGNERR'))
    assert.equal(response.statusCode, 502)
    assert.equal(response.json.outcome, 'failed')
    assert.equal(response.json.attempts, 1)
    assert.equal(gets(), before + 1)
  })
})
