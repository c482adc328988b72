/**
 * `terminate` (and the usage rules of every command) through the real CLI process against the
 * sandbox stack: serverless-offline's Lambda invoke API, the real handlers, the WeChat Pay simulator.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CliSandbox, runCli, uniqueCode, wechatCalls } from './helpers.ts'

export function singleTests(context: CliSandbox) {
  const IDS = ['--service-id', '500001', '--sub-mchid', '1900000109']
  const terminate = (code: string, ...more: string[]) =>
    runCli(
      [
        '--stage',
        'local',
        'terminate',
        '--authorization-code',
        code,
        ...IDS,
        '--reason',
        '用户申请解除授权',
        ...more,
      ],
      context.env,
    )

  describe('terminate: one authorization', () => {
    it('prints a summary with the code masked, exit 0; the same again is already_terminated, exit 0', async () => {
      const code = uniqueCode()
      const first = await terminate(code)
      assert.equal(first.code, 0, first.stderr)
      assert.match(first.stdout, /^outcome: terminated$/m)
      assert.match(first.stdout, /wechatpay status\s+204/)
      assert.ok(!first.stdout.includes(code), 'the code is masked in the summary')
      assert.equal(wechatCalls(context.sandbox, code, 'POST'), 1)
      const second = await terminate(code, '--json')
      assert.equal(second.code, 0, second.stderr)
      const outcome = JSON.parse(second.stdout) as Record<string, unknown>
      assert.equal(outcome.outcome, 'already_terminated')
      assert.equal(outcome.authorization_code, code)
    })

    it('exit 1 for an outcome that is not done: rejected, retryable', async () => {
      const rejected = await terminate(uniqueCode('SIM_NOTEXIST'), '--json')
      assert.equal(rejected.code, 1)
      const outcome = JSON.parse(rejected.stdout) as { outcome: string; wechatpay: { code: string } }
      assert.deepEqual([outcome.outcome, outcome.wechatpay.code], ['rejected', 'ORDER_NOT_EXIST'])
      const retryable = await terminate(uniqueCode('SIM_503'))
      assert.equal(retryable.code, 1)
      assert.match(retryable.stdout, /^outcome: retryable$/m)
    })

    it('--function names the function; AWS_ENDPOINT_URL_LAMBDA is honoured as the SDK does', async () => {
      const code = uniqueCode()
      const run = await runCli(
        [
          '--function',
          'payscore-terminate-local-invoke',
          'terminate',
          '--authorization-code',
          code,
          ...IDS,
          '--reason',
          'r',
        ],
        { ...context.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      )
      assert.equal(run.code, 0, run.stderr)
      assert.equal(wechatCalls(context.sandbox, code, 'POST'), 1)
    })

    it('exit 1 with the reason when the function cannot be called', async () => {
      const run = await runCli(
        [
          '--stage',
          'nosuchstage',
          'terminate',
          '--authorization-code',
          uniqueCode(),
          ...IDS,
          '--reason',
          'r',
        ],
        {
          ...context.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
      )
      assert.equal(run.code, 1)
      assert.match(run.stderr, /ResourceNotFoundException/)
    })
  })

  describe('query, and an authorization named by openid', () => {
    const query = (...args: string[]) => runCli(['--stage', 'local', 'query', ...args, ...IDS], context.env)
    const APPID = 'wxd678efh567hg6787'

    it('query by code: the verified state, exit 0, nothing terminated; after a terminate, UNAVAILABLE', async () => {
      const code = uniqueCode()
      const first = await query('--authorization-code', code)
      assert.equal(first.code, 0, first.stderr)
      assert.match(first.stdout, /^authorization_state: AVAILABLE$/m)
      assert.ok(!first.stdout.includes(code), 'the code is masked in the summary')
      assert.equal(wechatCalls(context.sandbox, code, 'POST'), 0)
      assert.equal((await terminate(code)).code, 0)
      const after = await query('--authorization-code', code, '--json')
      assert.equal(after.code, 0, after.stderr)
      const state = JSON.parse(after.stdout) as Record<string, unknown>
      assert.equal(state.authorization_state, 'UNAVAILABLE')
      assert.equal(state.authorization_code, code)
      assert.notEqual(state.cancel_authorization_time, null)
    })

    it('query by openid: found under its app (exit 0), not found under another (exit 1)', async () => {
      const openid = uniqueCode('o')
      const found = await query('--openid', openid, '--appid', APPID)
      assert.equal(found.code, 0, found.stderr)
      assert.match(found.stdout, /^authorization_state: AVAILABLE$/m)
      assert.equal(wechatCalls(context.sandbox, openid, 'GET'), 1)
      const elsewhere = await query('--openid', openid, '--appid', 'wx_another_app')
      assert.equal(elsewhere.code, 1)
      assert.match(elsewhere.stderr, /^not found: /)
    })

    it('terminate by openid: terminated, exit 0; the openid masked in the summary', async () => {
      const openid = uniqueCode('o')
      const args = [
        '--stage',
        'local',
        'terminate',
        '--openid',
        openid,
        '--appid',
        APPID,
        ...IDS,
        '--reason',
        'r',
      ]
      const run = await runCli(args, context.env)
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, /^outcome: terminated$/m)
      assert.ok(!run.stdout.includes(openid))
      const again = await runCli([...args, '--json'], context.env)
      const outcome = JSON.parse(again.stdout) as Record<string, unknown>
      assert.deepEqual(
        [outcome.outcome, outcome.openid, outcome.authorization_code],
        ['already_terminated', openid, null],
      )
    })

    it('--mode direct: partner-only fields are invalid input, nothing sent', async () => {
      const sent = context.sandbox.simulator.requests.length
      const run = await runCli(
        [
          '--stage',
          'local',
          '--mode',
          'direct',
          'terminate',
          '--authorization-code',
          uniqueCode(),
          ...IDS,
          '--reason',
          'r',
        ],
        context.env,
      )
      assert.equal(run.code, 2)
      assert.match(run.stderr, /sub_mchid: sub_mchid is for partner mode only/)
      assert.equal(context.sandbox.simulator.requests.length, sent)
    })
  })

  describe('usage errors and invalid input: exit 2, nothing sent', () => {
    const cases: Array<[string, string[], RegExp]> = [
      [
        'a missing field',
        [
          '--stage',
          'local',
          'terminate',
          '--authorization-code',
          'use_c1',
          '--service-id',
          '500001',
          '--reason',
          'r',
        ],
        /sub_mchid is required/,
      ],
      [
        'a bad field',
        ['--stage', 'local', 'terminate', '--authorization-code', 'a/b', ...IDS, '--reason', 'r'],
        /authorization_code: authorization_code must be/,
      ],
      [
        'a blank reason',
        ['--stage', 'local', 'terminate', '--authorization-code', 'use_c2', ...IDS, '--reason', '  '],
        /reason: reason must not be blank/,
      ],
      [
        'no target',
        ['terminate', '--authorization-code', 'use_c3', ...IDS, '--reason', 'r'],
        /--stage STAGE or --function NAME/,
      ],
      [
        'two targets',
        [
          '--stage',
          'local',
          '--function',
          'f',
          'terminate',
          '--authorization-code',
          'use_c4',
          ...IDS,
          '--reason',
          'r',
        ],
        /not both/,
      ],
      ['an unknown option', ['--stage', 'local', 'terminate', '--code', 'use_c5'], /unknown option '--code'/],
      [
        'a query with a reason',
        ['--stage', 'local', 'query', '--authorization-code', 'use_c6', ...IDS, '--reason', 'r'],
        /unknown option '--reason'/,
      ],
      ['an unknown command', ['--stage', 'local', 'end'], /unknown command 'end'/],
      [
        'a bad mode',
        ['--stage', 'local', '--mode', 'proxy', 'terminate'],
        /--mode <mode>' argument 'proxy' is invalid/,
      ],
      ['no command', [], /Usage: payscore-terminate/],
      [
        'bulk without --output',
        ['--stage', 'local', 'bulk-terminate', '--input', 'x.csv'],
        /required option '--output/,
      ],
      [
        'bulk with a bad --rate',
        ['--stage', 'local', 'bulk-terminate', '--input', 'x.csv', '--output', 'y.csv', '--rate', '0'],
        /must be a number from 0.01/,
      ],
    ]
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const sent = context.sandbox.simulator.requests.length
        const run = await runCli(args, context.env)
        assert.equal(run.code, 2, run.stderr)
        assert.match(run.stderr, message)
        assert.equal(run.stdout, '')
        assert.equal(context.sandbox.simulator.requests.length, sent)
      })
    }

    it('--help on every command: exit 0', async () => {
      for (const command of [
        [],
        ['terminate'],
        ['query'],
        ['bulk-terminate'],
        ['dlq'],
        ['dlq', 'count'],
        ['dlq', 'redrive'],
      ]) {
        const run = await runCli([...command, '--help'])
        assert.equal(run.code, 0, `${command.join(' ')} --help`)
        assert.match(run.stdout, /^Usage: payscore-terminate/)
      }
    })
  })
}
