/**
 * `WECHATPAY_MODE=direct npm start`: the same sandbox with the functions in direct-merchant mode,
 * over real HTTP and the Lambda invoke API, and WeChat's notifications as a direct merchant gets them. (test/infra/sandbox.test.ts covers partner mode.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { sandboxInput } from '../../infra/local/banner.ts'
import { type Sandbox, sandboxBanner, sandboxMode, startSandbox } from '../../infra/local/sandbox.ts'
import type { NotifyControlAnswer } from '../../infra/local/sandbox-notify.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { freeSandboxPorts } from './ports.ts'
import { pastedCommands, shell } from './shell.ts'

let sandbox: Sandbox
let lambda: LambdaClient

before(async () => {
  sandbox = await startSandbox({ ports: await freeSandboxPorts(), mode: sandboxMode('direct') })
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

const base = sandboxInput('direct')
const reason = '用户申请解除授权'

async function call(method: 'GET' | 'POST', path: string, body?: object) {
  const response = await fetch(`${sandbox.httpUrl}${path}`, {
    method,
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

describe('WECHATPAY_MODE=direct npm start', () => {
  it('refuses a bad mode, naming the variable', () => {
    assert.throws(() => sandboxMode('merchant'), /WECHATPAY_MODE/)
    assert.equal(sandboxMode(undefined), 'partner')
    assert.equal(sandboxMode(' direct '), 'direct', 'read as the functions read it: spaces ignored')
  })

  it("takes 0 for any port but the HTTP API's, which serverless-offline must be told", async () => {
    assert.ok(
      Object.values(sandbox.ports).every((port) => port > 0),
      JSON.stringify(sandbox.ports),
    )
    assert.equal(sandbox.lambdaUrl, `http://127.0.0.1:${sandbox.ports.lambda}`)
    assert.equal(sandbox.simulator.url, `http://127.0.0.1:${sandbox.ports.wechatpay}`)
    const ports = { http: 0, lambda: 0, wechatpay: 0, secretsManager: 0, eventBridge: 0 }
    await assert.rejects(startSandbox({ ports }), /the HTTP API needs a port of its own/)
  })

  it('terminates by openid with no sub_mchid, then shows the state by openid and by its code', async () => {
    const openid = `o_direct_${process.pid}`
    const terminated = await call('POST', '/v1/authorizations/terminate', {
      ...base,
      openid,
      appid: DEFAULT_APPID,
      reason,
    })
    assert.equal(terminated.status, 200)
    assert.equal(terminated.json.outcome, 'terminated')
    assert.equal(terminated.json.sub_mchid, null)
    const byOpenid = await call(
      'GET',
      `/v1/authorizations?${new URLSearchParams({ ...base, appid: DEFAULT_APPID, openid })}`,
    )
    assert.equal(byOpenid.status, 200)
    assert.equal(byOpenid.json.authorization_state, 'UNAVAILABLE')
    const code = String(byOpenid.json.authorization_code)
    const byCode = await call('GET', `/v1/authorizations/${code}?${new URLSearchParams(base)}`)
    assert.equal(byCode.json.openid, openid, 'one authorization, however it is named')
  })

  it('refuses sub_mchid (partner mode only) and sends nothing', async () => {
    const before = sandbox.simulator.requests.length
    const refused = await call('POST', `/v1/authorizations/demo_${process.pid}/terminate`, {
      ...base,
      sub_mchid: '1900000109',
      reason,
    })
    assert.equal(refused.status, 400)
    assert.equal(sandbox.simulator.requests.length, before)
  })

  it('answers a query through the Lambda invoke API', async () => {
    const answer = await lambda.send(
      new InvokeCommand({
        FunctionName: 'payscore-terminate-local-invoke',
        Payload: JSON.stringify({ operation: 'query', ...base, authorization_code: `q_${process.pid}` }),
      }),
    )
    const state = JSON.parse(Buffer.from(answer.Payload!).toString()) as Record<string, unknown>
    assert.equal(answer.FunctionError, undefined)
    assert.equal(state.authorization_state, 'AVAILABLE')
  })

  it("the banner's sandbox:event command, pasted into another terminal, sends a direct merchant's event", async () => {
    // Another terminal has no WECHATPAY_MODE: the command carries it, or the event names a sub_mchid.
    const [command] = pastedCommands(sandboxBanner(sandbox), 'sandbox:event')
    const queued = await shell(command!)
    assert.equal(queued.code, 0, queued.stderr)
    assert.match(queued.stdout, /demo_queue_1: done, deleted/)
    assert.equal(sandbox.simulator.state('demo_queue_1'), 'UNAVAILABLE')
  })

  it("WeChat's close notification (sandbox:notify's control route) names no sub-merchant, and is published", async () => {
    const code = `n_direct_${process.pid}`
    const response = await fetch(`${sandbox.simulator.url}/_sandbox/notify`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'close', code }),
    })
    const sent = (await response.json()) as NotifyControlAnswer
    assert.deepEqual([sent.status, sent.accepted], [204, true], sent.body)
    const events = sandbox.eventBridge.events.filter(
      (event) => (event.detail as { notification_id: string }).notification_id === sent.notification_id,
    )
    assert.deepEqual(
      events.map((event) => event.detailType),
      ['PayScore Authorization Closed'],
    )
    const detail = events[0]!.detail as Record<string, unknown>
    assert.deepEqual([detail.authorization_code, detail.sub_mchid, detail.sub_appid], [code, null, null])
    assert.equal(detail.service_id, base.service_id)
  })
})
