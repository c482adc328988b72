/**
 * Programmatic fault rules and magic prefixes, resolved to the one fault a request gets. Both match
 * the name the request gives the authorization (its code, openid or sub_openid), not the record: a
 * rule for a code does not hit a request naming the same authorization by its openid.
 */
import { magicCodeFor } from './magic-codes.ts'
import { errorReply, notFoundReply } from './replies.ts'
import type { Endpoint, Fault, FaultRule, Reply } from './types.ts'

/** Faults that replace the answer with an error; the request is not processed. */
const ERROR_FAULTS: Partial<Record<Fault, [status: number, code: string, message: string]>> = {
  rate_limited: [429, 'FREQUENCY_LIMITED', '频率超限'],
  server_error: [500, 'SYSTEM_ERROR', '系统错误'],
  unavailable: [503, 'SYSTEM_ERROR', '系统繁忙，请稍后重试'],
  unfinished_orders: [400, 'INVALID_REQUEST', '存在未完成订单'],
  no_auth: [403, 'NO_AUTH', '商户无权限'],
  sign_error: [401, 'SIGN_ERROR', '签名错误'],
}

export function faultReply(fault: Fault): Reply | undefined {
  if (fault === 'order_not_exist') return notFoundReply()
  const answer = ERROR_FAULTS[fault]
  return answer && errorReply(...answer)
}

interface ActiveRule {
  fault: Fault
  endpoint: Endpoint | 'any'
  reference: string | undefined
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
  take(endpoint: Endpoint, reference: string): TakenFault | undefined
}

export function createFaultBook(): FaultBook {
  let rules: ActiveRule[] = []
  // Magic prefixes count per name, so `SIM_FLAKY2_a` and `SIM_FLAKY2_b` each fail twice.
  const magicUses = new Map<string, number>()

  function takeRule(endpoint: Endpoint, reference: string) {
    const rule = rules.find(
      (candidate) =>
        (candidate.endpoint === 'any' || candidate.endpoint === endpoint) &&
        (candidate.reference === undefined || candidate.reference === reference),
    )
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining <= 0) rules = rules.filter((candidate) => candidate !== rule)
    return { fault: rule.fault, patch: rule.patch }
  }

  function takeMagic(endpoint: Endpoint, reference: string) {
    const magic = magicCodeFor(reference)
    if (!magic || (magic.endpoint !== 'any' && magic.endpoint !== endpoint)) return undefined
    const used = magicUses.get(reference) ?? 0
    if (magic.times !== undefined && used >= magic.times) return undefined
    magicUses.set(reference, used + 1)
    return { fault: magic.fault }
  }

  return {
    inject(rule) {
      const { times } = rule
      if (rule.code !== undefined && rule.reference !== undefined && rule.code !== rule.reference) {
        throw new TypeError('FaultRule.code is the older name of FaultRule.reference: give one of them')
      }
      if (times !== undefined && !(Number.isInteger(times) && times > 0)) {
        throw new RangeError(`FaultRule.times must be a positive integer, got ${times}`)
      }
      rules.push({
        fault: rule.fault,
        endpoint: rule.endpoint ?? 'terminate',
        reference: rule.reference ?? rule.code,
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
    take: (endpoint, reference) => takeRule(endpoint, reference) ?? takeMagic(endpoint, reference),
  }
}
