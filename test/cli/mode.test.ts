/**
 * The mode the CLI checks input in: --mode, else WECHATPAY_MODE (as `npm start` and
 * `npm run sandbox:event` read it, and the deployed functions), else partner. The real CLI
 * process against a local Invoke API (fake-lambda.ts) that counts the calls.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { runCli } from './helpers.ts'

// "Unset" below means unset, whatever the shell running the tests has.
delete process.env.WECHATPAY_MODE

let lambda: FakeLambda
before(async () => {
  lambda = await startFakeLambda()
})
after(() => lambda.close())

/** A terminate as a direct merchant sends it: no sub_mchid. */
const DIRECT = ['terminate', '--authorization-code', 'mode_0001', '--service-id', '500001', '--reason', 'r']
const run = (mode: string | undefined, args: string[]) =>
  runCli(['--stage', 'local', ...args], {
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    ...(mode === undefined ? {} : { WECHATPAY_MODE: mode }),
  })

describe('--mode and WECHATPAY_MODE', () => {
  it('WECHATPAY_MODE=direct: the input is checked as a direct merchant sends it', async () => {
    const calls = lambda.invocations()
    const direct = await run('direct', DIRECT)
    assert.equal(direct.code, 0, direct.stderr)
    assert.equal(lambda.invocations(), calls + 1)
    const partnerField = await run('direct', [...DIRECT, '--sub-mchid', '1900000109'])
    assert.equal(partnerField.code, 2)
    assert.match(partnerField.stderr, /sub_mchid: sub_mchid is for partner mode only/)
    assert.equal(lambda.invocations(), calls + 1)
  })

  it('--mode wins over WECHATPAY_MODE; unset or empty, partner', async () => {
    for (const [mode, args] of [
      ['direct', ['--mode', 'partner', ...DIRECT]],
      [undefined, DIRECT],
      ['', DIRECT],
    ] as const) {
      const partner = await run(mode, [...args])
      assert.equal(partner.code, 2, `WECHATPAY_MODE=${mode}: ${partner.stderr}`)
      assert.match(partner.stderr, /sub_mchid: sub_mchid is required/)
    }
  })

  it('a bad WECHATPAY_MODE is a usage error naming the variable, nothing sent', async () => {
    const calls = lambda.invocations()
    const bad = await run('merchant', DIRECT)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /'merchant' from env 'WECHATPAY_MODE' is invalid\. must be partner or direct/)
    assert.equal(lambda.invocations(), calls)
  })
})
