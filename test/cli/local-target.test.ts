/**
 * `--stage local` finds the sandbox where `npm start` put it: port 3002, or the Lambda port of
 * SANDBOX_PORTS (the same variable and rule as npm start, infra/local/ports.ts). The real CLI
 * process against a local Invoke API on a free port.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type FakeLambda, startFakeLambda } from './fake-lambda.ts'
import { freePorts, runCli } from './helpers.ts'

let lambda: FakeLambda

before(async () => {
  lambda = await startFakeLambda()
})
after(() => lambda.close())

describe('--stage local', () => {
  it('calls the Lambda port SANDBOX_PORTS names', async () => {
    const port = Number(new URL(lambda.url).port)
    const [http, wechatpay, secretsManager] = await freePorts(3)
    const run = await runCli(
      [
        '--stage',
        'local',
        'terminate',
        '--authorization-code',
        'local_1',
        '--service-id',
        '500001',
        '--sub-mchid',
        '1900000109',
        '--reason',
        'r',
      ],
      { SANDBOX_PORTS: `${http},${port},${wechatpay},${secretsManager}`, AWS_ENDPOINT_URL_LAMBDA: '' },
    )
    assert.equal(run.code, 0, run.stderr)
    assert.equal(lambda.invocations(), 1)
  })

  it('a SANDBOX_PORTS it cannot read is a usage error (exit 2) naming the variable, nothing sent', async () => {
    const before = lambda.invocations()
    const run = await runCli(
      [
        '--stage',
        'local',
        'terminate',
        '--authorization-code',
        'local_2',
        '--service-id',
        '500001',
        '--sub-mchid',
        '1900000109',
        '--reason',
        'r',
      ],
      { SANDBOX_PORTS: 'oops', AWS_ENDPOINT_URL_LAMBDA: '' },
    )
    assert.equal(run.code, 2, run.stderr)
    assert.match(run.stderr, /SANDBOX_PORTS/)
    assert.equal(lambda.invocations(), before)
  })
})
