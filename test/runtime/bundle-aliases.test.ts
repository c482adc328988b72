/**
 * What the deployed bundles replace in the AWS SDK (serverless.yml, custom.esbuild.alias), each
 * checked in a child process with its own environment (the test's own is never changed): the
 * credentials Lambda sets in the environment, and no event-stream support; and a bundle built with
 * those aliases making the two calls the functions make, against the stand-ins.
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { EventStreamSerde, eventStreamSerdeProvider } from '../../functions/runtime/no-event-streams.ts'
import { startEventBridge } from '../../infra/local/eventbridge.ts'
import { startSecretsManager } from '../../infra/local/secrets-manager.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const CREDENTIALS = new URL('../../functions/runtime/lambda-credentials.ts', import.meta.url).href

/** The aliases serverless.yml gives serverless-esbuild, as `name: ./path` pairs. */
async function aliases(): Promise<Record<string, string>> {
  const template = await readFile(join(ROOT, 'serverless.yml'), 'utf8')
  const block = /^ {4}alias:\n((?: {6}.+\n)+)/m.exec(template)?.[1] ?? ''
  return Object.fromEntries(
    [...block.matchAll(/^ {6}"([^"]+)": (\.\/\S+)$/gm)].map(([, name, path]) => [name!, join(ROOT, path!)]),
  )
}

/** What `defaultProvider()()` resolves to (or the error's name) with exactly `env`. */
function credentialsWith(env: Record<string, string>) {
  const script = `import { defaultProvider } from ${JSON.stringify(CREDENTIALS)}
defaultProvider()().then(
  (c) => console.log(JSON.stringify({ accessKeyId: c.accessKeyId, secret: c.secretAccessKey === 'shh', token: c.sessionToken ?? null })),
  (e) => console.log(JSON.stringify({ error: e.name })),
)`
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  })
  return JSON.parse(output) as Record<string, unknown>
}

describe('the AWS SDK in the deployed bundles', () => {
  it('replaces the default credential chain and event-stream support, and nothing else', async () => {
    assert.deepEqual(Object.keys(await aliases()).sort(), [
      '@aws-sdk/credential-provider-node',
      '@smithy/core/event-streams',
    ])
  })

  it("takes the role's credentials from the environment, session token included", () => {
    const env = { AWS_ACCESS_KEY_ID: 'ASIATEST', AWS_SECRET_ACCESS_KEY: 'shh', AWS_SESSION_TOKEN: 'token' }
    assert.deepEqual(credentialsWith(env), { accessKeyId: 'ASIATEST', secret: true, token: 'token' })
  })

  it('without them, fails as the SDK fails (no files, SSO or metadata are tried)', () => {
    assert.deepEqual(credentialsWith({ HOME: '/nonexistent' }), { error: 'CredentialsProviderError' })
  })

  it('says so if anything ever asks for event streams', () => {
    assert.throws(() => new EventStreamSerde(), /event streams are left out of this bundle/)
    assert.throws(() => eventStreamSerdeProvider(), /event streams are left out of this bundle/)
  })

  it('a bundle built with the aliases reads the secret and puts an event, as the functions do', async (t) => {
    const secretsManager = await startSecretsManager({ secrets: { merchant: '{"a":1}' } })
    const eventBridge = await startEventBridge()
    const dir = await mkdtemp(join(tmpdir(), 'payscore-aliases-'))
    t.after(async () => {
      await secretsManager.close()
      await eventBridge.close()
      await rm(dir, { recursive: true, force: true })
    })
    await writeFile(
      join(dir, 'entry.ts'),
      `import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
import { PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { secretsManagerClient } from ${JSON.stringify(join(ROOT, 'functions/runtime/service.ts'))}
import { eventBridgeClient } from ${JSON.stringify(join(ROOT, 'functions/events/publisher.ts'))}
const secret = await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: 'merchant' }))
const put = await eventBridgeClient().send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'b' }] }))
console.log(JSON.stringify({ secret: secret.SecretString, failed: put.FailedEntryCount }))
`,
    )
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      outfile: join(dir, 'out.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      mainFields: ['module', 'main'],
      alias: await aliases(),
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'error',
      nodePaths: [join(ROOT, 'node_modules')],
    })
    const bundle = await readFile(join(dir, 'out.mjs'), 'utf8')
    for (const left of ['credential-provider-ini', 'submodules/event-streams'])
      assert.ok(!bundle.includes(left), left)
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'out.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
      },
    })
    assert.deepEqual(JSON.parse(stdout), { secret: '{"a":1}', failed: 0 })
    assert.equal(eventBridge.events.length, 1)
  })
})
