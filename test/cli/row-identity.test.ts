/**
 * A row's identity is its input values as written: identical rows are sent once, an `invalid`
 * result holds only while the row is still invalid, and never replaces the result of a call for
 * the same values. The real CLI process against a local Invoke API that answers `terminated` and
 * records the events it got.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { readResults, runCli } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-row-identity-'))
/** The Invoke API: answers every event `terminated` and records the events it got. */
let lambda: FakeLambda

before(async () => {
  lambda = await startFakeLambda()
})
after(async () => {
  await lambda.close()
  rmSync(dir, { recursive: true, force: true })
})

const HEADER = 'authorization_code,service_id,sub_mchid,reason'
const row = (code: string) => `${code},500001,1900000109,r`
let files = 0
function csv(rows: string[]) {
  files += 1
  const file = { input: join(dir, `input-${files}.csv`), output: join(dir, `results-${files}.csv`) }
  writeFileSync(file.input, `${[HEADER, ...rows].join('\n')}\n`)
  return file
}
const bulk = (file: { input: string; output: string }) =>
  runCli(['--stage', 'local', 'bulk-terminate', '--input', file.input, '--output', file.output], {
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
  })
/** The codes the Invoke API got from `from` on. */
const sentSince = (from: number) => lambda.events.slice(from).map((event) => event.authorization_code)
const outcomes = (path: string) =>
  readResults(path).map((result) => `${result.authorization_code} ${result.outcome}`)

describe('a row known by its values as written', () => {
  it('a row still invalid is skipped without a new result line; corrected (the same values), it is sent', async () => {
    const file = csv([row('stray_0001'), `${row('stray_0002')},stray`])
    const first = await bulk(file)
    assert.equal(first.code, 1, first.stderr)
    assert.deepEqual(outcomes(file.output), ['stray_0001 terminated', 'stray_0002 invalid'])
    assert.match(readResults(file.output)[1]?.error ?? '', /5 fields, the header 4/)

    const sent = lambda.events.length
    const written = readFileSync(file.output, 'utf8')
    const unchanged = await bulk(file)
    assert.equal(unchanged.code, 1, unchanged.stderr)
    assert.match(unchanged.stdout, /\(earlier runs: terminated 1, invalid 1\)/)
    assert.equal(readFileSync(file.output, 'utf8'), written, 'no new line for a row still invalid')
    assert.deepEqual(sentSince(sent), [])

    writeFileSync(file.input, `${[HEADER, row('stray_0001'), row('stray_0002')].join('\n')}\n`)
    const corrected = await bulk(file)
    assert.equal(corrected.code, 0, corrected.stdout + corrected.stderr)
    assert.deepEqual(sentSince(sent), ['stray_0002'])
    assert.deepEqual(outcomes(file.output), ['stray_0001 terminated', 'stray_0002 terminated'])
  })

  it('identical rows are sent once, counted as duplicates, and each gets the one result', async () => {
    const file = csv([row('dup_0001'), row('dup_0001'), row('dup_0002'), row('dup_0001')])
    const sent = lambda.events.length
    const run = await bulk(file)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(sentSince(sent).sort(), ['dup_0001', 'dup_0002'])
    assert.match(run.stdout, /^terminated +2$/m)
    assert.match(run.stdout, /^skipped +2 +\(duplicates 2\)$/m)
    assert.match(run.stdout, /^every row done$/m)
    assert.deepEqual(outcomes(file.output), [
      'dup_0001 terminated',
      'dup_0001 terminated',
      'dup_0002 terminated',
      'dup_0001 terminated',
    ])
  })

  it("a row with a stray field after its valid twin: the twin is sent, the result stays the call's, the next run skips both", async () => {
    const file = csv([row('twin_0003'), row('twin_0003b'), `${row('twin_0003')},stray`])
    const sent = lambda.events.length
    const run = await bulk(file)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(sentSince(sent).sort(), ['twin_0003', 'twin_0003b'])
    assert.deepEqual(outcomes(file.output), [
      'twin_0003 terminated',
      'twin_0003b terminated',
      'twin_0003 terminated',
    ])

    const again = await bulk(file)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /^skipped +3 +\(earlier runs: terminated 3\)$/m)
    assert.equal(lambda.events.length, sent + 2)
  })

  it('a row with a stray field before its valid twin: written invalid, the twin still sent, and its result wins', async () => {
    const file = csv([`${row('twin_0004')},stray`, row('twin_0004')])
    const sent = lambda.events.length
    const run = await bulk(file)
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.deepEqual(sentSince(sent), ['twin_0004'])
    assert.deepEqual(outcomes(file.output), ['twin_0004 terminated', 'twin_0004 terminated'])
    const again = await bulk(file)
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.equal(lambda.events.length, sent + 1)
  })
})
