/**
 * The credential provider the deployed bundles use in place of the SDK's default chain
 * (serverless.yml, custom.esbuild.alias): the environment Lambda sets, and nothing else. Each case
 * runs in a child process with its own environment (the test's own is never changed).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

const MODULE = new URL('../../functions/runtime/lambda-credentials.ts', import.meta.url).href

/** What `defaultProvider()()` resolves to (or the error's name) with exactly `env`. */
function resolveWith(env: Record<string, string>) {
  const script = `import { defaultProvider } from ${JSON.stringify(MODULE)}
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

describe('credentials in the deployed bundles: the environment Lambda sets', () => {
  it("reads the role's credentials, session token included", () => {
    const env = { AWS_ACCESS_KEY_ID: 'ASIATEST', AWS_SECRET_ACCESS_KEY: 'shh', AWS_SESSION_TOKEN: 'token' }
    assert.deepEqual(resolveWith(env), { accessKeyId: 'ASIATEST', secret: true, token: 'token' })
  })

  it('without them, fails as the SDK fails (no files, SSO or metadata are tried)', () => {
    assert.deepEqual(resolveWith({ HOME: '/nonexistent' }), { error: 'CredentialsProviderError' })
  })

  it('is what serverless.yml builds the functions with', () => {
    const template = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')
    assert.match(
      template,
      /^ {4}alias:\n {6}"@aws-sdk\/credential-provider-node": \.\/functions\/runtime\/lambda-credentials\.ts$/m,
    )
  })
})
