/**
 * `bulk-terminate` through the real CLI process against the sandbox stack: mixed outcomes and
 * invalid rows, the results file, resume, Ctrl-C, the non-terminal progress line, refusals.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RESULT_COLUMNS } from '../../cli/bulk/results-file.ts'
import {
  type CliSandbox,
  finished,
  readResults,
  runCli,
  spawnCli,
  uniqueCode,
  wechatCalls,
} from './helpers.ts'

export function bulkTests(context: CliSandbox) {
  let files = 0
  function csv(lines: string[]): { input: string; output: string } {
    files += 1
    const input = join(context.dir, `input-${files}.csv`)
    writeFileSync(input, `${lines.join('\n')}\n`)
    return { input, output: join(context.dir, `results-${files}.csv`) }
  }

  const IDS = ['--service-id', '500001', '--sub-mchid', '1900000109']
  const bulk = (files: { input: string; output: string }, ...more: string[]) =>
    runCli(
      [
        '--stage',
        'local',
        'bulk-terminate',
        '--input',
        files.input,
        '--output',
        files.output,
        ...IDS,
        ...more,
      ],
      context.env,
    )

  /** `label  count` lines of the summary table. */
  function counts(stdout: string): Record<string, number> {
    return Object.fromEntries(
      [...stdout.matchAll(/^(\w[\w ]*?) +(\d+)\b/gm)].map((match) => [match[1]!, Number(match[2])]),
    )
  }

  const byCode = (path: string) => new Map(readResults(path).map((row) => [row.authorization_code, row]))

  describe('bulk-terminate', () => {
    it('writes one result row per input row: mixed outcomes, invalid rows without a call; run again skips what is settled and retries the rest', async () => {
      const codes = {
        fresh: uniqueCode(),
        ended: uniqueCode('SIM_TERMINATED'),
        unknown: uniqueCode('SIM_NOTEXIST'),
        flaky: uniqueCode('SIM_503'),
        noReason: uniqueCode(),
        short: uniqueCode(),
      }
      const files = csv([
        'authorization_code,user_ref,reason',
        `${codes.fresh},u1,用户申请解除授权`,
        `${codes.ended},u2,"moved, closed"`,
        `${codes.unknown},u3,r`,
        `${codes.flaky},u4,r`,
        'bad/code,u5,r',
        `${codes.noReason},u6,`,
        `${codes.short},u7`,
      ])
      const first = await bulk(files, '--rate', '50')
      assert.equal(first.code, 1, first.stderr)
      const rows = readResults(files.output)
      assert.deepEqual(
        Object.keys(rows[0]!),
        ['authorization_code', 'user_ref', 'reason', ...RESULT_COLUMNS],
        'the input columns and the result columns, none for the fields the flags filled',
      )
      const inputOrder = [
        codes.fresh,
        codes.ended,
        codes.unknown,
        codes.flaky,
        'bad/code',
        codes.noReason,
        codes.short,
      ]
      assert.deepEqual(
        rows.map((row) => row.authorization_code),
        inputOrder,
        'one row per input row, in input order',
      )
      const results = byCode(files.output)
      assert.equal(results.get(codes.fresh)?.outcome, 'terminated')
      assert.equal(results.get(codes.fresh)?.wechatpay_status, '204')
      assert.equal(results.get(codes.fresh)?.attempts, '1')
      assert.match(results.get(codes.fresh)?.request_id ?? '', /^08[0-9A-F]+-0$/)
      assert.equal(results.get(codes.ended)?.outcome, 'already_terminated')
      assert.equal(results.get(codes.ended)?.authorization_state, 'UNAVAILABLE')
      assert.equal(results.get(codes.ended)?.reason, 'moved, closed')
      assert.equal(results.get(codes.unknown)?.outcome, 'rejected')
      assert.equal(results.get(codes.unknown)?.wechatpay_code, 'ORDER_NOT_EXIST')
      assert.equal(results.get(codes.flaky)?.outcome, 'retryable')
      assert.equal(results.get(codes.flaky)?.attempts, '3')
      assert.equal(results.get('bad/code')?.outcome, 'invalid')
      assert.match(results.get('bad/code')?.error ?? '', /^authorization_code: /)
      assert.equal(results.get(codes.noReason)?.outcome, 'invalid')
      assert.equal(results.get(codes.noReason)?.error, 'reason: reason is required')
      assert.equal(results.get(codes.short)?.outcome, 'invalid')
      assert.equal(results.get(codes.short)?.user_ref, 'u7')
      assert.match(results.get(codes.short)?.error ?? '', /2 fields, the header 3/)
      assert.equal(
        wechatCalls(context.sandbox, codes.noReason) + wechatCalls(context.sandbox, codes.short),
        0,
        'invalid rows cost no call',
      )
      assert.deepEqual(
        [
          counts(first.stdout).terminated,
          counts(first.stdout).invalid,
          counts(first.stdout).skipped,
          counts(first.stdout).total,
        ],
        [1, 3, 0, 7],
      )

      const calls = context.sandbox.simulator.requests.length
      const second = await bulk(files, '--rate', '50')
      assert.equal(second.code, 1, second.stderr)
      assert.equal(counts(second.stdout).skipped, 6)
      assert.equal(counts(second.stdout).retryable, 1)
      assert.match(second.stdout, /earlier runs: terminated 1, already_terminated 1, rejected 1, invalid 3/)
      const again = readResults(files.output)
      assert.deepEqual(
        again.map((row) => row.authorization_code),
        inputOrder,
        'still one row per input row: the retried row replaced',
      )
      assert.deepEqual(
        again.map((row) => row.outcome),
        ['terminated', 'already_terminated', 'rejected', 'retryable', 'invalid', 'invalid', 'invalid'],
      )
      assert.notEqual(again[3]?.request_id, rows[3]?.request_id, "the flaky row's result is this run's")
      assert.equal(wechatCalls(context.sandbox, codes.fresh, 'POST'), 1, 'a terminated row is not sent again')
      assert.ok(context.sandbox.simulator.requests.length > calls)
      assert.equal(
        context.sandbox.simulator.requests.slice(calls).every((request) => request.url.includes(codes.flaky)),
        true,
        'only the retryable row was sent again',
      )
    })

    it('openid rows: --appid fills the app; a sub_openid row without its sub_appid is invalid, without a call', async () => {
      const [openid, subOpenid] = [uniqueCode('o'), uniqueCode('o')]
      const files = csv(['openid,sub_openid,reason', `${openid},,r`, `,${subOpenid},r`])
      const run = await bulk(files, '--appid', 'wxd678efh567hg6787')
      assert.equal(run.code, 1, run.stderr)
      const rows = new Map(readResults(files.output).map((row) => [row.openid || row.sub_openid, row]))
      assert.equal(rows.get(openid)?.outcome, 'terminated')
      assert.equal(rows.get(subOpenid)?.outcome, 'invalid')
      assert.equal(rows.get(subOpenid)?.error, 'sub_appid: sub_appid is required with sub_openid')
      assert.equal(wechatCalls(context.sandbox, subOpenid), 0)
      assert.equal(wechatCalls(context.sandbox, openid, 'POST'), 1)
    })

    it('exit 0 when every row is done; the flags fill columns the file lacks', async () => {
      const files = csv(['authorization_code', uniqueCode(), uniqueCode()])
      const run = await bulk(files, '--reason', '用户申请解除授权')
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^every row done$/m)
      assert.deepEqual(
        readResults(files.output).map((row) => row.outcome),
        ['terminated', 'terminated'],
      )
      // Relative paths are the operator's folder (npm run works in the project's; INIT_CWD names it).
      const relative = { input: basename(files.input), output: basename(files.output) }
      const rerun = await runCli(
        [
          '--stage',
          'local',
          'bulk-terminate',
          '--input',
          relative.input,
          '--output',
          relative.output,
          ...IDS,
          '--reason',
          '用户申请解除授权',
        ],
        { ...context.env, INIT_CWD: context.dir },
      )
      assert.equal(rerun.code, 0, rerun.stderr)
      assert.equal(counts(rerun.stdout).skipped, 2)
    })

    it('Ctrl-C stops taking rows, writes the rows of the calls in flight and exits 1; the next run finishes the rest, no row sent twice', async () => {
      const codes = Array.from({ length: 40 }, () => uniqueCode())
      const files = csv(['authorization_code,reason', ...codes.map((code) => `${code},r`)])
      const child = spawnCli(
        [
          '--stage',
          'local',
          'bulk-terminate',
          '--input',
          files.input,
          '--output',
          files.output,
          ...IDS,
          '--rate',
          '5',
          '--concurrency',
          '2',
        ],
        { ...context.env, PAYSCORE_CLI_PROGRESS_INTERVAL_MS: '200' },
      )
      const done = finished(child)
      try {
        for (let waited = 0; !hasRows(files.output, 4); waited += 50) {
          assert.ok(waited < 20_000 && child.exitCode === null, 'the run writes rows and keeps going')
          await sleep(50)
        }
        child.kill('SIGINT')
      } catch (error) {
        // The process this test started does not outlive it.
        child.kill('SIGKILL')
        await done
        throw error
      }
      const run = await done
      assert.equal(run.code, 1)
      assert.match(run.stderr, /stopping: no new rows/)
      assert.match(run.stdout, /^interrupted/m)
      const written = readResults(files.output)
      assert.ok(written.length >= 4 && written.length < codes.length, `${written.length} rows written`)
      const sent = codes.filter((code) => wechatCalls(context.sandbox, code, 'POST') > 0)
      assert.deepEqual(
        written.map((row) => row.authorization_code),
        sent,
        'every call made has its row, in input order, and no row was written without a call',
      )
      assert.equal(counts(run.stdout)['not reached'], codes.length - written.length)

      const lines = run.stderr.split('\n').filter((line) => line.startsWith('progress '))
      assert.ok(lines.length >= 2, run.stderr)
      for (const line of lines) {
        assert.match(
          line,
          /^progress \d+\/40 rows \(\d+%\) \| \d+\.\d calls\/s \| ETA \S+ \| (nothing yet|terminated \d+)$/,
        )
      }
      const done1 = lines.map((line) => Number(/progress (\d+)/.exec(line)![1]))
      assert.deepEqual(
        done1,
        [...done1].sort((a, b) => a - b),
        'rows done only grow',
      )

      const resumed = await bulk(files, '--rate', '100')
      assert.equal(resumed.code, 0, resumed.stderr)
      assert.equal(counts(resumed.stdout).skipped, written.length)
      assert.equal(counts(resumed.stdout).terminated, codes.length - written.length)
      assert.ok(
        codes.every((code) => wechatCalls(context.sandbox, code, 'POST') === 1),
        'each code terminated once',
      )
      assert.deepEqual(
        readResults(files.output).map((row) => row.authorization_code),
        codes,
      )
    })
  })

  function hasRows(path: string, rows: number) {
    try {
      return readFileSync(path, 'utf8').split('\n').length - 2 >= rows
    } catch {
      return false
    }
  }

  describe('bulk-terminate refuses, exit 2, nothing sent', () => {
    const refused = async (files: { input: string; output: string }, message: RegExp, ...more: string[]) => {
      const sent = context.sandbox.simulator.requests.length
      const before = readOr(files.output)
      const run = await bulk(files, ...more)
      assert.equal(run.code, 2, run.stderr)
      assert.match(run.stderr, message)
      assert.equal(context.sandbox.simulator.requests.length, sent)
      assert.equal(readOr(files.output), before, 'the results file is untouched')
    }

    it('an output written for another input', async () => {
      const first = csv(['authorization_code,reason', `${uniqueCode()},r`])
      assert.equal((await bulk(first)).code, 0)
      const other = csv(['authorization_code,reason', `${uniqueCode()},r`])
      await refused({ input: other.input, output: first.output }, /results for 1 rows that are not in/)
      const otherColumns = csv(['authorization_code,reason,user_ref', `${uniqueCode()},r,u`])
      await refused({ input: otherColumns.input, output: first.output }, /was not written for this input/)
    })

    it('a header without an identification, a results file as input, a flag for a column the file has, a missing field', async () => {
      await refused(csv(['code,reason', 'c1,r']), /must name one of authorization_code, openid, sub_openid/)
      await refused(csv(['authorization_code,reason,outcome', 'c1,r,terminated']), /is it a results file/)
      await refused(
        csv(['authorization_code,reason', 'c1,r']),
        /--reason fills a column the file lacks/,
        '--reason',
        'r',
      )
      await refused(csv(['authorization_code', 'c1']), /reason is required: add a reason column or --reason/)
      await refused(csv(['authorization_code,reason', 'c1,"r', 'c2,r']), /is not valid CSV/)
    })

    it('an input or results file that is not valid CSV: the file and line named, the field never quoted', async () => {
      const code = uniqueCode()
      const early = csv(['authorization_code,reason', `${code}"x,r`, 'c2,r'])
      await refused(early, /input-\d+\.csv is not valid CSV at line 2: a quote inside an unquoted field/)
      assert.doesNotMatch((await bulk(early)).stderr, new RegExp(code))
      const rows = Array.from({ length: 3000 }, (_, index) => `late_${index},r`)
      const late = csv(['authorization_code,reason', ...rows, `${code}"x,r`])
      await refused(late, /input-\d+\.csv is not valid CSV at line 3002: a quote inside an unquoted field/)
      assert.doesNotMatch((await bulk(late)).stderr, new RegExp(code))
      const results = csv(['authorization_code,reason', `${uniqueCode()},r`])
      assert.equal((await bulk(results)).code, 0)
      const [head, ...rest] = readFileSync(results.output, 'utf8').split('\n')
      writeFileSync(results.output, [head, `${code}"x,r`, ...rest].join('\n'))
      await refused(results, /results-\d+\.csv is not valid CSV at line 2: a quote inside an unquoted field/)
      assert.doesNotMatch((await bulk(results)).stderr, new RegExp(code))
    })

    it('an --input that does not exist, an --output that is a folder (no lock left behind)', async () => {
      await refused(
        { input: join(context.dir, 'missing.csv'), output: join(context.dir, 'out.csv') },
        /does not exist/,
      )
      const folder = csv(['authorization_code,reason', 'c1,r'])
      mkdirSync(folder.output)
      await refused(folder, /--output: .*results-\d+\.csv is not a file/)
      assert.equal(existsSync(`${folder.output}.lock`), false, 'no lock left behind')
    })
  })

  function readOr(path: string) {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return undefined
    }
  }
}
