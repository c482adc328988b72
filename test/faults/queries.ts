/**
 * Fault-matrix rows for the query routes (GET /v1/authorizations/{code} and GET /v1/authorizations):
 * the verified state (200), an authorization WeChat does not know (404), no answer now (503 with
 * Retry-After) and no usable answer (502), by code and by user, in both modes.
 */
import assert from 'node:assert/strict'
import { RETRY_AFTER_SECONDS } from '../../functions/runtime/http.ts'
import type { Observation } from './harness.ts'
import type { FaultRow } from './rows.ts'
import {
  anotherAppsUser,
  answerSays,
  DIRECT_CODE,
  DIRECT_OPENID,
  OPENID,
  OTHER,
  type Shape,
  SUB_OPENID,
  shaped,
  state,
} from './shapes.ts'

const query = (shape: Shape): Shape => ({ ...shape, operation: 'query' })
const BY_CODE = query({})

/** A found state: 200 with the state WeChat gave, named as asked. */
const found = (expected: string) => (observation: Observation) => {
  assert.equal(observation.body.authorization_state, expected)
  assert.equal((observation.body.wechatpay as { status: number }).status, 200)
}
/** A query that found nothing: the error code, and Retry-After on a 503. */
const error = (code: string) => (observation: Observation) => {
  assert.equal((observation.body.error as { code: string }).code, code)
  if (observation.status === 503)
    assert.equal(observation.headers['retry-after'], String(RETRY_AFTER_SECONDS))
}

export const QUERY_ROWS: readonly FaultRow[] = [
  shaped('query-code-found', BY_CODE, [], {
    fault: 'none',
    expect: ['found', 200, [0, 1]],
    notes: 'the verified state',
    check: found('AVAILABLE'),
  }),
  shaped(
    'query-code-never-bound',
    BY_CODE,
    [],
    {
      fault: 'authorization never bound to a user',
      expect: ['found', 200, [0, 1]],
      notes: 'UNBINDUSER is a state like the others',
      check: found('UNBINDUSER'),
    },
    state('UNBINDUSER'),
  ),
  shaped('query-openid-found', query(OPENID), [], {
    fault: 'none',
    expect: ['found', 200, [0, 1]],
    check: found('AVAILABLE'),
  }),
  shaped('query-sub-openid-found', query(SUB_OPENID), [], {
    fault: 'none',
    expect: ['found', 200, [0, 1]],
    check: found('AVAILABLE'),
  }),
  shaped(
    'query-direct-openid-found',
    query(DIRECT_OPENID),
    [],
    {
      fault: 'authorization already terminated',
      expect: ['found', 200, [0, 1]],
      check: found('UNAVAILABLE'),
    },
    state('UNAVAILABLE'),
  ),
  shaped('query-direct-code-found', query(DIRECT_CODE), [], {
    fault: 'none',
    expect: ['found', 200, [0, 1]],
    check: found('AVAILABLE'),
  }),
  shaped(
    'query-openid-of-another-app',
    query(OPENID),
    [],
    {
      fault: 'the user is known under another appid only',
      expect: ['not_found', 404, [0, 1]],
      notes: '`NOT_FOUND`',
      check: error('NOT_FOUND'),
    },
    anotherAppsUser,
  ),
  shaped('query-openid-order-not-exist', query(OPENID), [{ fault: 'order_not_exist', endpoint: 'query' }], {
    fault: '404 ORDER_NOT_EXIST',
    expect: ['not_found', 404, [0, 1]],
    notes: '`NOT_FOUND`, not retried',
    check: error('NOT_FOUND'),
  }),
  shaped('magic-query-direct-openid-SIM_UNBOUND', query({ ...DIRECT_OPENID, prefix: 'SIM_UNBOUND' }), [], {
    fault: 'never bound to a user',
    expect: ['not_found', 404, [0, 1]],
    check: error('NOT_FOUND'),
  }),
  shaped('query-openid-unavailable', query(OPENID), [{ fault: 'unavailable', endpoint: 'query' }], {
    fault: '503 SYSTEM_ERROR, every time',
    expect: ['retryable', 503, [0, 3]],
    notes: '`WECHATPAY_UNAVAILABLE`, `Retry-After: 5`; a GET is retried',
    check: error('WECHATPAY_UNAVAILABLE'),
  }),
  shaped('query-openid-reset', query(OPENID), [{ fault: 'reset', endpoint: 'query' }], {
    fault: 'connection reset, every time',
    expect: ['retryable', 503, [0, 3]],
    check: error('WECHATPAY_UNAVAILABLE'),
  }),
  shaped('query-code-rate-limited-x1', BY_CODE, [{ fault: 'rate_limited', endpoint: 'query', times: 1 }], {
    fault: '429 FREQUENCY_LIMITED once',
    expect: ['found', 200, [0, 2]],
    notes: 'the retry answers',
    check: found('AVAILABLE'),
  }),
  shaped('query-openid-bad-signature', query(OPENID), [{ fault: 'bad_signature', endpoint: 'query' }], {
    fault: 'answer with a signature that does not verify',
    expect: ['failed', 502, [0, 1]],
    notes: '`WECHATPAY_FAILED`: an unverified state is never returned',
    check: error('WECHATPAY_FAILED'),
  }),
  shaped('query-openid-unbound-openid', query(OPENID), [answerSays({ openid: OTHER.user })], {
    fault: 'a verified answer about another openid',
    expect: ['failed', 502, [0, 1]],
    notes: '`WECHATPAY_FAILED`',
    check: error('WECHATPAY_FAILED'),
  }),
  shaped('query-code-unbound-sub-mchid', BY_CODE, [answerSays({ sub_mchid: OTHER.mchid })], {
    fault: 'a verified answer about another sub_mchid',
    expect: ['failed', 502, [0, 1]],
    check: error('WECHATPAY_FAILED'),
  }),
  shaped('query-openid-unknown-state', query(OPENID), [answerSays({ authorization_state: 'FROZEN' })], {
    fault: 'a verified answer with an authorization_state WeChat does not document',
    expect: ['retryable', 503, [0, 1]],
    notes: 'an answer without a known state counts as none',
    check: error('WECHATPAY_UNAVAILABLE'),
  }),
  shaped('query-openid-no-auth', query(OPENID), [{ fault: 'no_auth', endpoint: 'query' }], {
    fault: '403 NO_AUTH',
    expect: ['failed', 502, [0, 1]],
    notes: 'our configuration is wrong',
    check: error('WECHATPAY_FAILED'),
  }),
]
