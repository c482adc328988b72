/**
 * Every way to name an authorization (code, openid, sub_openid), in both modes, through every entry
 * point (HTTP routes, queue, invoke), against the simulator: the exact requests WeChat receives, the
 * outcome, the verified state, and that a code and its openid are one authorization.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda'
import { maskCode } from '../../functions/runtime/observability.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { eventBridgeEnvelope, lambdaContext, routeEvent, sqsEvent } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack } from '../helpers/stack.ts'

let stack: Stack
let partner: Container
let direct: Container

before(async () => {
  stack = await startStack()
  partner = stack.container()
  direct = stack.container({ WECHATPAY_MODE: 'direct' })
})
after(() => stack.close())

const SERVICE = '500001'
const SUB_MCHID = '1900000109'
const SUB_APPID = 'wx5678efh567hg6786'
const REASON = '用户申请解除授权'

type Json = Record<string, unknown> & { wechatpay: Record<string, unknown> }

async function http(container: Container, routeKey: string, options: Parameters<typeof routeEvent>[1]) {
  const response = (await container.http(routeEvent(routeKey, options), lambdaContext())) as
    | APIGatewayProxyStructuredResultV2
    | undefined
  return {
    status: response?.statusCode,
    headers: response?.headers,
    json: JSON.parse(String(response?.body)) as Json,
  }
}

/** What WeChat received since `mark`, as method, path and the parsed body or query. */
function sentSince(mark: number) {
  return stack.simulator.requests.slice(mark).map((request) => {
    const [path, query] = request.url.split('?') as [string, string | undefined]
    return {
      method: request.method,
      path,
      ...(request.body ? { body: request.body } : {}),
      ...(query === undefined ? {} : { query }),
    }
  })
}

const openid = () => `o${freshCode('user').replaceAll('_', '-')}`

describe('partner mode: the WeChat request of every shape, byte for byte', () => {
  it('by openid: POST /v3/payscore/partner/permissions/terminate with exactly these keys, in order', async () => {
    const user = openid()
    const mark = stack.simulator.requests.length
    const { status, json } = await http(partner, 'POST /v1/authorizations/terminate', {
      body: { service_id: SERVICE, sub_mchid: SUB_MCHID, openid: user, appid: DEFAULT_APPID, reason: REASON },
    })
    assert.equal(status, 200)
    assert.deepEqual(sentSince(mark), [
      {
        method: 'POST',
        path: '/v3/payscore/partner/permissions/terminate',
        body: JSON.stringify({
          service_id: SERVICE,
          appid: DEFAULT_APPID,
          sub_mchid: SUB_MCHID,
          openid: user,
          reason: REASON,
        }),
      },
    ])
    assert.deepEqual(
      { ...json, wechatpay: { ...json.wechatpay, request_id: null } },
      {
        outcome: 'terminated',
        authorization_code: null,
        openid: user,
        sub_openid: null,
        service_id: SERVICE,
        appid: DEFAULT_APPID,
        sub_mchid: SUB_MCHID,
        sub_appid: null,
        wechatpay: { status: 204, code: null, message: null, request_id: null, authorization_state: null },
        attempts: 1,
      },
    )
    assert.equal(stack.simulator.state(user), 'UNAVAILABLE')
  })

  it('by sub_openid: the body names sub_openid and sub_appid; the query settles by search', async () => {
    const user = openid()
    stack.simulator.setState({ subOpenid: user, subAppid: SUB_APPID }, 'AVAILABLE')
    stack.simulator.inject({ fault: 'bad_signature', reference: user })
    const mark = stack.simulator.requests.length
    const { json } = await http(partner, 'POST /v1/authorizations/terminate', {
      body: {
        service_id: SERVICE,
        sub_mchid: SUB_MCHID,
        sub_openid: user,
        appid: DEFAULT_APPID,
        sub_appid: SUB_APPID,
        reason: REASON,
      },
    })
    assert.equal(json.outcome, 'terminated', 'an unverified 204 settled by the verified query by sub_openid')
    assert.equal(json.wechatpay.authorization_state, 'UNAVAILABLE')
    assert.equal(json.authorization_code, null, 'the outcome echoes the input, not what the query revealed')
    assert.deepEqual(sentSince(mark), [
      {
        method: 'POST',
        path: '/v3/payscore/partner/permissions/terminate',
        body: JSON.stringify({
          service_id: SERVICE,
          appid: DEFAULT_APPID,
          sub_mchid: SUB_MCHID,
          sub_openid: user,
          sub_appid: SUB_APPID,
          reason: REASON,
        }),
      },
      {
        method: 'GET',
        path: '/v3/payscore/partner/permissions/search',
        query: new URLSearchParams({
          service_id: SERVICE,
          appid: DEFAULT_APPID,
          sub_mchid: SUB_MCHID,
          sub_openid: user,
          sub_appid: SUB_APPID,
        }).toString(),
      },
    ])
  })

  it('a code and its openid are one authorization: terminated by code, already_terminated by openid', async () => {
    const code = freshCode()
    assert.equal(
      (
        await http(partner, 'POST /v1/authorizations/{authorization_code}/terminate', {
          path: { authorization_code: code },
          body: { service_id: SERVICE, sub_mchid: SUB_MCHID, reason: REASON },
        })
      ).json.outcome,
      'terminated',
    )
    const state = await http(partner, 'GET /v1/authorizations/{authorization_code}', {
      path: { authorization_code: code },
      query: `service_id=${SERVICE}&sub_mchid=${SUB_MCHID}`,
    })
    assert.equal(state.status, 200)
    assert.equal(state.json.authorization_state, 'UNAVAILABLE')
    const user = String(state.json.openid)
    const byOpenid = await http(partner, 'POST /v1/authorizations/terminate', {
      body: {
        service_id: SERVICE,
        sub_mchid: SUB_MCHID,
        openid: user,
        appid: String(state.json.appid),
        reason: REASON,
      },
    })
    assert.equal(byOpenid.json.outcome, 'already_terminated')
    assert.equal(byOpenid.json.wechatpay.authorization_state, 'UNAVAILABLE')
  })
})

describe('partner mode: the verified state (GET routes)', () => {
  it("by code: 200 with every field of the contract, from WeChat's verified answer", async () => {
    const code = freshCode()
    const mark = stack.simulator.requests.length
    const { status, json } = await http(partner, 'GET /v1/authorizations/{authorization_code}', {
      path: { authorization_code: code },
      query: `service_id=${SERVICE}&sub_mchid=${SUB_MCHID}`,
    })
    assert.equal(status, 200)
    assert.deepEqual(Object.keys(json).sort(), [
      'appid',
      'authorization_code',
      'authorization_state',
      'authorization_success_time',
      'cancel_authorization_time',
      'openid',
      'service_id',
      'sub_appid',
      'sub_mchid',
      'sub_openid',
      'wechatpay',
    ])
    assert.equal(json.authorization_state, 'AVAILABLE')
    assert.equal(json.authorization_code, code)
    assert.equal(json.cancel_authorization_time, null)
    assert.match(String(json.authorization_success_time), /\+08:00$/)
    assert.deepEqual(Object.keys(json.wechatpay).sort(), ['request_id', 'status'])
    assert.deepEqual(sentSince(mark), [
      {
        method: 'GET',
        path: `/v3/payscore/partner/permissions/authorization-code/${code}`,
        query: `service_id=${SERVICE}&sub_mchid=${SUB_MCHID}`,
      },
    ])
  })

  it('by openid: GET /v1/authorizations?service_id&appid&openid&sub_mchid', async () => {
    const user = openid()
    const { status, json } = await http(partner, 'GET /v1/authorizations', {
      query: new URLSearchParams({
        service_id: SERVICE,
        appid: DEFAULT_APPID,
        openid: user,
        sub_mchid: SUB_MCHID,
      }).toString(),
    })
    assert.equal(status, 200)
    assert.equal(json.openid, user)
    assert.equal(json.authorization_state, 'AVAILABLE')
  })

  it('404 NOT_FOUND when WeChat does not know the authorization', async () => {
    const user = openid()
    stack.simulator.inject({ fault: 'order_not_exist', endpoint: 'query', reference: user })
    const { status, json } = await http(partner, 'GET /v1/authorizations', {
      query: new URLSearchParams({
        service_id: SERVICE,
        appid: DEFAULT_APPID,
        openid: user,
        sub_mchid: SUB_MCHID,
      }).toString(),
    })
    assert.equal(status, 404)
    assert.equal((json.error as Record<string, unknown>).code, 'NOT_FOUND')
  })

  it('503 with Retry-After when WeChat is unavailable; 502 when its answer is not about what was asked', async () => {
    const code = freshCode()
    stack.simulator.inject({ fault: 'unavailable', endpoint: 'query', reference: code })
    const query = `service_id=${SERVICE}&sub_mchid=${SUB_MCHID}`
    const unavailable = await http(partner, 'GET /v1/authorizations/{authorization_code}', {
      path: { authorization_code: code },
      query,
    })
    assert.equal(unavailable.status, 503)
    assert.equal(unavailable.headers?.['retry-after'], '5')
    stack.simulator.clearFaults()
    stack.simulator.inject({
      fault: 'altered_answer',
      endpoint: 'query',
      reference: code,
      patch: { sub_mchid: '1900000999' },
    })
    const unbound = await http(partner, 'GET /v1/authorizations/{authorization_code}', {
      path: { authorization_code: code },
      query,
    })
    assert.equal(unbound.status, 502)
    stack.simulator.clearFaults()
  })

  it('400 naming the fields for a bad query, sending nothing; a repeated parameter is refused', async () => {
    const mark = stack.simulator.requests.length
    const missing = await http(partner, 'GET /v1/authorizations', {
      query: `service_id=${SERVICE}&openid=o1`,
    })
    assert.equal(missing.status, 400)
    const issues = (missing.json.error as { issues: Array<{ path: string }> }).issues.map(
      (issue) => issue.path,
    )
    assert.deepEqual(issues, ['appid', 'sub_mchid'])
    const repeated = await http(partner, 'GET /v1/authorizations', {
      query: `service_id=${SERVICE}&sub_mchid=${SUB_MCHID}&appid=wx1&openid=o1&openid=o2`,
    })
    assert.equal(repeated.status, 400)
    assert.deepEqual(
      (repeated.json.error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path),
      ['openid'],
    )
    assert.equal(stack.simulator.requests.length, mark)
  })
})

describe('direct mode', () => {
  it('by code: POST /v3/payscore/permissions/authorization-code/{code}/terminate {service_id, reason}; sub_mchid is null', async () => {
    const code = freshCode()
    const mark = stack.simulator.requests.length
    const { status, json } = await http(direct, 'POST /v1/authorizations/{authorization_code}/terminate', {
      path: { authorization_code: code },
      body: { service_id: SERVICE, reason: REASON },
    })
    assert.equal(status, 200)
    assert.equal(json.sub_mchid, null)
    assert.deepEqual(sentSince(mark), [
      {
        method: 'POST',
        path: `/v3/payscore/permissions/authorization-code/${code}/terminate`,
        body: JSON.stringify({ service_id: SERVICE, reason: REASON }),
      },
    ])
  })

  it('by openid: POST /v3/payscore/permissions/openid/{openid}/terminate, settled by GET .../openid/{openid}', async () => {
    const user = openid()
    stack.simulator.inject({ fault: 'unfinished_orders', reference: user })
    const mark = stack.simulator.requests.length
    const { status, json } = await http(direct, 'POST /v1/authorizations/terminate', {
      body: { service_id: SERVICE, openid: user, appid: DEFAULT_APPID, reason: REASON },
    })
    assert.equal(status, 422)
    assert.equal(json.outcome, 'rejected')
    assert.equal(json.wechatpay.authorization_state, 'AVAILABLE')
    assert.deepEqual(sentSince(mark), [
      {
        method: 'POST',
        path: `/v3/payscore/permissions/openid/${user}/terminate`,
        body: JSON.stringify({ service_id: SERVICE, appid: DEFAULT_APPID, reason: REASON }),
      },
      {
        method: 'GET',
        path: `/v3/payscore/permissions/openid/${user}`,
        query: `service_id=${SERVICE}&appid=${DEFAULT_APPID}`,
      },
    ])
  })

  it('refuses sub_mchid, sub_appid and sub_openid, naming each, and sends nothing', async () => {
    const mark = stack.simulator.requests.length
    const { status, json } = await http(direct, 'POST /v1/authorizations/terminate', {
      body: {
        service_id: SERVICE,
        sub_mchid: SUB_MCHID,
        sub_openid: 'o1',
        appid: 'wx1',
        sub_appid: 'wx2',
        reason: REASON,
      },
    })
    assert.equal(status, 400)
    assert.deepEqual(
      (json.error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path),
      ['authorization_code', 'openid', 'sub_openid', 'sub_mchid', 'sub_appid'],
    )
    assert.equal(stack.simulator.requests.length, mark)
  })

  it('the state by openid (GET /v1/authorizations?service_id&appid&openid)', async () => {
    const user = openid()
    const { status, json } = await http(direct, 'GET /v1/authorizations', {
      query: new URLSearchParams({ service_id: SERVICE, appid: DEFAULT_APPID, openid: user }).toString(),
    })
    assert.equal(status, 200)
    assert.equal(json.openid, user)
    assert.equal(json.sub_mchid, null)
  })
})

describe('queue and invoke: every identification', () => {
  it('queue: openid and sub_openid messages (plain and EventBridge) end done and are deleted', async () => {
    const [one, two] = [openid(), openid()]
    stack.simulator.setState({ subOpenid: two, subAppid: SUB_APPID }, 'AVAILABLE')
    const event = sqsEvent([
      JSON.stringify({
        service_id: SERVICE,
        sub_mchid: SUB_MCHID,
        openid: one,
        appid: DEFAULT_APPID,
        reason: REASON,
      }),
      eventBridgeEnvelope({
        service_id: SERVICE,
        sub_mchid: SUB_MCHID,
        sub_openid: two,
        appid: DEFAULT_APPID,
        sub_appid: SUB_APPID,
        reason: REASON,
      }),
      JSON.stringify({ service_id: SERVICE, sub_mchid: SUB_MCHID, openid: 'o1', reason: REASON }),
    ])
    const response = (await partner.queue(event, lambdaContext())) as SQSBatchResponse
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[2]!.messageId }])
    assert.deepEqual([stack.simulator.state(one), stack.simulator.state(two)], ['UNAVAILABLE', 'UNAVAILABLE'])
  })

  it('a message or body asking for a query is refused (naming operation), never terminated', async () => {
    const code = freshCode()
    const message = {
      service_id: SERVICE,
      sub_mchid: SUB_MCHID,
      authorization_code: code,
      reason: REASON,
      operation: 'query',
    }
    const mark = stack.simulator.requests.length
    const event = sqsEvent([JSON.stringify(message)])
    const response = (await partner.queue(event, lambdaContext())) as SQSBatchResponse
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[0]!.messageId }])
    const answer = await http(partner, 'POST /v1/authorizations/terminate', { body: message })
    assert.equal(answer.status, 400)
    assert.deepEqual(
      (answer.json.error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path),
      ['operation'],
    )
    assert.equal(stack.simulator.requests.length, mark, 'nothing sent')
  })

  it('queue in direct mode: an openid message is done', async () => {
    const user = openid()
    const event = sqsEvent([
      JSON.stringify({ service_id: SERVICE, openid: user, appid: DEFAULT_APPID, reason: REASON }),
    ])
    const response = (await direct.queue(event, lambdaContext())) as SQSBatchResponse
    assert.deepEqual(response.batchItemFailures, [])
    assert.equal(stack.simulator.state(user), 'UNAVAILABLE')
  })

  it('invoke: terminate by openid returns the outcome; operation query returns the state', async () => {
    const user = openid()
    const input = { service_id: SERVICE, sub_mchid: SUB_MCHID, openid: user, appid: DEFAULT_APPID }
    const outcome = (await partner.invoke({ ...input, reason: REASON }, lambdaContext())) as unknown as Json
    assert.equal(outcome.outcome, 'terminated')
    const state = (await partner.invoke({ ...input, operation: 'query' }, lambdaContext())) as unknown as Json
    assert.equal(state.authorization_state, 'UNAVAILABLE')
    assert.equal(state.openid, user)
    assert.match(String(state.cancel_authorization_time), /\+08:00$/)
  })

  it('invoke: not found throws AuthorizationNotFoundError; another operation is invalid input', async () => {
    const user = openid()
    stack.simulator.inject({ fault: 'order_not_exist', endpoint: 'query', reference: user })
    const input = { service_id: SERVICE, sub_mchid: SUB_MCHID, openid: user, appid: DEFAULT_APPID }
    await assert.rejects(partner.invoke({ ...input, operation: 'query' }, lambdaContext()), {
      name: 'AuthorizationNotFoundError',
    })
    const mark = stack.simulator.requests.length
    await assert.rejects(
      partner.invoke({ ...input, operation: 'cancel' }, lambdaContext()),
      (error: Error & { issues: Array<{ path: string }> }) => {
        assert.equal(error.name, 'InvalidRequestError')
        assert.deepEqual(
          error.issues.map((issue) => issue.path),
          ['operation'],
        )
        return true
      },
    )
    assert.equal(stack.simulator.requests.length, mark)
  })

  it('invoke: a query WeChat cannot answer now throws QueryRetryableError', async () => {
    const code = freshCode()
    stack.simulator.inject({ fault: 'unavailable', endpoint: 'query', reference: code })
    await assert.rejects(
      direct.invoke({ operation: 'query', service_id: SERVICE, authorization_code: code }, lambdaContext()),
      { name: 'QueryRetryableError' },
    )
  })
})

describe('logs: openids are personal data', () => {
  it('never holds an openid or sub_openid in full', async () => {
    const user = openid()
    await http(partner, 'POST /v1/authorizations/terminate', {
      body: { service_id: SERVICE, sub_mchid: SUB_MCHID, openid: user, appid: DEFAULT_APPID, reason: REASON },
    })
    await http(partner, 'POST /v1/authorizations/terminate', {
      body: { service_id: SERVICE, sub_mchid: 'x', openid: user, appid: DEFAULT_APPID, reason: REASON },
    })
    const text = partner.logs.text().join('\n')
    const masked = `"openid":"${maskCode(user)}"`
    assert.equal(text.split(masked).length - 1, 2, 'the masked openid is there to correlate, valid or not')
    assert.ok(!text.includes(user), 'the full openid is not')
  })
})
