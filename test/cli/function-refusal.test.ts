/**
 * A row the CLI's own check passes but the deployed function refuses (InvalidRequestError: its
 * rules differ, another version) was called: its result is `failed`, tried again on the next run,
 * and it replaces the row's earlier result in RESULTS.csv. Written as `invalid` (no call), it was
 * sent again on every run while the file kept the earlier `retryable` as the row's result.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { readResults, runCli } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-function-refusal-'))
let lambda: FakeLambda
let refuse = false
before(async () => {
  lambda = await startFakeLambda(0, (event) => refuse && event.authorization_code === 'refused_1')
})
after(async () => {
  await lambda.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a row the deployed function refuses', () => {
  it('is failed, naming the refusal; tried again on the next run; its latest result kept', async () => {
    const input = join(dir, 'codes.csv')
    const output = join(dir, 'results.csv')
    writeFileSync(
      input,
      'authorization_code,service_id,sub_mchid,reason\nrefused_1,500001,1900000109,r\nfine_1,500001,1900000109,r\n',
    )
    const bulk = () =>
      runCli(['--stage', 'local', 'bulk-terminate', '--input', input, '--output', output], {
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      })
    refuse = true
    const first = await bulk()
    assert.equal(first.code, 1, first.stderr)
    const refused = readResults(output).find((row) => row.authorization_code === 'refused_1')
    assert.equal(refused?.outcome, 'failed')
    assert.match(refused?.error ?? '', /the function refused the row: reason: not allowed here/)

    const calls = lambda.invocations()
    const second = await bulk()
    assert.equal(second.code, 1, second.stderr)
    assert.equal(lambda.invocations(), calls + 1, 'the refused row is sent again, the terminated one skipped')

    refuse = false
    const third = await bulk()
    assert.equal(third.code, 0, third.stdout)
    assert.deepEqual(
      readResults(output).map((row) => [row.authorization_code, row.outcome]),
      [
        ['refused_1', 'terminated'],
        ['fine_1', 'terminated'],
      ],
    )
  })
})
