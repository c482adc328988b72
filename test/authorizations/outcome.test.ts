import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DISPOSITIONS, dispositionOf } from '../../functions/authorizations/outcome.ts'

describe('the WeChat status/code -> disposition table', () => {
  const cases: Array<[number, string | undefined, string]> = [
    [400, 'PARAM_ERROR', 'rejected'],
    [400, 'INVALID_REQUEST', 'settle'],
    [400, 'ORDER_DONE', 'settle'],
    [400, 'SOMETHING_NEW', 'settle'],
    [401, 'SIGN_ERROR', 'failed'],
    [401, undefined, 'failed'],
    [403, 'NO_AUTH', 'failed'],
    [403, 'RULE_LIMIT', 'settle'],
    [404, 'ORDER_NOT_EXIST', 'rejected'],
    [429, 'FREQUENCY_LIMITED', 'retryable'],
    [500, 'SYSTEM_ERROR', 'retryable'],
    [503, undefined, 'retryable'],
    [302, undefined, 'failed'],
  ]
  for (const [status, code, disposition] of cases) {
    it(`${status} ${code ?? '(no code)'} -> ${disposition}`, () =>
      assert.equal(dispositionOf(status, code), disposition))
  }

  it('lets a code-specific row win over the row for its whole status', () => {
    const first = DISPOSITIONS.findIndex((row) => row.status === 401 && row.code === 'SIGN_ERROR')
    const general = DISPOSITIONS.findIndex((row) => row.status === 401 && row.code === undefined)
    assert.ok(first < general)
  })
})
