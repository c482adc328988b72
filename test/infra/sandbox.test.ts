import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { maskCode } from '../../functions/runtime/observability.ts'
import { sandboxInput } from '../../infra/local/banner.ts'
import type { RecordedEvent } from '../../infra/local/eventbridge.ts'
import { SANDBOX_EVENT_BUS, type Sandbox, sandboxBanner, startSandbox } from '../../infra/local/sandbox.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { eventBridgeEnvelope, sqsEvent } from '../helpers/lambda.ts'
import { VALID } from '../helpers/stack.ts'
import { scanLines } from '../leaks/scanner.ts'
import { freeSandboxPorts } from './ports.ts'
import { pastedCommands, shell } from './shell.ts'

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
/** Everything serverless-offline printed, and every event: what `npm start` shows on the terminal. */
let output = ''

before(async () => {
  sandbox = await startSandbox({
    // 0 for every port but the HTTP API's: the sandbox binds them and says where (sandbox.ports).
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

/** The events the functions put that name this authorization code. */
const eventsOf = (code: string): RecordedEvent[] =>
  sandbox.eventBridge.events.filter(
    (event) => (event.detail as { authorization_code?: unknown }).authorization_code === code,
  )

/** `npm run sandbox:notify -- ...args` against this sandbox, as a user runs it in another terminal. */
const sandboxNotify = (...args: string[]) =>
  shell(`npm run -s sandbox:notify -- ${args.join(' ')}`, {
    SANDBOX_PORTS: Object.values(sandbox.ports).join(','),
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
  // First, while no function has been loaded: serverless-offline reads each bundle on its first call.
  it('npm run package while it serves: a function loaded afterwards still answers', async () => {
    const packaged = await shell('npm run -s package', { AWS_EC2_METADATA_DISABLED: 'true' })
    assert.equal(packaged.code, 0, packaged.stderr)
    const answer = await post(`after_package_${Date.now()}`)
    assert.equal(answer.status, 200)
    assert.equal(answer.json.outcome, 'terminated')
  })

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
    const [done, retryable] = event.Records.map(
      (record) =>
        (JSON.parse(record.body) as { detail: { authorization_code: string } }).detail.authorization_code,
    )
    // The done record's outcome is on the bus, with the queue's receive count; a retryable one puts none.
    const [put, ...more] = eventsOf(done!)
    assert.deepEqual(more, [])
    assert.equal(put!.detailType, 'PayScore Authorization Termination')
    const { outcome, entry_point, receive_count } = put!.detail as Record<string, unknown>
    assert.deepEqual(
      { outcome, entry_point, receive_count },
      {
        outcome: 'terminated',
        entry_point: 'queue',
        receive_count: 1,
      },
    )
    assert.deepEqual(eventsOf(retryable!), [])
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

  it('a termination that ends puts exactly one outcome event on the sandbox bus, printed masked', async () => {
    const code = `outcome_event_${Date.now()}`
    const from = output.length
    assert.equal((await post(code)).status, 200)
    const [event, ...more] = eventsOf(code)
    assert.deepEqual(more, [], 'one event')
    assert.equal(event!.source, 'payscore-terminate')
    assert.equal(event!.detailType, 'PayScore Authorization Termination')
    assert.equal(event!.eventBusName, SANDBOX_EVENT_BUS, "serverless.yml's params.local.publishEventBusName")
    assert.deepEqual(
      [(event!.detail as Outcome).outcome, (event!.detail as { entry_point: string }).entry_point],
      ['terminated', 'http'],
    )
    assert.match(output.slice(from), /eventbridge: PayScore Authorization Termination on payscore-local \{/)
    assert.ok(!output.includes(code), 'the code is masked in the printed event')
    // A termination that does not end (retryable) puts nothing.
    const retryable = `SIM_503_event_${Date.now()}`
    assert.equal((await post(retryable)).status, 503)
    assert.deepEqual(eventsOf(retryable), [])
  })

  it("npm run sandbox:notify -- close: WeChat's notification, signed and encrypted, becomes one Closed event", async () => {
    const code = `notify_${process.pid}_${Date.now() % 100_000}`
    const from = output.length
    const sent = await sandboxNotify('close', code)
    assert.equal(sent.code, 0, sent.stderr)
    assert.match(sent.stdout, /WeChat sent PAYSCORE\.USER_CLOSE_SERVICE \(notification [0-9a-f-]{36}\)/)
    assert.match(sent.stdout, /the notification route answered 204 in \d+ ms: accepted/)
    assert.ok(!sent.stdout.includes(code), 'sandbox:notify shows the code masked')
    const known = sandbox.simulator.authorization(code)!
    assert.equal(known.state, 'UNAVAILABLE', 'the user ended it inside WeChat')
    const [event, ...more] = eventsOf(code)
    assert.deepEqual(more, [], 'exactly one event')
    assert.equal(event!.source, 'payscore-terminate')
    assert.equal(event!.detailType, 'PayScore Authorization Closed')
    const detail = event!.detail as Record<string, unknown>
    assert.equal(detail.notification_id, /notification ([0-9a-f-]{36})/.exec(sent.stdout)![1])
    assert.deepEqual(
      {
        event_type: detail.event_type,
        mchid: detail.mchid,
        sub_mchid: detail.sub_mchid,
        service_id: detail.service_id,
        appid: detail.appid,
        openid: detail.openid,
        user_service_status: detail.user_service_status,
      },
      {
        event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
        mchid: '1900000100',
        sub_mchid: sandboxInput('partner').sub_mchid,
        service_id: sandboxInput('partner').service_id,
        appid: known.appid,
        openid: known.openid,
        user_service_status: 'USER_CLOSE_SERVICE',
      },
    )
    assert.match(String(detail.openorclose_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/)
    const printed = output.slice(from)
    assert.match(printed, /eventbridge: PayScore Authorization Closed on payscore-local/)
    assert.deepEqual(scanLines(printed.split('\n'), { codes: [code, known.openid] }), [])

    // Terminated from inside WeChat: the service's own terminate now finds it already ended, and says so on the bus.
    const terminate = await post(code)
    assert.equal(terminate.json.outcome, 'already_terminated')
    assert.deepEqual(
      eventsOf(code).map((put) => [put.detailType, (put.detail as { outcome?: string }).outcome]),
      [
        ['PayScore Authorization Closed', undefined],
        ['PayScore Authorization Termination', 'already_terminated'],
      ],
    )
  })

  it('npm run sandbox:notify -- open: an Opened event, the authorization AVAILABLE; bad arguments: usage', async () => {
    const code = `SIM_TERMINATED_open_${Date.now() % 100_000}`
    const sent = await sandboxNotify('open', code)
    assert.equal(sent.code, 0, sent.stderr)
    assert.equal(sandbox.simulator.state(code), 'AVAILABLE', 'the user authorized it')
    assert.deepEqual(
      eventsOf(code).map((put) => [
        put.detailType,
        (put.detail as { user_service_status: string }).user_service_status,
      ]),
      [['PayScore Authorization Opened', 'USER_OPEN_SERVICE']],
    )
    const usage = await sandboxNotify('shut', code)
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /usage: npm run sandbox:notify -- open\|close AUTHORIZATION_CODE/)
    const refused = await sandboxNotify('close', 'not/a/code')
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /code must be 1\.\.32 characters/)
    assert.deepEqual(eventsOf('not/a/code'), [])
  })

  it("the banner's sandbox:event and sandbox:notify commands, pasted into another terminal, reach this sandbox", async () => {
    // Its ports are not npm start's: the commands carry them (SANDBOX_PORTS).
    const banner = sandboxBanner(sandbox)
    const [event, ...moreEvents] = pastedCommands(banner, 'sandbox:event')
    assert.deepEqual([typeof event, moreEvents], ['string', []], banner)
    const queued = await shell(event!)
    assert.equal(queued.code, 0, queued.stderr)
    assert.match(queued.stdout, /demo_queue_1: done, deleted/)
    assert.deepEqual(
      eventsOf('demo_queue_1').map((put) => (put.detail as { entry_point: string }).entry_point),
      ['queue'],
      'the event reached this sandbox',
    )
    const notify = pastedCommands(banner, 'sandbox:notify')
    assert.equal(notify.length, 2, banner)
    for (const command of notify) {
      const sent = await shell(command)
      assert.equal(sent.code, 0, sent.stderr)
    }
    assert.deepEqual(
      [sandbox.simulator.state('demo_0001'), sandbox.simulator.state('demo_0002')],
      ['UNAVAILABLE', 'AVAILABLE'],
      "this sandbox's simulator sent both",
    )
  })

  it('stops everything: no process of the group is left', async () => {
    const pid = sandbox.offline.pid!
    assert.ok(groupAlive(pid))
    await sandbox.stop()
    assert.equal(groupAlive(pid), false)
  })
})
