import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { maskCode } from '../../functions/runtime/observability.ts'
import { sandboxInput } from '../../infra/local/banner.ts'
import { type Sandbox, startSandbox } from '../../infra/local/sandbox.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { eventBridgeEnvelope, sqsEvent } from '../helpers/lambda.ts'
import { VALID } from '../helpers/stack.ts'
import { scanLines } from '../leaks/scanner.ts'
import { freeSandboxPorts } from './ports.ts'

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

const SLOW_DELAY_MS = 5_500

let sandbox: Sandbox
let lambda: LambdaClient
/** Everything serverless-offline printed: what `npm start` shows on the terminal. */
let output = ''

before(async () => {
  sandbox = await startSandbox({
    ports: await freeSandboxPorts(),
    // Just past the functions' 5 s attempt timeout (npm start: 10 s), so that SIM_SLOW times out.
    slowDelayMs: SLOW_DELAY_MS,
    onOutput: (text) => (output += text),
  })
  lambda = new LambdaClient({
    endpoint: sandbox.lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
})
after(async () => {
  lambda?.destroy()
  await sandbox?.stop()
})

async function post(code: string) {
  const response = await fetch(`${sandbox.httpUrl}/v1/authorizations/${code}/terminate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(VALID),
  })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  }
}

describe('npm start: the sandbox stack over real HTTP', () => {
  it('a new code gives 200 terminated, the same again 200 already_terminated', async () => {
    const code = `sandbox_${Date.now()}`
    const first = await post(code)
    assert.equal(first.status, 200)
    assert.equal(first.json.outcome, 'terminated')
    const second = await post(code)
    assert.equal(second.status, 200)
    assert.equal(second.json.outcome, 'already_terminated')
  })

  it('magic codes show the failures: 503 retryable with Retry-After, 422 rejected, 400 invalid', async () => {
    const retryable = await post(`SIM_503_${Date.now()}`)
    assert.equal(retryable.status, 503)
    assert.equal(retryable.headers.get('retry-after'), '5')
    assert.equal((await post(`SIM_NOTEXIST_${Date.now()}`)).status, 422)
    assert.equal((await post('a%2Fb')).status, 400)
  })

  it('SIM_SLOW: retryable after the 5 s timeout, already_terminated once the slow terminate took effect', async () => {
    const code = `SIM_SLOW_${Date.now()}`
    const sent = Date.now()
    const first = await post(code)
    assert.equal(first.status, 503)
    assert.deepEqual(
      [first.json.outcome, (first.json.wechatpay as Outcome['wechatpay']).authorization_state],
      ['retryable', 'AVAILABLE'],
    )
    await sleep(sent + SLOW_DELAY_MS + 100 - Date.now())
    const later = await post(code)
    assert.equal(later.status, 200)
    assert.equal(later.json.outcome, 'already_terminated')
    assert.ok(Date.now() - sent < SLOW_DELAY_MS + 2_000, 'the later try is answered at once')
  })

  it('the queue function answers an SQS batch with EventBridge events through the Lambda invoke API', async () => {
    const event = sqsEvent([
      eventBridgeEnvelope({ ...VALID, authorization_code: `queue_${Date.now()}` }),
      eventBridgeEnvelope({ ...VALID, authorization_code: `SIM_503_${Date.now()}` }),
    ])
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: 'payscore-terminate-local-queue', Payload: JSON.stringify(event) }),
    )
    const result = JSON.parse(Buffer.from(answer.Payload!).toString()) as {
      batchItemFailures: Array<{ itemIdentifier: string }>
    }
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: event.Records[1]!.messageId }])
  })

  it('direct invocation: invalid input fails with errorType InvalidRequestError, as on AWS', async () => {
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: 'payscore-terminate-local-invoke',
        Payload: JSON.stringify({ ...VALID, authorization_code: 'not/valid' }),
      }),
    )
    assert.equal(answer.FunctionError, 'Unhandled')
    const error = JSON.parse(Buffer.from(answer.Payload!).toString()) as Record<string, unknown>
    assert.equal(error.errorType, 'InvalidRequestError')
    assert.match(String(error.errorMessage), /^invalid request: authorization_code must be/)
  })

  it("the sandbox's output shows authorization codes masked, request lines included", async () => {
    const code = `masked_${Date.now()}_in_logs`
    const from = output.length
    assert.equal((await post(code)).status, 200)
    // serverless-offline prints the request line first, the function's log lines after it.
    const printed = () => output.slice(from)
    for (let waited = 0; !printed().includes('termination finished') && waited < 5_000; waited += 50) {
      await sleep(50)
    }
    assert.ok(
      printed().includes(`POST /v1/authorizations/${maskCode(code)}/terminate`),
      'a masked request line',
    )
    assert.deepEqual(scanLines(output.split('\n'), { codes: [code] }), [])
  })

  it('terminates by openid through POST /v1/authorizations/terminate and shows the state by GET', async () => {
    const openid = `o_sandbox_${process.pid}`
    const input = { ...sandboxInput('partner'), openid, appid: DEFAULT_APPID }
    const terminated = await fetch(`${sandbox.httpUrl}/v1/authorizations/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...input, reason: '用户申请解除授权' }),
    })
    assert.equal(terminated.status, 200)
    assert.equal(((await terminated.json()) as Outcome).outcome, 'terminated')
    const state = await fetch(`${sandbox.httpUrl}/v1/authorizations?${new URLSearchParams(input)}`)
    assert.equal(state.status, 200)
    assert.equal(((await state.json()) as { authorization_state: string }).authorization_state, 'UNAVAILABLE')
    assert.ok(!output.includes(openid), 'the openid is masked in what the sandbox prints')
  })

  it('stops everything: no process of the group is left', async () => {
    const pid = sandbox.offline.pid!
    assert.ok(groupAlive(pid))
    await sandbox.stop()
    assert.equal(groupAlive(pid), false)
  })
})
