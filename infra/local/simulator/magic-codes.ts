/**
 * Names that trigger faults in the sandbox (`npm start`), where nobody can call inject(). A request
 * whose authorization code, openid or sub_openid starts with a prefix triggers it (the prefixes fit
 * both charsets), so `SIM_429_abc` behaves like `SIM_429` with a fresh authorization; the longest
 * matching prefix wins (`SIM_BADSIG_ALL` over `SIM_BADSIG`). Faults hit the terminate endpoint only,
 * so a verified query can settle what really happened.
 */
import type { AuthorizationState, Endpoint, Fault } from './types.ts'

export interface MagicCode {
  fault: Fault
  endpoint: Endpoint | 'any'
  description: string
  /** how many requests per name get the fault before it behaves normally; default: all */
  times?: number
}

export const MAGIC_CODES = {
  SIM_429: { fault: 'rate_limited', endpoint: 'terminate', description: '429 FREQUENCY_LIMITED' },
  SIM_500: { fault: 'server_error', endpoint: 'terminate', description: '500 SYSTEM_ERROR' },
  SIM_503: { fault: 'unavailable', endpoint: 'terminate', description: '503 SYSTEM_ERROR' },
  SIM_FLAKY2: {
    fault: 'server_error',
    endpoint: 'terminate',
    times: 2,
    description: 'two 500 SYSTEM_ERROR answers for this code, then normal processing',
  },
  SIM_SLOW: {
    fault: 'slow',
    endpoint: 'terminate',
    // Once per code, as a real slow answer would be: a later try meets the authorization already
    // terminated (already_terminated) instead of timing out again.
    times: 1,
    description:
      'waits slowDelayMs (default 10 s), then terminates and answers 204 (even if the client left)',
  },
  SIM_RESET: {
    fault: 'reset',
    endpoint: 'terminate',
    description: 'drops the connection, nothing processed',
  },
  SIM_UNSIGNED: {
    fault: 'unsigned',
    endpoint: 'terminate',
    description: 'terminates, answers without Wechatpay-* signature headers',
  },
  SIM_BADSIG: {
    fault: 'bad_signature',
    endpoint: 'terminate',
    description: 'terminates, answers with a signature that does not verify',
  },
  SIM_BADSIG_ALL: {
    fault: 'bad_signature',
    endpoint: 'any',
    description: 'terminate AND query answer with signatures that never verify',
  },
  SIM_SIGNTEST: {
    fault: 'signtest',
    endpoint: 'terminate',
    description: 'terminates, answers with a WECHATPAY/SIGNTEST/ probe signature',
  },
  SIM_SKEW: {
    fault: 'skewed_timestamp',
    endpoint: 'terminate',
    description: 'terminates, answer signed with a timestamp 10 minutes old',
  },
  SIM_SERIAL: {
    fault: 'unknown_serial',
    endpoint: 'terminate',
    description: 'terminates, answer signed with the right key but an unknown Wechatpay-Serial',
  },
  SIM_ORDERS: {
    fault: 'unfinished_orders',
    endpoint: 'terminate',
    description: '400 INVALID_REQUEST 存在未完成订单 (user has unfinished Pay Score orders)',
  },
  SIM_NOTEXIST: { fault: 'order_not_exist', endpoint: 'terminate', description: '404 ORDER_NOT_EXIST' },
  SIM_NOAUTH: { fault: 'no_auth', endpoint: 'terminate', description: '403 NO_AUTH' },
  SIM_SIGNERR: { fault: 'sign_error', endpoint: 'terminate', description: '401 SIGN_ERROR' },
} as const satisfies Record<string, MagicCode>

/**
 * Names whose authorization starts in a state other than AVAILABLE (never bound, already ended).
 * An openid or sub_openid starting with SIM_UNBOUND names a never-bound authorization, which a
 * lookup by user cannot find: 404 ORDER_NOT_EXIST (see authorizations.ts).
 */
export const MAGIC_STATES = {
  SIM_UNBOUND: 'UNBINDUSER',
  SIM_TERMINATED: 'UNAVAILABLE',
} as const satisfies Record<string, AuthorizationState>

function longestPrefix<T>(name: string, table: Record<string, T>): T | undefined {
  const prefixes = Object.keys(table).filter((prefix) => name.startsWith(prefix))
  const longest = prefixes.sort((a, b) => b.length - a.length)[0]
  return longest === undefined ? undefined : table[longest]
}

export function magicCodeFor(name: string): MagicCode | undefined {
  return longestPrefix<MagicCode>(name, MAGIC_CODES)
}

export function initialStateFor(name: string): AuthorizationState {
  return longestPrefix<AuthorizationState>(name, MAGIC_STATES) ?? 'AVAILABLE'
}
