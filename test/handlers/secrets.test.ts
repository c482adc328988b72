import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { createHttpHandler } from '../../functions/http.ts'
import { readConfig } from '../../functions/runtime/config.ts'
import { createObservability } from '../../functions/runtime/observability.ts'
import { createService } from '../../functions/runtime/service.ts'
import type { SecretsManagerErrorName } from '../../infra/local/secrets-manager.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { captureConsole } from '../helpers/logs.ts'
import { createTestMerchant } from '../helpers/merchant.ts'
import { type Container, freshCode, SECRET_ID, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container
let handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>

before(async () => {
  // Every call reads the secret (no cache, no pause after a failure): each test meets its own
  // version. The cache and the pauses are tested with a clock in test/merchant/credentials.test.ts.
  stack = await startStack()
  container = stack.container({ SECRET_TTL_SECONDS: '0' })
  handler = container.http as unknown as typeof handler
})
after(() => stack.close())

async function post(code = freshCode()) {
  const { result, lines } = await container.logs.during(() =>
    handler(httpEvent(code, VALID), lambdaContext()),
  )
  return { ...result, json: JSON.parse(String(result.body)), lines }
}

function assertInternalError(response: Awaited<ReturnType<typeof post>>, errorCode: string, field?: string) {
  assert.equal(response.statusCode, 500)
  assert.deepEqual(response.json, { error: { code: 'INTERNAL_ERROR', message: 'internal error' } })
  const line = response.lines.find((entry) => entry.message === 'merchant secret unusable')
  assert.ok(
    line,
    `a log line names the problem: ${JSON.stringify(response.lines.map((entry) => entry.message))}`,
  )
  assert.equal(line.error_code, errorCode)
  assert.equal(line.field, field)
}

/**
 * No log line holds any value of the secret: each PEM line of key material (at least 16 characters,
 * so a line of armor or a short id does not count) and each other string value in full.
 */
function assertNoSecretValue(lines: Array<Record<string, unknown>>, secretString: string) {
  const logged = JSON.stringify(lines)
  let secret: unknown
  try {
    secret = JSON.parse(secretString)
  } catch {
    assert.ok(!logged.includes(secretString), 'the unparsable secret text is not logged')
    return
  }
  const values = Object.entries(secret as Record<string, unknown>)
    .filter(([field]) => field !== 'mchid' && field !== 'wechatpay_public_key_id')
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]))
    .filter((value): value is string => typeof value === 'string')
  const fragments = values.flatMap((value) =>
    value.includes('-----')
      ? value.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'))
      : [value],
  )
  assert.ok(fragments.length > 0)
  for (const fragment of fragments) assert.ok(!logged.includes(fragment), 'a secret value reached the log')
  assert.ok(!/BEGIN|PRIVATE KEY|PUBLIC KEY|CERTIFICATE/.test(logged), 'no PEM armor words in the log')
}

// The order matters: the container caches the first good secret, as Lambda would.
describe('merchant secret faults (HTTP entry point)', () => {
  it('a missing MERCHANT_SECRET_ID is a logged 500, and costs no call', async () => {
    const logs = captureConsole()
    const observability = createObservability({ console: logs.console })
    const { MERCHANT_SECRET_ID: _, ...env } = stack.env()
    const unconfigured = createHttpHandler({ service: () => createService(readConfig(env)), observability })
    const before = stack.simulator.requests.length
    const { result, lines } = await logs.during(() =>
      unconfigured(httpEvent(freshCode(), VALID), lambdaContext()),
    )
    assert.equal(result.statusCode, 500)
    assert.ok(lines.some((line) => JSON.stringify(line).includes('MERCHANT_SECRET_ID')))
    assert.ok(
      lines.some((line) => line.UnhandledErrors === 1),
      'counted for the unhandled-errors alarm',
    )
    assert.equal(stack.simulator.requests.length, before)
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
      assertNoSecretValue(response.lines, secretString)
    })
  }

  it('a Secrets Manager that hangs: 503 retryable before the Lambda deadline, not a timeout', async () => {
    stack.secretsManager.delayMs = 5_000
    try {
      const started = Date.now()
      const { result } = await container.logs.during(() =>
        handler(httpEvent(freshCode(), VALID), lambdaContext(2_000)),
      )
      assert.equal(result.statusCode, 503)
      assert.equal(JSON.parse(String(result.body)).outcome, 'retryable')
      assert.ok(Date.now() - started < 2_000)
    } finally {
      stack.secretsManager.delayMs = 0
    }
  })

  it('an invoke query under an unusable secret: QueryFailedError saying so, not a bare "no usable answer"', async () => {
    stack.secretsManager.putSecret(SECRET_ID, JSON.stringify({ ...createTestMerchant().secret, mchid: 'x' }))
    const before = stack.simulator.requests.length
    await assert.rejects(
      container.invoke({ ...VALID, authorization_code: freshCode(), operation: 'query' }, lambdaContext()),
      (error: Error) =>
        error.name === 'QueryFailedError' &&
        /merchant secret or the function's configuration/.test(error.message),
    )
    assert.equal(stack.simulator.requests.length, before)
  })

  it('a good secret version then works', async () => {
    stack.secretsManager.putSecret(SECRET_ID, stack.merchant.secretString)
    assert.equal((await post()).json.outcome, 'terminated')
  })
})
