import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NetworkError, TimeoutError } from 'ky'
import {
  answerError,
  isRetryable,
  isRetryableStatus,
  retryAfterMs,
  toWechatPayError,
} from '../../functions/wechatpay/failures.ts'

const request = new Request('https://api.mch.weixin.qq.com/v3/x', { method: 'POST' })
const answer = (status: number) => ({ status, requestId: 'req-1', attempts: 1 })

describe('failures', () => {
  it('retries 429 and 5xx, not other answers', () => {
    for (const status of [429, 500, 502, 503, 504])
      assert.equal(isRetryableStatus(status), true, String(status))
    for (const status of [200, 204, 302, 400, 401, 403, 404, 409])
      assert.equal(isRetryableStatus(status), false, String(status))
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
    const after = (value?: string) => retryAfterMs(new Headers(value ? { 'Retry-After': value } : {}), now)
    assert.equal(after('2'), 2000)
    assert.equal(after('Tue, 24 Nov 2026 10:00:03 GMT'), 3000)
    assert.equal(after('soon'), undefined)
    assert.equal(after(), undefined)
  })

  it("parses WeChat's error body into status, code, message, detail and Request-ID", () => {
    const detail = { field: '/reason', issue: 'too long' }
    const error = answerError(
      answer(400),
      JSON.stringify({ code: 'PARAM_ERROR', message: '参数错误', detail }),
    )
    assert.equal(error.code, 'HTTP_ERROR')
    assert.deepEqual(
      {
        status: error.status,
        code: error.wechatCode,
        message: error.wechatMessage,
        detail: error.detail,
        id: error.requestId,
        attempts: error.attempts,
      },
      { status: 400, code: 'PARAM_ERROR', message: '参数错误', detail, id: 'req-1', attempts: 1 },
    )
  })

  it('keeps the status of an error whose body is not JSON, is not an object or could not be read', () => {
    const cause = new Error('body too large')
    for (const [body, why] of [
      ['<html>', undefined],
      ['[1]', undefined],
      ['"x"', undefined],
      [undefined, cause],
    ] as const) {
      const error = answerError(answer(503), body, why)
      assert.deepEqual(
        [error.code, error.status, error.wechatCode, error.wechatMessage, error.cause],
        ['HTTP_ERROR', 503, undefined, undefined, why],
      )
    }
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
