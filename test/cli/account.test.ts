/**
 * The run record names the AWS account of the operator's credentials (STS GetCallerIdentity): one
 * stage name is deployed in several accounts, so results written with account A's credentials are
 * not done for account B's. Against a Lambda endpoint that is not AWS's (--stage local, a stand-in)
 * no account is asked, unless AWS_ENDPOINT_URL_STS names an STS to ask (as here, a fake one).
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { type FakeSts, startFakeSts } from './fake-sts.ts'
import { runCli } from './helpers.ts'

const ACCOUNT_A = '111111111111'
const ACCOUNT_B = '222222222222'
const KEY_A = 'ACCOUNTAKEYID'
const KEY_B = 'ACCOUNTBKEYID'
/** --stage local signs with the access key id `local` (cli/target.ts). */
const LOCAL_ACCOUNT = '000000000000'

let lambda: FakeLambda
let sts: FakeSts
const dir = mkdtempSync(join(tmpdir(), 'cli-account-'))

before(async () => {
  lambda = await startFakeLambda()
  sts = await startFakeSts({ [KEY_A]: ACCOUNT_A, [KEY_B]: ACCOUNT_B, local: LOCAL_ACCOUNT })
})
after(async () => {
  await lambda.close()
  await sts.close()
  rmSync(dir, { recursive: true, force: true })
})

let files = 0
function csv(lines: string[]) {
  files += 1
  const input = join(dir, `input-${files}.csv`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  return { input, output: join(dir, `results-${files}.csv`) }
}
const FILLS = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']

/** prod by name, with the credentials of the access key id `keyId`; STS at `stsUrl`. */
const bulkProd = (file: { input: string; output: string }, keyId: string, stsUrl = sts.url) =>
  runCli(
    [
      '--function',
      'payscore-terminate-prod-invoke',
      'bulk-terminate',
      '--input',
      file.input,
      '--output',
      file.output,
      ...FILLS,
    ],
    {
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      AWS_ENDPOINT_URL_STS: stsUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: keyId,
      AWS_SECRET_ACCESS_KEY: 'test',
    },
  )

const record = (output: string) =>
  JSON.parse(readFileSync(`${output}.run`, 'utf8')) as Record<string, unknown>

describe('bulk-terminate: the AWS account in the run record', () => {
  it("refuses results written with another account's credentials: nothing sent; the same account skips them as done", async () => {
    const file = csv(['authorization_code', 'acct_code_0001', 'acct_code_0002'])
    const first = await bulkProd(file, KEY_A)
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.match(first.stdout, /^terminated +2$/m)
    const written = readFileSync(file.output, 'utf8')
    const run = readFileSync(`${file.output}.run`, 'utf8')
    const sent = lambda.invocations()

    const other = await bulkProd(file, KEY_B)
    assert.equal(other.code, 2, other.stdout)
    assert.match(
      other.stderr,
      new RegExp(
        `holds results written with account ${ACCOUNT_A}; this run has account ${ACCOUNT_B}: use another --output`,
      ),
    )
    assert.equal(lambda.invocations(), sent, 'nothing sent to account B')
    assert.equal(readFileSync(file.output, 'utf8'), written)
    assert.equal(readFileSync(`${file.output}.run`, 'utf8'), run)
    assert.equal(record(file.output).account, ACCOUNT_A)

    const again = await bulkProd(file, KEY_A)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^skipped +2\b/m, 'the same account: every row is done')
    assert.equal(lambda.invocations(), sent)
  })

  it('stops before anything is sent when STS does not answer who the credentials are (exit 1, naming STS and why)', async () => {
    const file = csv(['authorization_code', 'acct_code_0003'])
    const sent = lambda.invocations()
    const refused = await bulkProd(file, 'UNKNOWNKEYID')
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(
      refused.stderr,
      /cannot tell the AWS account of these credentials \(STS GetCallerIdentity\): .*security token included in the request is invalid/,
    )

    // No STS at all: the port of a server that was closed.
    const gone = await startFakeSts({})
    const goneUrl = gone.url
    await gone.close()
    const unreachable = await bulkProd(file, KEY_A, goneUrl)
    assert.equal(unreachable.code, 1, unreachable.stdout)
    assert.match(
      unreachable.stderr,
      /cannot tell the AWS account of these credentials \(STS GetCallerIdentity\): /,
    )

    assert.equal(lambda.invocations(), sent, 'nothing sent')
    assert.equal(existsSync(file.output), false)
    assert.equal(existsSync(`${file.output}.run`), false)
  })

  it('--stage local asks no account (the endpoint names the target), unless AWS_ENDPOINT_URL_STS names an STS', async () => {
    const file = csv(['authorization_code', 'acct_code_0004'])
    const local = (env: Record<string, string>) =>
      runCli(
        ['--stage', 'local', 'bulk-terminate', '--input', file.input, '--output', file.output, ...FILLS],
        {
          AWS_ENDPOINT_URL_LAMBDA: lambda.url,
          ...env,
        },
      )
    const asked = sts.requests()
    // Were STS asked, AWS_ENDPOINT_URL would send it to the fake.
    const unasked = await local({ AWS_ENDPOINT_URL: sts.url })
    assert.equal(unasked.code, 0, unasked.stdout + unasked.stderr)
    assert.equal(sts.requests(), asked, 'no STS call')
    assert.deepEqual(Object.keys(record(file.output)), ['function', 'region', 'endpoint', 'mode', 'fill'])

    const other = csv(['authorization_code', 'acct_code_0005'])
    const withSts = await runCli(
      ['--stage', 'local', 'bulk-terminate', '--input', other.input, '--output', other.output, ...FILLS],
      { AWS_ENDPOINT_URL_LAMBDA: lambda.url, AWS_ENDPOINT_URL_STS: sts.url },
    )
    assert.equal(withSts.code, 0, withSts.stdout + withSts.stderr)
    assert.equal(sts.requests(), asked + 1)
    assert.equal(record(other.output).account, LOCAL_ACCOUNT)
  })
})
