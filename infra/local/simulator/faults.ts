/** Programmatic fault rules and magic codes, resolved to the one fault a request gets. */
import { magicCodeFor } from './magic-codes.ts'
import { errorReply } from './replies.ts'
import type { Endpoint, Fault, FaultRule, Reply } from './types.ts'

/** Faults that replace the answer with an error; the request is not processed. */
const ERROR_FAULTS: Partial<Record<Fault, [status: number, code: string, message: string]>> = {
  rate_limited: [429, 'FREQUENCY_LIMITED', '频率超限'],
  server_error: [500, 'SYSTEM_ERROR', '系统错误'],
  unavailable: [503, 'SYSTEM_ERROR', '系统繁忙，请稍后重试'],
  unfinished_orders: [400, 'INVALID_REQUEST', '存在未完成订单'],
  order_not_exist: [404, 'ORDER_NOT_EXIST', '授权记录不存在'],
  no_auth: [403, 'NO_AUTH', '商户无权限'],
  sign_error: [401, 'SIGN_ERROR', '签名错误'],
}

export function faultReply(fault: Fault): Reply | undefined {
  const answer = ERROR_FAULTS[fault]
  return answer && errorReply(...answer)
}

interface ActiveRule {
  fault: Fault
  endpoint: Endpoint | 'any'
  code: string | undefined
  remaining: number
  patch: Record<string, unknown> | undefined
}

/** The fault a request gets, with what 'altered_answer' changes. */
export interface TakenFault {
  fault: Fault
  patch?: Record<string, unknown> | undefined
}

/** A JSON answer with `patch` applied (undefined removes a field); other answers are left alone. */
export function alteredReply(reply: Reply, patch: Record<string, unknown> = {}): Reply {
  if (!reply.body) return reply
  const value = { ...(JSON.parse(reply.body) as Record<string, unknown>), ...patch }
  for (const [field, replacement] of Object.entries(patch)) if (replacement === undefined) delete value[field]
  return { status: reply.status, body: JSON.stringify(value) }
}

export interface FaultBook {
  inject(rule: FaultRule): void
  clear(): void
  reset(): void
  /** The fault for this request, if any; counts down `times` of whatever it used. */
  take(endpoint: Endpoint, code: string): TakenFault | undefined
}

export function createFaultBook(): FaultBook {
  let rules: ActiveRule[] = []
  // Magic codes count per code, so `SIM_FLAKY2_a` and `SIM_FLAKY2_b` each fail twice.
  const magicUses = new Map<string, number>()

  function takeRule(endpoint: Endpoint, code: string) {
    const rule = rules.find(
      (candidate) =>
        (candidate.endpoint === 'any' || candidate.endpoint === endpoint) &&
        (candidate.code === undefined || candidate.code === code),
    )
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) rules = rules.filter((candidate) => candidate !== rule)
    return { fault: rule.fault, patch: rule.patch }
  }

  function takeMagic(endpoint: Endpoint, code: string) {
    const magic = magicCodeFor(code)
    if (!magic || (magic.endpoint !== 'any' && magic.endpoint !== endpoint)) return undefined
    const used = magicUses.get(code) ?? 0
    if (magic.times !== undefined && used >= magic.times) return undefined
    magicUses.set(code, used + 1)
    return { fault: magic.fault }
  }

  return {
    inject(rule) {
      const { times } = rule
      if (times !== undefined && !(Number.isInteger(times) && times > 0)) {
        throw new RangeError(`FaultRule.times must be a positive integer, got ${times}`)
      }
      rules.push({
        fault: rule.fault,
        endpoint: rule.endpoint ?? 'terminate',
        code: rule.code,
        remaining: times ?? Number.POSITIVE_INFINITY,
        patch: rule.patch,
      })
    },
    clear() {
      rules = []
    },
    reset() {
      rules = []
      magicUses.clear()
    },
    // Injected rules win over magic codes: a test that injects means exactly that.
    take: (endpoint, code) => takeRule(endpoint, code) ?? takeMagic(endpoint, code),
  }
}
