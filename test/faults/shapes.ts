/**
 * Fault-matrix rows for every other way to name an authorization (openid and sub_openid in partner
 * mode, openid and code in direct mode), where what the service does differs from terminating by
 * code or must be shown: the settling query asks by the same name, another app's user is not found
 * (404), and an answer that names another user, app or merchant is never trusted. The query routes'
 * rows are in queries.ts, built the same way.
 */
import type { AuthorizationName, Endpoint, Fault } from '../../infra/local/wechatpay-simulator.ts'
import { DEFAULT_APPID } from '../../infra/local/wechatpay-simulator.ts'
import { type Call, type Harness, SUB_APPID } from './harness.ts'
import { callLabel, type FaultRow, injected } from './rows.ts'

/** An appid, user or merchant the row's authorization is not about. */
export const OTHER = { appid: 'wxOtherApp0000001', user: 'oSomebodyElse000000000000001', mchid: '1900000999' }

export interface Rule {
  fault: Fault
  endpoint?: Endpoint | 'any'
  times?: number
  patch?: Record<string, unknown>
}

/** A state the simulator is put in first, for the row's name. */
export interface Setup {
  describe: string
  apply(h: Harness, name: AuthorizationName): void
}

export interface Spec {
  fault: string
  /** The outcome (or a query's result), the HTTP status, and [terminate, query] requests sent. */
  expect: [outcome: FaultRow['outcome'], status: number, sent: [terminate: number, query: number]]
  notes?: string
  check?: FaultRow['check']
}

export type Shape = Omit<Call, 'name'> & { prefix?: string }

/**
 * Row `id`: calls as `shape` says, for a name nobody used (behind the sandbox `prefix` if given),
 * after `rules` were injected for that name and `setup` applied.
 */
export function shaped(id: string, shape: Shape, rules: Rule[], spec: Spec, setup?: Setup): FaultRow {
  const { prefix, ...call } = shape
  const [outcome, status, [terminate, query]] = spec.expect
  const described = [
    prefix ? `${call.by ?? 'code'} \`${prefix}_…\`` : '',
    ...rules.map((rule) => injected(rule.fault, rule)),
    setup?.describe ?? '',
  ]
  return {
    id,
    source: prefix ? 'WeChat Pay sandbox code' : 'WeChat Pay',
    call: callLabel(call),
    fault: spec.fault,
    injected: described.filter(Boolean).join(' + ') || 'nothing',
    outcome,
    status,
    sent: { terminate, query },
    notes: spec.notes ?? '',
    ...(spec.check ? { check: spec.check } : {}),
    run(h) {
      const name = call.by && call.by !== 'authorization_code' ? h.openid(prefix) : h.code(prefix)
      for (const rule of rules) h.stack.simulator.inject({ ...rule, reference: name })
      setup?.apply(h, simulatorName(call, name))
      return h.call({ ...call, name })
    },
  }
}

/** The name as the simulator's setState takes it. */
function simulatorName({ by, appid = DEFAULT_APPID, sub_appid }: Omit<Call, 'name'>, name: string) {
  if (by === 'openid') return { openid: name, appid, ...(sub_appid ? { subAppid: sub_appid } : {}) }
  if (by === 'sub_openid') return { subOpenid: name, subAppid: sub_appid ?? SUB_APPID, appid }
  return name
}

export const state = (value: 'UNAVAILABLE' | 'UNBINDUSER'): Setup => ({
  describe: `\`setState(name, '${value}')\``,
  apply: (h, name) => h.stack.simulator.setState(name, value),
})

/** WeChat knows the user, under another appid only. */
export const anotherAppsUser: Setup = {
  describe: `\`setState({ openid, appid: '${OTHER.appid}' }, 'AVAILABLE')\``,
  apply(h, name) {
    const { openid } = name as { openid: string }
    h.stack.simulator.setState({ openid, appid: OTHER.appid }, 'AVAILABLE')
  },
}

export const OPENID = { by: 'openid' } as const
export const SUB_OPENID = { by: 'sub_openid' } as const
export const DIRECT_OPENID = { by: 'openid', mode: 'direct' } as const
export const DIRECT_CODE = { mode: 'direct' } as const

export const badSignature: Rule = { fault: 'bad_signature' }
const refusal: Rule = { fault: 'unfinished_orders' }
/** The query's answer, signed, says `patch` instead. */
export const answerSays = (patch: Record<string, unknown>): Rule => ({
  fault: 'altered_answer',
  endpoint: 'query',
  patch,
})

const UNSIGNED_204 = '204 with a signature that does not verify'
const ORDERS = '400 INVALID_REQUEST: unfinished Pay Score orders'
const unboundAfter204 = (about: string) =>
  `204 that does not verify, then a verified query answer about ${about}`

export const SHAPE_ROWS: readonly FaultRow[] = [
  // ---- terminate by openid, partner mode
  shaped('openid-terminated', OPENID, [], {
    fault: 'none',
    expect: ['terminated', 200, [1, 0]],
    notes: '`POST /v3/payscore/partner/permissions/terminate` with openid and appid',
  }),
  shaped('openid-unavailable', OPENID, [{ fault: 'unavailable' }], {
    fault: '503 SYSTEM_ERROR, every time',
    expect: ['retryable', 503, [3, 0]],
    notes: '3 attempts, as by code',
  }),
  shaped('openid-bad-signature', OPENID, [badSignature], {
    fault: UNSIGNED_204,
    expect: ['terminated', 200, [1, 1]],
    notes: 'settled by the verified query by the same openid (`GET …/partner/permissions/search`)',
  }),
  shaped('openid-unfinished-orders', OPENID, [refusal], {
    fault: ORDERS,
    expect: ['rejected', 422, [1, 1]],
    notes: 'the query by openid shows AVAILABLE',
  }),
  shaped(
    'openid-already-terminated',
    OPENID,
    [],
    {
      fault: 'authorization already terminated',
      expect: ['already_terminated', 200, [1, 1]],
      notes: 'terminate refuses (400); the query by openid shows UNAVAILABLE',
    },
    state('UNAVAILABLE'),
  ),
  shaped(
    'openid-of-another-app',
    OPENID,
    [],
    {
      fault: 'the user is known under another appid only',
      expect: ['rejected', 422, [1, 0]],
      notes: '404 ORDER_NOT_EXIST: not retried, nothing to settle',
    },
    anotherAppsUser,
  ),
  shaped('openid-unbound-query-openid', OPENID, [badSignature, answerSays({ openid: OTHER.user })], {
    fault: unboundAfter204('another openid'),
    expect: ['failed', 502, [1, 1]],
    notes: 'never terminated from an answer about someone else',
  }),
  shaped(
    'openid-unbound-query-sub-openid-only',
    OPENID,
    [badSignature, answerSays({ openid: undefined, sub_openid: OTHER.user, sub_appid: OTHER.appid })],
    {
      fault: unboundAfter204('a sub_openid, without the openid asked'),
      expect: ['failed', 502, [1, 1]],
      notes: 'an answer that names a user must name the one asked: it may be about anyone of the app',
    },
  ),
  shaped(
    'openid-unbound-query-code-only-after-refusal',
    OPENID,
    [refusal, answerSays({ openid: undefined, authorization_code: 'SomebodyElsesCode01' })],
    {
      fault:
        'business refusal, then a verified query answer naming an authorization_code, not the openid asked',
      expect: ['retryable', 503, [1, 1]],
      notes: 'never already_terminated from an answer that may be about another authorization',
    },
    state('UNAVAILABLE'),
  ),
  shaped('openid-unbound-query-appid', OPENID, [refusal, answerSays({ appid: OTHER.appid })], {
    fault: 'business refusal, then a verified query answer about another appid',
    expect: ['retryable', 503, [1, 1]],
    notes: 'the refusal is not settled by an answer about another app',
  }),
  shaped(
    'openid-unbound-query-sub-appid',
    { ...OPENID, sub_appid: SUB_APPID },
    [badSignature, answerSays({ sub_appid: OTHER.appid })],
    {
      fault: unboundAfter204('another sub_appid'),
      expect: ['failed', 502, [1, 1]],
      notes: 'the input gave a sub_appid: the answer must not name another',
    },
  ),
  shaped('magic-openid-SIM_UNBOUND', { ...OPENID, prefix: 'SIM_UNBOUND' }, [], {
    fault: 'never bound to a user',
    expect: ['rejected', 422, [1, 0]],
    notes:
      'a lookup by user finds no unbound authorization (404); by code the same prefix is settled by a query',
  }),
  shaped('magic-openid-SIM_BADSIG', { ...OPENID, prefix: 'SIM_BADSIG' }, [], {
    fault: UNSIGNED_204,
    expect: ['terminated', 200, [1, 1]],
    notes: 'magic prefixes work on openids',
  }),

  // ---- terminate by sub_openid, partner mode
  shaped('sub-openid-bad-signature', SUB_OPENID, [badSignature], {
    fault: UNSIGNED_204,
    expect: ['terminated', 200, [1, 1]],
    notes: 'settled by the verified query by the same sub_openid and sub_appid',
  }),
  shaped('sub-openid-unfinished-orders', SUB_OPENID, [refusal], {
    fault: ORDERS,
    expect: ['rejected', 422, [1, 1]],
  }),
  shaped(
    'sub-openid-unbound-query-sub-openid',
    SUB_OPENID,
    [badSignature, answerSays({ sub_openid: OTHER.user })],
    {
      fault: unboundAfter204('another sub_openid'),
      expect: ['failed', 502, [1, 1]],
    },
  ),
  shaped(
    'sub-openid-unbound-query-openid-only',
    SUB_OPENID,
    [badSignature, answerSays({ sub_openid: undefined, openid: OTHER.user })],
    {
      fault: unboundAfter204('an openid, without the sub_openid asked'),
      expect: ['failed', 502, [1, 1]],
    },
  ),
  shaped(
    'sub-openid-unbound-query-sub-appid',
    SUB_OPENID,
    [badSignature, answerSays({ sub_appid: OTHER.appid })],
    {
      fault: unboundAfter204('another sub_appid'),
      expect: ['failed', 502, [1, 1]],
    },
  ),

  // ---- direct mode
  shaped('direct-openid-terminated', DIRECT_OPENID, [], {
    fault: 'none',
    expect: ['terminated', 200, [1, 0]],
    notes: '`POST /v3/payscore/permissions/openid/{openid}/terminate`',
  }),
  shaped('direct-openid-bad-signature', DIRECT_OPENID, [badSignature], {
    fault: UNSIGNED_204,
    expect: ['terminated', 200, [1, 1]],
    notes: 'settled by `GET /v3/payscore/permissions/openid/{openid}`',
  }),
  shaped('direct-openid-unfinished-orders', DIRECT_OPENID, [refusal], {
    fault: ORDERS,
    expect: ['rejected', 422, [1, 1]],
  }),
  shaped(
    'direct-openid-of-another-app',
    DIRECT_OPENID,
    [],
    { fault: 'the user is known under another appid only', expect: ['rejected', 422, [1, 0]], notes: '404' },
    anotherAppsUser,
  ),
  shaped(
    'direct-openid-unbound-query-appid',
    DIRECT_OPENID,
    [badSignature, answerSays({ appid: OTHER.appid })],
    {
      fault: unboundAfter204('another appid'),
      expect: ['failed', 502, [1, 1]],
    },
  ),
  shaped(
    'direct-openid-unbound-query-code-only',
    DIRECT_OPENID,
    [badSignature, answerSays({ openid: undefined, authorization_code: 'SomebodyElsesCode01' })],
    {
      fault: unboundAfter204('an authorization_code, without the openid asked'),
      expect: ['failed', 502, [1, 1]],
    },
  ),
  shaped(
    'direct-openid-unbound-query-mchid',
    DIRECT_OPENID,
    [badSignature, answerSays({ mchid: OTHER.mchid })],
    {
      fault: unboundAfter204('another merchant'),
      expect: ['failed', 502, [1, 1]],
      notes: 'mchid, when the answer has one, must be the merchant that asked',
    },
  ),
  shaped('magic-direct-openid-SIM_TERMINATED', { ...DIRECT_OPENID, prefix: 'SIM_TERMINATED' }, [], {
    fault: 'authorization already terminated',
    expect: ['already_terminated', 200, [1, 1]],
  }),
  shaped('direct-code-bad-signature', DIRECT_CODE, [badSignature], {
    fault: UNSIGNED_204,
    expect: ['terminated', 200, [1, 1]],
    notes: 'settled by `GET /v3/payscore/permissions/authorization-code/{code}`',
  }),
  shaped(
    'direct-code-unbound-query-code',
    DIRECT_CODE,
    [badSignature, answerSays({ authorization_code: 'other_0001' })],
    {
      fault: unboundAfter204('another code'),
      expect: ['failed', 502, [1, 1]],
    },
  ),

  // ---- a code given with an appid: WeChat's path by code carries none, but every answer names one
  shaped('code-with-another-appid', { appid: OTHER.appid }, [], {
    fault: 'none; the input gives a code and an appid the code is not under',
    expect: ['terminated', 200, [1, 0]],
    notes: 'the appid is not sent: the verified 204 decides',
  }),
  shaped('code-with-another-appid-bad-signature', { appid: OTHER.appid }, [badSignature], {
    fault: `${UNSIGNED_204}; the input gives a code and an appid the code is not under`,
    expect: ['terminated', 200, [1, 1]],
    notes:
      'the appid was not asked (a query by code carries none), so the answer is not held to it: the same outcome as without the bad signature',
  }),
]
