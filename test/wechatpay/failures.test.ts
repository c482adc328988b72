import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HTTPError, NetworkError, TimeoutError } from 'ky'
import { isRetryable, retryAfterMs, toWechatPayError } from '../../functions/wechatpay/failures.ts'

const request = new Request('https://api.mch.weixin.qq.com/v3/x', { method: 'POST' })
const httpError = (status: number, headers: Record<string, string> = {}, data?: unknown) => {
  const error = new HTTPError(new Response(null, { status, headers }), request, {} as never)
  if (data !== undefined) error.data = data
  return error
}

describe('failures', () => {
  it('retries 429 and 5xx, not other answers', () => {
    for (const status of [429, 500, 502, 503, 504])
      assert.equal(isRetryable(httpError(status), 'POST'), true, String(status))
    for (const status of [400, 401, 403, 404, 409])
      assert.equal(isRetryable(httpError(status), 'POST'), false, String(status))
  })

  it('retries a timed-out GET but not a POST that may have arrived', () => {
    assert.equal(isRetryable(new TimeoutError(request), 'GET'), true)
    assert.equal(isRetryable(new TimeoutError(request), 'POST'), false)
  })

  it('retries connection failures, POST included, and nothing unknown', () => {
    assert.equal(isRetryable(new NetworkError(request), 'POST'), true)
    assert.equal(isRetryable(new Error('bug'), 'POST'), false)
  })

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-24T10:00:00Z')
    assert.equal(retryAfterMs(httpError(429, { 'Retry-After': '2' }), now), 2000)
    assert.equal(retryAfterMs(httpError(503, { 'Retry-After': 'Tue, 24 Nov 2026 10:00:03 GMT' }), now), 3000)
    assert.equal(retryAfterMs(httpError(503, { 'Retry-After': 'soon' }), now), undefined)
    assert.equal(retryAfterMs(httpError(503), now), undefined)
  })

  it("parses WeChat's error body into status, code, message, detail and Request-ID", () => {
    const detail = { field: '/reason', issue: 'too long' }
    const error = toWechatPayError(
      httpError(400, { 'Request-ID': 'req-1' }, { code: 'PARAM_ERROR', message: '参数错误', detail }),
      { attempts: 1, pastDeadline: false },
    )
    assert.equal(error.code, 'HTTP_ERROR')
    assert.deepEqual(
      {
        status: error.status,
        code: error.wechatCode,
        message: error.wechatMessage,
        detail: error.detail,
        id: error.requestId,
      },
      { status: 400, code: 'PARAM_ERROR', message: '参数错误', detail, id: 'req-1' },
    )
  })

  it('tells a timeout from the deadline', () => {
    assert.equal(
      toWechatPayError(new TimeoutError(request), { attempts: 1, pastDeadline: false }).code,
      'TIMEOUT',
    )
    assert.equal(
      toWechatPayError(new TimeoutError(request), { attempts: 2, pastDeadline: true }).code,
      'DEADLINE_EXCEEDED',
    )
  })
})
