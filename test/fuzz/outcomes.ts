/**
 * What a valid input comes to against the simulator under the fuzz configuration
 * (WECHATPAY_MAX_ATTEMPTS=1): the magic prefixes on codes and openids alike (names never used
 * before), and for plain names what the simulator already holds. A user's id means something only
 * under the appid (and sub_appid) it was first named with: asked under another, WeChat (the
 * simulator) does not know it. The ledger learns that from the requests the simulator received.
 */
import type {
  AuthorizationState,
  OutcomeKind,
  QueryResultKind,
} from '../../functions/authorizations/outcome.ts'
import { identificationOf } from './oracle.ts'
import { keyOf, type Sent } from './support.ts'

/** Each magic prefix's terminate outcome. SIM_SLOW is left out (it waits on purpose). */
export const MAGIC_OUTCOMES = {
  SIM_429: 'retryable',
  SIM_500: 'retryable',
  SIM_503: 'retryable',
  SIM_FLAKY2: 'retryable',
  SIM_RESET: 'retryable',
  SIM_UNSIGNED: 'terminated',
  SIM_BADSIG: 'terminated',
  SIM_BADSIG_ALL: 'failed',
  SIM_SIGNTEST: 'terminated',
  SIM_SKEW: 'terminated',
  SIM_SERIAL: 'terminated',
  SIM_ORDERS: 'rejected',
  SIM_NOTEXIST: 'rejected',
  SIM_NOAUTH: 'failed',
  SIM_SIGNERR: 'failed',
  // By code: terminate refused, the query shows UNBINDUSER. By user: never bound, so not found.
  SIM_UNBOUND: 'rejected',
  SIM_TERMINATED: 'already_terminated',
} as const satisfies Record<string, OutcomeKind>

export type MagicPrefix = keyof typeof MAGIC_OUTCOMES
export const MAGIC_PREFIXES = Object.keys(MAGIC_OUTCOMES) as MagicPrefix[]

/** The magic prefix a name starts with (longest wins, as in the simulator), if any. */
export function magicOf(name: string): MagicPrefix | undefined {
  return MAGIC_PREFIXES.filter((prefix) => name.startsWith(prefix)).sort((a, b) => b.length - a.length)[0]
}

const DONE: readonly OutcomeKind[] = ['terminated', 'already_terminated']
const ANY_OUTCOME: readonly OutcomeKind[] = [...DONE, 'rejected', 'failed', 'retryable']

type Apps = { appid: string | undefined; sub_appid: string | undefined }
const appsOf = (input: Record<string, unknown>): Apps => ({
  appid: (input.appid ?? undefined) as string | undefined,
  sub_appid: (input.sub_appid ?? undefined) as string | undefined,
})
/** The simulator's rule: the same appid, and the same sub_appid when the request gives one. */
const fits = (record: Apps, asked: Apps) =>
  record.appid === asked.appid && (asked.sub_appid === undefined || asked.sub_appid === record.sub_appid)

/**
 * A code may come with any appid: WeChat's path by code carries none, so the answer is not held to
 * it (reference.ts, bindingProblem: an answer is held to what the request asked). The outcome is the
 * code's, whatever appid the input names (test/faults/shapes.ts, rows code-with-another-appid).
 */
/** A plain name: no magic prefix, nor anything that might be one. */
const isPlain = (name: string) => !name.startsWith('SIM_')

export type Ledger = ReturnType<typeof createLedger>

export function createLedger() {
  const apps = new Map<string, Apps>()
  /**
   * 'new': nothing named this user yet; 'found' / 'other': the simulator's record fits the input or
   * not; 'contested': new, and others in the same batch name it under other app ids (any may be first).
   */
  function find(input: Record<string, unknown>, batch: readonly Record<string, unknown>[] = []) {
    const key = keyOf(identificationOf(input))
    const record = apps.get(key)
    if (record) return fits(record, appsOf(input)) ? 'found' : 'other'
    const asked = JSON.stringify(appsOf(input))
    const rivals = batch.filter(
      (other) => keyOf(identificationOf(other)) === key && JSON.stringify(appsOf(other)) !== asked,
    )
    return rivals.length > 0 ? 'contested' : 'new'
  }
  return {
    find,
    /** The first request naming a plain user fixes its app ids (requests in arrival order). */
    learn(sent: readonly Sent[]) {
      for (const request of sent) {
        const key = keyOf(request)
        if (request.by === 'authorization_code' || !isPlain(request.name) || apps.has(key)) continue
        apps.set(key, { appid: request.appid, sub_appid: request.sub_appid })
      }
    },
    /** Outcomes a valid terminate input may end with. */
    outcomes(
      input: Record<string, unknown>,
      batch?: readonly Record<string, unknown>[],
    ): readonly OutcomeKind[] {
      return outcomesOf(input, batch)
    },
    /** What a valid query input may come to: results, and the states a `found` may show. */
    query(input: Record<string, unknown>): {
      results: readonly QueryResultKind[]
      states: readonly AuthorizationState[]
    } {
      return queryOf(input)
    },
  }

  function outcomesOf(
    input: Record<string, unknown>,
    batch?: readonly Record<string, unknown>[],
  ): readonly OutcomeKind[] {
    const { by, name } = identificationOf(input)
    const magic = magicOf(name)
    if (magic) return [MAGIC_OUTCOMES[magic]]
    if (!isPlain(name)) return ANY_OUTCOME
    if (by === 'authorization_code') return DONE
    const found = find(input, batch)
    if (found === 'other') return ['rejected']
    return found === 'contested' ? [...DONE, 'rejected'] : DONE
  }

  function queryOf(input: Record<string, unknown>): {
    results: readonly QueryResultKind[]
    states: readonly AuthorizationState[]
  } {
    const { by, name } = identificationOf(input)
    const found = (...states: AuthorizationState[]) => ({ results: ['found'] as const, states })
    const notFound = { results: ['not_found'] as const, states: [] }
    // Magic faults hit the terminate endpoint only, except SIM_BADSIG_ALL.
    switch (magicOf(name)) {
      case 'SIM_BADSIG_ALL':
        return { results: ['failed'], states: [] }
      case 'SIM_UNBOUND':
        return by === 'authorization_code' ? found('UNBINDUSER') : notFound
      case 'SIM_TERMINATED':
        return found('UNAVAILABLE')
      case undefined:
        break
      default:
        return found('AVAILABLE')
    }
    if (!isPlain(name)) {
      const states: AuthorizationState[] = ['AVAILABLE', 'UNAVAILABLE', 'UNBINDUSER']
      return { results: ['found', 'not_found', 'failed', 'retryable'], states }
    }
    if (by !== 'authorization_code' && find(input) === 'other') return notFound
    return found('AVAILABLE', 'UNAVAILABLE')
  }
}
