/**
 * How the CLI reads Lambda's Invoke answers: the function's JSON, its errors by name (as AWS
 * reports them: the X-Amz-Function-Error header and an {errorType, errorMessage} payload), and
 * calls that fail. A local server speaks the Invoke API; the real Lambda client calls it.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { invoke } from '../../cli/invoke.ts'
import { summarize } from '../../cli/single.ts'

const ANSWERS: Record<string, { error?: string; body: string; status?: number }> = {
  state: {
    body: JSON.stringify({
      authorization_state: 'AVAILABLE',
      authorization_code: null,
      openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      sub_openid: null,
      service_id: '500001',
      appid: 'wxd678efh567hg6787',
      sub_mchid: '1900000109',
      sub_appid: null,
      authorization_success_time: '2025-05-20T13:29:35+08:00',
      cancel_authorization_time: null,
      wechatpay: { status: 200, request_id: '08AB-0' },
    }),
  },
  'not-found': {
    error: 'Unhandled',
    body: JSON.stringify({
      errorType: 'AuthorizationNotFoundError',
      errorMessage: 'no such authorization',
      trace: [],
    }),
  },
  invalid: {
    error: 'Unhandled',
    body: JSON.stringify({
      errorType: 'InvalidRequestError',
      errorMessage: 'invalid request: appid is required',
      issues: [{ path: 'appid', message: 'appid is required' }],
    }),
  },
  'invalid-message': {
    error: 'Unhandled',
    body: JSON.stringify({
      errorType: 'InvalidRequestError',
      errorMessage: 'invalid request: reason is required; sub_mchid is required',
    }),
  },
  timeout: {
    error: 'Unhandled',
    body: JSON.stringify({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 30.03 seconds',
    }),
  },
  garbage: { body: 'not json' },
  throttled: {
    status: 429,
    body: JSON.stringify({ __type: 'TooManyRequestsException', message: 'Rate exceeded', Type: 'User' }),
  },
  missing: {
    status: 404,
    body: JSON.stringify({ __type: 'ResourceNotFoundException', Message: 'Function not found' }),
  },
}

const server = createServer(async (request, response) => {
  for await (const _ of request);
  const name = decodeURIComponent(/functions\/([^/]+)\/invocations/.exec(request.url ?? '')?.[1] ?? '')
  const answer = ANSWERS[name]!
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (answer.error) headers['x-amz-function-error'] = answer.error
  if (answer.status) headers['x-amzn-errortype'] = JSON.parse(answer.body).__type
  response.writeHead(answer.status ?? 200, headers).end(answer.body)
})
let client: LambdaClient

before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  client = new LambdaClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  })
})
after(async () => {
  client.destroy()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('invoke: what came back', () => {
  it("the function's JSON, shown as a summary with the openid masked", async () => {
    const result = await invoke(client, 'state', { operation: 'query' })
    assert.equal(result.kind, 'answer')
    const text = summarize((result as { body: Record<string, unknown> }).body, 'query')
    assert.match(text, /^authorization_state: AVAILABLE\n/)
    assert.match(text, /^ {2}openid +oUpF\*{20}eS6o$/m)
    assert.ok(!text.includes('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'))
    assert.match(text, /appid +wxd678efh567hg6787/)
    assert.match(text, /authorized at +2025-05-20T13:29:35\+08:00/)
  })

  it('errors by name: AuthorizationNotFoundError, InvalidRequestError (with issues, or its message split)', async () => {
    assert.deepEqual(await invoke(client, 'not-found', {}), {
      kind: 'not_found',
      message: 'no such authorization',
    })
    assert.deepEqual(await invoke(client, 'invalid', {}), {
      kind: 'invalid',
      issues: [{ path: 'appid', message: 'appid is required' }],
    })
    assert.deepEqual(await invoke(client, 'invalid-message', {}), {
      kind: 'invalid',
      issues: [
        { path: '', message: 'reason is required' },
        { path: '', message: 'sub_mchid is required' },
      ],
    })
  })

  it('a function timeout and a throttled call may be retried; a missing function stops everything', async () => {
    assert.deepEqual(await invoke(client, 'timeout', {}), {
      kind: 'error',
      message: 'the function failed: Sandbox.Timedout: Task timed out after 30.03 seconds',
      retryable: true,
      fatal: false,
    })
    const throttled = await invoke(client, 'throttled', {})
    assert.deepEqual([throttled.kind, (throttled as { retryable: boolean }).retryable], ['error', true])
    const missing = await invoke(client, 'missing', {})
    assert.deepEqual([missing.kind, (missing as { fatal: boolean }).fatal], ['error', true])
    const garbage = await invoke(client, 'garbage', {})
    assert.deepEqual([garbage.kind, (garbage as { retryable: boolean }).retryable], ['error', false])
  })
})
