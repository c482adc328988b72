/**
 * A CSV export that is not UTF-8 (Excel in a Chinese locale saves GBK) must not reach WeChat as
 * mojibake: the reason is shown to the user and a termination cannot be redone. Today csv-parse
 * decodes the invalid bytes as U+FFFD, the service's rules accept U+FFFD, and the garbled reason is
 * sent with exit 0 ("every row done").
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { runCli } from './helpers.ts'

// 用户申请解除授权 in GBK (what `iconv -f UTF-8 -t GBK` gives): not valid UTF-8.
const GBK_REASON = Buffer.from('d3c3bba7c9eac7ebbde2b3fdcadac8a8', 'hex')

const dir = mkdtempSync(join(tmpdir(), 'cli-encoding-'))
/** The Invoke API: answers every event `terminated` and records the events it got. */
let lambda: FakeLambda

before(async () => {
  lambda = await startFakeLambda()
})
after(async () => {
  await lambda.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('bulk-terminate input that is not UTF-8', () => {
  it('is refused before anything is sent (exit 2, naming the file), never sent decoded as U+FFFD', async () => {
    const input = join(dir, 'gbk.csv')
    writeFileSync(
      input,
      Buffer.concat([
        Buffer.from('authorization_code,service_id,sub_mchid,reason\ngbk_code_0001,500001,1900000109,'),
        GBK_REASON,
        Buffer.from('\n'),
      ]),
    )
    const run = await runCli(
      ['--stage', 'local', 'bulk-terminate', '--input', input, '--output', join(dir, 'out.csv')],
      { AWS_ENDPOINT_URL_LAMBDA: lambda.url },
    )
    const garbled = lambda.events.filter((event) =>
      Object.values(event).some((value) => value.includes('\uFFFD')),
    )
    assert.deepEqual(
      garbled.map((event) => event.reason),
      [],
      'a reason WeChat shows the user, garbled',
    )
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /gbk\.csv is not UTF-8: save it as UTF-8/)
    assert.equal(lambda.invocations(), 0)
  })
})
