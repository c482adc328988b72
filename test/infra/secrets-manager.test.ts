import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it, type TestContext } from 'node:test'
import {
  CreateSecretCommand,
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager'
import { type SecretsManagerErrorName, startSecretsManager } from '../../infra/local/secrets-manager.ts'
import { until } from '../helpers/wait.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ARN = /^arn:aws:secretsmanager:us-east-1:000000000000:secret:wechatpay-[A-Za-z0-9]{6}$/
const BASE_CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }

/** A fresh stand-in holding one secret, and a client that does not retry unless told to. */
async function setUp(t: TestContext, config: SecretsManagerClientConfig = { maxAttempts: 1 }) {
  const sm = await startSecretsManager({ secrets: { wechatpay: '{"mchid":"1900000001"}' } })
  const client = new SecretsManagerClient({ ...BASE_CONFIG, endpoint: sm.url, ...config })
  t.after(async () => {
    client.destroy()
    await sm.close()
  })
  return { sm, client }
}

const getSecret = (client: SecretsManagerClient, SecretId = 'wechatpay') =>
  client.send(new GetSecretValueCommand({ SecretId }))

describe('GetSecretValue through the real SDK', () => {
  it('returns the current version by name, as the service shapes it', async (t) => {
    const { sm, client } = await setUp(t)

    const secret = await getSecret(client)

    assert.equal(secret.Name, 'wechatpay')
    assert.equal(secret.SecretString, '{"mchid":"1900000001"}')
    assert.match(secret.ARN ?? '', ARN)
    assert.match(secret.VersionId ?? '', UUID)
    assert.deepEqual(secret.VersionStages, ['AWSCURRENT'])
    assert.ok(secret.CreatedDate instanceof Date)
    assert.ok(Math.abs(secret.CreatedDate.getTime() - Date.now()) < 5_000)
    assert.match(secret.$metadata.requestId ?? '', UUID)
    assert.deepEqual(
      sm.calls.map(({ operation, secretId, attempt }) => ({ operation, secretId, attempt })),
      [{ operation: 'GetSecretValue', secretId: 'wechatpay', attempt: 'attempt=1; max=1' }],
    )
  })

  it('finds a secret by its ARN', async (t) => {
    const { sm, client } = await setUp(t)
    const { arn } = sm.putSecret('wechatpay', 'rotated')

    const secret = await getSecret(client, arn)

    assert.equal(secret.ARN, arn)
    assert.equal(secret.SecretString, 'rotated')
  })

  it('is reached through AWS_ENDPOINT_URL_SECRETS_MANAGER', async (t) => {
    const sm = await startSecretsManager({ secrets: { wechatpay: 'from-env' } })
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.url
    const client = new SecretsManagerClient({ ...BASE_CONFIG, maxAttempts: 1 })
    t.after(async () => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved
      client.destroy()
      await sm.close()
    })

    const secret = await getSecret(client)

    assert.equal(secret.SecretString, 'from-env')
    assert.equal(sm.calls.length, 1)
  })
})

describe('versions', () => {
  it('PutSecretValue makes a new AWSCURRENT and moves the old one to AWSPREVIOUS', async (t) => {
    const { client } = await setUp(t)
    const first = await getSecret(client)

    const put = await client.send(new PutSecretValueCommand({ SecretId: 'wechatpay', SecretString: 'v2' }))

    assert.match(put.VersionId ?? '', UUID)
    assert.notEqual(put.VersionId, first.VersionId)
    assert.deepEqual(put.VersionStages, ['AWSCURRENT'])
    const current = await getSecret(client)
    assert.deepEqual([current.VersionId, current.SecretString], [put.VersionId, 'v2'])
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'wechatpay', VersionStage: 'AWSPREVIOUS' }),
    )
    assert.deepEqual([previous.VersionId, previous.SecretString], [first.VersionId, first.SecretString])
    assert.deepEqual(previous.VersionStages, ['AWSPREVIOUS'])
  })

  it('putSecret rotates too, and a version two rotations old keeps no label', async (t) => {
    const { sm, client } = await setUp(t)
    const first = await getSecret(client)
    const second = sm.putSecret('wechatpay', 'v2')
    sm.putSecret('wechatpay', 'v3')

    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: 'wechatpay', VersionStage: 'AWSPREVIOUS' }),
    )
    const oldest = await client.send(
      new GetSecretValueCommand({ SecretId: 'wechatpay', VersionId: first.VersionId }),
    )

    assert.equal(previous.VersionId, second.versionId)
    assert.equal((await getSecret(client)).SecretString, 'v3')
    assert.deepEqual(oldest.VersionStages, [])
  })

  it('CreateSecret and DescribeSecret work, and a second CreateSecret is refused', async (t) => {
    const { client } = await setUp(t)

    const created = await client.send(new CreateSecretCommand({ Name: 'other', SecretString: 's' }))
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'other' }))

    assert.equal(described.ARN, created.ARN)
    assert.deepEqual(described.VersionIdsToStages, { [created.VersionId ?? '']: ['AWSCURRENT'] })
    await assert.rejects(
      client.send(new CreateSecretCommand({ Name: 'other', SecretString: 's' })),
      ResourceExistsException,
    )
  })
})

describe('errors', () => {
  it('an unknown secret is a ResourceNotFoundException with the service message', async (t) => {
    const { client } = await setUp(t)

    await assert.rejects(getSecret(client, 'missing'), (error) => {
      assert.ok(error instanceof ResourceNotFoundException)
      assert.equal(error.name, 'ResourceNotFoundException')
      assert.equal(error.message, "Secrets Manager can't find the specified secret.")
      assert.equal(error.$metadata.httpStatusCode, 400)
      return true
    })
  })

  it('goes on the wire as awsJson1_1 errors do: 400, __type in the body and x-amzn-ErrorType', async (t) => {
    const { sm } = await setUp(t)

    const response = await fetch(sm.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      body: JSON.stringify({ SecretId: 'missing' }),
    })

    assert.equal(response.status, 400)
    assert.equal(response.headers.get('content-type'), 'application/x-amz-json-1.1')
    assert.equal(response.headers.get('x-amzn-errortype'), 'ResourceNotFoundException')
    assert.deepEqual(await response.json(), {
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    })
  })

  it('an unknown version stage is a ResourceNotFoundException too', async (t) => {
    const { client } = await setUp(t)

    await assert.rejects(
      client.send(new GetSecretValueCommand({ SecretId: 'wechatpay', VersionStage: 'AWSPREVIOUS' })),
      { name: 'ResourceNotFoundException' },
    )
  })

  // AccessDeniedException and ThrottlingException are not in the Secrets Manager model: the SDK
  // builds a SecretsManagerServiceException whose name is the wire `__type`.
  const faults: {
    error: SecretsManagerErrorName
    status: number
    fault: string
    type: new (...args: never) => Error
  }[] = [
    { error: 'ResourceNotFoundException', status: 400, fault: 'client', type: ResourceNotFoundException },
    { error: 'AccessDeniedException', status: 400, fault: 'client', type: SecretsManagerServiceException },
    { error: 'ThrottlingException', status: 400, fault: 'client', type: SecretsManagerServiceException },
    { error: 'InternalServiceError', status: 500, fault: 'server', type: InternalServiceError },
    { error: 'DecryptionFailure', status: 400, fault: 'client', type: DecryptionFailure },
  ]
  for (const { error, status, fault, type } of faults) {
    it(`an injected ${error} reaches the caller under that name`, async (t) => {
      const { sm, client } = await setUp(t)
      sm.fail({ error })

      await assert.rejects(getSecret(client), (thrown) => {
        assert.ok(thrown instanceof type)
        assert.ok(thrown instanceof SecretsManagerServiceException)
        assert.equal(thrown.name, error)
        assert.equal(thrown.$fault, fault)
        assert.equal(thrown.$metadata.httpStatusCode, status)
        return true
      })
    })
  }
})

describe('fault control', () => {
  it('times: the fault clears itself after that many requests', async (t) => {
    const { sm, client } = await setUp(t)
    sm.fail({ error: 'ThrottlingException', times: 2 })

    await assert.rejects(getSecret(client), { name: 'ThrottlingException' })
    await assert.rejects(getSecret(client), { name: 'ThrottlingException' })
    assert.equal((await getSecret(client)).Name, 'wechatpay')
  })

  it('a fault applies only to its operation and secret (by name or ARN), until clearFaults', async (t) => {
    const { sm, client } = await setUp(t)
    const { arn } = sm.putSecret('wechatpay', 'v2')
    sm.putSecret('other', 'o')
    sm.fail({ operation: 'PutSecretValue', error: 'AccessDeniedException' })
    sm.fail({ secretId: 'wechatpay', error: 'DecryptionFailure' })

    await assert.rejects(getSecret(client), { name: 'DecryptionFailure' })
    await assert.rejects(getSecret(client, arn), { name: 'DecryptionFailure' })
    assert.equal((await getSecret(client, 'other')).SecretString, 'o')
    await assert.rejects(client.send(new PutSecretValueCommand({ SecretId: 'other', SecretString: 'x' })), {
      name: 'AccessDeniedException',
    })
    sm.clearFaults()
    assert.equal((await getSecret(client)).SecretString, 'v2')
  })

  it('records every call, and delayMs holds each reply so concurrent callers overlap', async (t) => {
    const { sm, client } = await setUp(t)
    sm.delayMs = 1_000
    const started = performance.now()
    let answered = 0
    const replies = Promise.all(
      [getSecret(client), getSecret(client)].map((reply) => reply.then(() => answered++)),
    )
    // Both calls arrive while the replies are held: however slow the machine, within the hold.
    await until(() => sm.calls.length === 2, 'both calls to arrive')
    assert.equal(answered, 0, 'both recorded before either reply left')
    await replies
    assert.ok(performance.now() - started >= 1_000)
    assert.ok(sm.calls.every((call) => call.operation === 'GetSecretValue' && call.at > 0))
  })
})

describe('SDK retries', () => {
  it('by default the SDK tries a 500 three times before giving up', async (t) => {
    const { sm, client } = await setUp(t, {})
    sm.fail({ error: 'InternalServiceError' })

    await assert.rejects(getSecret(client), (error) => {
      assert.ok(error instanceof InternalServiceError)
      assert.equal(error.$metadata.attempts, 3)
      return true
    })
    assert.deepEqual(
      sm.calls.map((call) => call.attempt),
      ['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3'],
    )
  })

  it('by default the SDK retries ThrottlingException, after a longer backoff (up to 1 s)', async (t) => {
    const { sm, client } = await setUp(t, {})
    sm.fail({ error: 'ThrottlingException', times: 1 })

    const secret = await getSecret(client)

    assert.equal(secret.$metadata.attempts, 2)
    assert.equal(sm.calls.length, 2)
  })

  it('by default the SDK does not retry AccessDeniedException', async (t) => {
    const { sm, client } = await setUp(t, {})
    sm.fail({ error: 'AccessDeniedException' })

    await assert.rejects(getSecret(client), { name: 'AccessDeniedException' })
    assert.equal(sm.calls.length, 1)
  })
})

describe('close()', () => {
  it('refuses further connections', async () => {
    const sm = await startSecretsManager()
    await sm.close()

    await assert.rejects(fetch(sm.url, { method: 'POST' }))
  })

  it('lets the process exit, even with a request still held by delayMs', async () => {
    const moduleUrl = new URL('../../infra/local/secrets-manager.ts', import.meta.url).href
    const script = `
      import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
      import { startSecretsManager } from '${moduleUrl}'
      const sm = await startSecretsManager({ secrets: { s: 'v' } })
      const client = new SecretsManagerClient({ ...${JSON.stringify(BASE_CONFIG)}, endpoint: sm.url, maxAttempts: 1 })
      await client.send(new GetSecretValueCommand({ SecretId: 's' }))
      sm.delayMs = 60_000
      const held = client.send(new GetSecretValueCommand({ SecretId: 's' })).catch(() => 'cut off')
      while (sm.calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
      await sm.close()
      console.log(await held)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url),
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10_000,
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })

    const [code, signal] = await once(child, 'exit')

    assert.deepEqual({ code, signal, output: output.trim() }, { code: 0, signal: null, output: 'cut off' })
  })
})
