/**
 * A row is known, when a run resumes, by what it sends: its values in the file and the values the
 * fill flags (--service-id, --sub-mchid, --reason, --appid, --sub-appid) give it. RESULTS.csv
 * repeats both. A run whose wrong --reason made every row `invalid`, run again with the reason
 * corrected and the same --output, sends every row; an output whose results were settled with
 * other fill values (terminated under another --sub-mchid, say) is refused, not taken as done.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RESULT_COLUMNS } from '../../cli/bulk/results-file.ts'
import { readResults, runCli } from './helpers.ts'

/** The events the Invoke API received; each answered `terminated`. */
const events: Array<Record<string, string>> = []
const server = createServer(async (request, response) => {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const event = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>
  events.push(event)
  response.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      outcome: 'terminated',
      ...event,
      wechatpay: { status: 204, code: null, message: null, request_id: '08X-0', authorization_state: null },
      attempts: 1,
    }),
  )
})
const dir = mkdtempSync(join(tmpdir(), 'cli-resume-flags-'))

before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
})
after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

let files = 0
function csv(lines: string[]) {
  files += 1
  const input = join(dir, `input-${files}.csv`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  return { input, output: join(dir, `results-${files}.csv`) }
}

const bulk = (file: { input: string; output: string }, ...flags: string[]) => {
  const { port } = server.address() as AddressInfo
  return runCli(
    ['--stage', 'local', 'bulk-terminate', '--input', file.input, '--output', file.output, ...flags],
    { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}` },
  )
}

describe('bulk-terminate resumed with other fill flags', () => {
  it('sends the rows a wrong --reason made invalid; RESULTS.csv says what each row sent', async () => {
    const file = csv(['authorization_code', 'flag_code_0001', 'flag_code_0002'])
    const ids = ['--service-id', '500001', '--sub-mchid', '1900000109']
    const sent = events.length

    const wrong = await bulk(file, ...ids, '--reason', 'x'.repeat(51))
    assert.equal(wrong.code, 1, wrong.stderr)
    assert.match(wrong.stdout, /^invalid +2$/m, 'every row invalid: the reason is too long')
    assert.equal(events.length, sent)

    const corrected = await bulk(file, ...ids, '--reason', '用户申请解除授权')
    assert.equal(corrected.code, 0, corrected.stdout + corrected.stderr)
    assert.match(corrected.stdout, /^terminated +2$/m)
    assert.match(corrected.stdout, /^skipped +0$/m)
    assert.deepEqual(
      events.slice(sent).map((event) => [event.authorization_code, event.reason]),
      [
        ['flag_code_0001', '用户申请解除授权'],
        ['flag_code_0002', '用户申请解除授权'],
      ],
    )
    const rows = readResults(file.output)
    assert.deepEqual(Object.keys(rows[0]!), [
      'authorization_code',
      'service_id',
      'sub_mchid',
      'reason',
      ...RESULT_COLUMNS,
    ])
    assert.deepEqual(
      rows.map((row) => [row.authorization_code, row.sub_mchid, row.reason, row.outcome]),
      [
        ['flag_code_0001', '1900000109', '用户申请解除授权', 'terminated'],
        ['flag_code_0002', '1900000109', '用户申请解除授权', 'terminated'],
      ],
      'one row per input row: the invalid results of the wrong reason are gone',
    )

    const again = await bulk(file, ...ids, '--reason', '用户申请解除授权')
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^skipped +2\b/m, 'the same flags: every row is done')
  })

  it('refuses an output whose rows were settled with another --sub-mchid or --appid: nothing sent, the file untouched', async () => {
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
    const sent = events.length

    for (const other of [
      fills('1900000110', 'wxd678efh567hg6787'),
      fills('1900000109', 'wx0000000000000001'),
    ]) {
      const run = await bulk(file, ...other)
      assert.equal(run.code, 2, run.stdout)
      assert.match(
        run.stderr,
        /has results for 2 rows that are not in .*another value of a fill flag \(--appid, --service-id, --sub-mchid, --reason\)/,
      )
      assert.equal(events.length, sent)
      assert.equal(readFileSync(file.output, 'utf8'), written)
    }
  })

  it('a fill flag added: an output of invalid rows only starts anew; one with results is refused', async () => {
    const file = csv(['sub_openid,sub_appid', 'o_flag_0003,wx0000000000000002'])
    const fills = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']
    const forgot = await bulk(file, ...fills)
    assert.equal(forgot.code, 1, forgot.stderr)
    assert.equal(readResults(file.output)[0]?.error, 'appid: appid is required with sub_openid')
    const sent = events.length

    const fixed = await bulk(file, ...fills, '--appid', 'wxd678efh567hg6787')
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.match(fixed.stdout, /held only invalid rows, written with other fill flags: started anew/)
    assert.deepEqual(
      events.slice(sent).map((event) => [event.sub_openid, event.appid]),
      [['o_flag_0003', 'wxd678efh567hg6787']],
    )
    assert.deepEqual(
      readResults(file.output).map((row) => [row.sub_openid, row.appid, row.outcome]),
      [['o_flag_0003', 'wxd678efh567hg6787', 'terminated']],
    )

    const written = readFileSync(file.output, 'utf8')
    const dropped = await bulk(file, ...fills)
    assert.equal(dropped.code, 2, dropped.stdout)
    assert.match(
      dropped.stderr,
      /written with flags that filled appid, service_id, sub_mchid, reason; this run's fill service_id, sub_mchid, reason: a fill flag was added or dropped/,
    )
    assert.equal(events.length, sent + 1)
    assert.equal(readFileSync(file.output, 'utf8'), written)
  })
})
