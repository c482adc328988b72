/**
 * A Ctrl-C that lands before the first row is sent (while the client is checked or the input
 * surveyed, seconds for a large file) stops the run: the signal is already aborted when runBulk
 * starts listening to it, and an abort listener added then is never called.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { runBulk } from '../../cli/bulk/run.ts'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'

describe('bulk-terminate interrupted before its first call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-stop-early-'))
  let lambda: FakeLambda
  let client: LambdaClient
  before(async () => {
    lambda = await startFakeLambda()
    client = new LambdaClient({
      endpoint: lambda.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    })
  })
  after(async () => {
    client.destroy()
    await lambda.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('sends nothing and reports the interruption', async () => {
    const input = join(dir, 'codes.csv')
    const output = join(dir, 'results.csv')
    const rows = Array.from({ length: 50 }, (_, index) => `early_${index},500001,1900000109,r`)
    writeFileSync(input, `authorization_code,service_id,sub_mchid,reason\n${rows.join('\n')}\n`)
    const report = await runBulk({
      input,
      output,
      fill: {},
      mode: 'partner',
      concurrency: 8,
      rate: 1000,
      client,
      functionName: 'payscore-terminate-test-invoke',
      stop: AbortSignal.abort(),
      progress: process.stderr,
    })
    assert.equal(lambda.invocations(), 0)
    assert.equal(report.stoppedBy, 'interrupt')
    assert.equal(report.total, 50)
    assert.equal(report.tally.allDone(report.total), false)
    const written = existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter(Boolean) : []
    assert.ok(written.length <= 1, 'no result row: at most the header')
  })
})
