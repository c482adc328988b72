/**
 * A row is known, when a run resumes, by its values in the input; what else it sent (the values of
 * the fill flags --service-id, --sub-mchid, --reason, --appid, --sub-appid), the mode and the target
 * are the run record's, RESULTS.csv.run. A run whose wrong --reason made every row `invalid`, run
 * again with the reason corrected and the same --output, sends every row; an output whose results
 * were settled under another record (terminated under another --sub-mchid, for another function)
 * is refused, not taken as done.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RESULT_COLUMNS } from '../../cli/bulk/results-file.ts'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { readResults, runCli } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-resume-flags-'))
/** The Invoke API: answers every event `terminated` and records the events it got. */
let lambda: FakeLambda

before(async () => {
  lambda = await startFakeLambda()
})
after(async () => {
  await lambda.close()
  rmSync(dir, { recursive: true, force: true })
})

let files = 0
function csv(lines: string[]) {
  files += 1
  const input = join(dir, `input-${files}.csv`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  return { input, output: join(dir, `results-${files}.csv`) }
}

const endpoint = () => lambda.url
const bulk = (file: { input: string; output: string }, ...flags: string[]) =>
  runCli(['--stage', 'local', 'bulk-terminate', '--input', file.input, '--output', file.output, ...flags], {
    AWS_ENDPOINT_URL_LAMBDA: endpoint(),
  })
/** As against a deployed function: --function NAME, credentials from the environment. */
const bulkTo = (name: string, file: { input: string; output: string }, ...flags: string[]) =>
  runCli(['--function', name, 'bulk-terminate', '--input', file.input, '--output', file.output, ...flags], {
    AWS_ENDPOINT_URL_LAMBDA: endpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  })

describe('bulk-terminate resumed under another run record', () => {
  it('sends the rows a wrong --reason made invalid; RESULTS.csv has the input columns and the result columns only', async () => {
    const file = csv(['authorization_code', 'flag_code_0001', 'flag_code_0002'])
    const ids = ['--service-id', '500001', '--sub-mchid', '1900000109']
    const sent = lambda.events.length

    const wrong = await bulk(file, ...ids, '--reason', 'x'.repeat(51))
    assert.equal(wrong.code, 1, wrong.stderr)
    assert.match(wrong.stdout, /^invalid +2$/m, 'every row invalid: the reason is too long')
    assert.equal(lambda.events.length, sent)

    const corrected = await bulk(file, ...ids, '--reason', '用户申请解除授权')
    assert.equal(corrected.code, 0, corrected.stdout + corrected.stderr)
    assert.match(corrected.stdout, /^terminated +2$/m)
    assert.match(corrected.stdout, /^skipped +0$/m)
    assert.deepEqual(
      lambda.events.slice(sent).map((event) => [event.authorization_code, event.reason]),
      [
        ['flag_code_0001', '用户申请解除授权'],
        ['flag_code_0002', '用户申请解除授权'],
      ],
    )
    const rows = readResults(file.output)
    assert.deepEqual(Object.keys(rows[0]!), ['authorization_code', ...RESULT_COLUMNS])
    assert.deepEqual(
      rows.map((row) => [row.authorization_code, row.outcome]),
      [
        ['flag_code_0001', 'terminated'],
        ['flag_code_0002', 'terminated'],
      ],
      'one row per input row: the invalid results of the wrong reason are gone',
    )
    const record = JSON.parse(readFileSync(`${file.output}.run`, 'utf8'))
    assert.deepEqual(record, {
      function: 'payscore-terminate-local-invoke',
      region: 'us-east-1',
      endpoint: `${endpoint()}/`,
      mode: 'partner',
      fill: { service_id: '500001', sub_mchid: '1900000109', reason: '用户申请解除授权' },
    })

    const again = await bulk(file, ...ids, '--reason', '用户申请解除授权')
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^skipped +2\b/m, 'the same flags: every row is done')
  })

  it('refuses an output whose rows were settled with another --sub-mchid or --appid: nothing sent, the files untouched', async () => {
    const file = csv(['openid', 'o_flag_0001', 'o_flag_0002'])
    const fills = (subMchid: string, appid: string) => [
      '--service-id',
      '500001',
      '--sub-mchid',
      subMchid,
      '--appid',
      appid,
      '--reason',
      'r',
    ]
    const first = await bulk(file, ...fills('1900000109', 'wxd678efh567hg6787'))
    assert.equal(first.code, 0, first.stderr)
    const written = readFileSync(file.output, 'utf8')
    const record = readFileSync(`${file.output}.run`, 'utf8')
    const sent = lambda.events.length

    for (const [other, message] of [
      [
        fills('1900000110', 'wxd678efh567hg6787'),
        /holds results written with --sub-mchid 1900000109; this run has --sub-mchid 1900000110: use another --output/,
      ],
      [
        fills('1900000109', 'wx0000000000000001'),
        /holds results written with --appid wxd678efh567hg6787; this run has --appid wx0000000000000001/,
      ],
    ] as const) {
      const run = await bulk(file, ...other)
      assert.equal(run.code, 2, run.stdout)
      assert.match(run.stderr, message)
      assert.equal(lambda.events.length, sent)
      assert.equal(readFileSync(file.output, 'utf8'), written)
      assert.equal(readFileSync(`${file.output}.run`, 'utf8'), record)
    }
  })

  it('refuses an output whose rows were terminated by another function: nothing sent to this one', async () => {
    const file = csv(['authorization_code', 'fn_code_0001', 'fn_code_0002'])
    const fills = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']
    const staging = await bulkTo('payscore-terminate-staging-invoke', file, ...fills)
    assert.equal(staging.code, 0, staging.stderr)
    const written = readFileSync(file.output, 'utf8')
    const sent = lambda.events.length

    const prod = await bulkTo('payscore-terminate-prod-invoke', file, ...fills)
    assert.equal(prod.code, 2, prod.stdout)
    assert.match(
      prod.stderr,
      /holds results written with function payscore-terminate-staging-invoke; this run has function payscore-terminate-prod-invoke: use another --output/,
    )
    assert.equal(lambda.events.length, sent)
    assert.equal(readFileSync(file.output, 'utf8'), written)

    const again = await bulkTo('payscore-terminate-staging-invoke', file, ...fills)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^skipped +2\b/m, 'the same function: every row is done')
  })

  it('refuses results without their run record, unless every one of them is invalid', async () => {
    const fills = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']
    const done = csv(['authorization_code', 'rec_code_0001'])
    assert.equal((await bulk(done, ...fills)).code, 0)
    rmSync(`${done.output}.run`)
    const written = readFileSync(done.output, 'utf8')
    const sent = lambda.events.length
    const refused = await bulk(done, ...fills)
    assert.equal(refused.code, 2, refused.stdout)
    assert.match(refused.stderr, /holds results but its run record results-\d+\.csv\.run is missing/)
    assert.equal(lambda.events.length, sent)
    assert.equal(readFileSync(done.output, 'utf8'), written)
    assert.equal(existsSync(`${done.output}.run`), false)

    const invalid = csv(['authorization_code', 'bad/code'])
    assert.equal((await bulk(invalid, ...fills)).code, 1)
    rmSync(`${invalid.output}.run`)
    const restarted = await bulk(invalid, ...fills)
    assert.equal(restarted.code, 1, restarted.stderr)
    assert.match(restarted.stdout, /held only invalid rows.*: started anew/)
    assert.equal(existsSync(`${invalid.output}.run`), true)
  })

  it('--mode: rows a direct-mode run made invalid are sent by a partner-mode run on the same output', async () => {
    const file = csv(['authorization_code,sub_mchid', 'mode_code_0001,1900000109'])
    const fills = ['--service-id', '500001', '--reason', 'r']
    const direct = await bulk(file, '--mode', 'direct', ...fills)
    assert.equal(direct.code, 1, direct.stderr)
    assert.match(readResults(file.output)[0]?.error ?? '', /sub_mchid is for partner mode only/)
    const sent = lambda.events.length

    const partner = await bulk(file, '--mode', 'partner', ...fills)
    assert.equal(partner.code, 0, partner.stdout + partner.stderr)
    assert.match(partner.stdout, /held only invalid rows.*: started anew/)
    assert.deepEqual(
      lambda.events.slice(sent).map((event) => event.authorization_code),
      ['mode_code_0001'],
    )
  })

  it('a fill flag added: an output of invalid rows only starts anew; one with results is refused', async () => {
    const file = csv(['sub_openid,sub_appid', 'o_flag_0003,wx0000000000000002'])
    const fills = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']
    const forgot = await bulk(file, ...fills)
    assert.equal(forgot.code, 1, forgot.stderr)
    assert.equal(readResults(file.output)[0]?.error, 'appid: appid is required with sub_openid')
    const sent = lambda.events.length

    const fixed = await bulk(file, ...fills, '--appid', 'wxd678efh567hg6787')
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.match(
      fixed.stdout,
      /held only invalid rows, written for another target, mode or fill flags: started anew/,
    )
    assert.deepEqual(
      lambda.events.slice(sent).map((event) => [event.sub_openid, event.appid]),
      [['o_flag_0003', 'wxd678efh567hg6787']],
    )
    assert.deepEqual(
      readResults(file.output).map((row) => [row.sub_openid, row.outcome]),
      [['o_flag_0003', 'terminated']],
    )

    const written = readFileSync(file.output, 'utf8')
    const dropped = await bulk(file, ...fills)
    assert.equal(dropped.code, 2, dropped.stdout)
    assert.match(
      dropped.stderr,
      /holds results written with --appid wxd678efh567hg6787; this run has --appid \(none\): use another --output/,
    )
    assert.equal(lambda.events.length, sent + 1)
    assert.equal(readFileSync(file.output, 'utf8'), written)
  })
})
