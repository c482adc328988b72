/**
 * The authorization book: what WeChat knows about each authorization code, and the two business
 * operations on it. States are kept per code only (not per service_id / sub_mchid): enough for a
 * single-service sandbox and for tests.
 */
import { createHash } from 'node:crypto'
import { initialStateFor } from './magic-codes.ts'
import type { QueryParams, TerminateParams } from './params.ts'
import { errorReply, jsonReply, NO_CONTENT } from './replies.ts'
import type { AuthorizationState, Reply } from './types.ts'

interface AuthorizationRecord {
  state: AuthorizationState
  authorizedAt: number
  cancelledAt: number | undefined
}

const CHINA_STANDARD_TIME_MS = 8 * 3600 * 1000

/** RFC 3339 in China Standard Time, as WeChat writes times: `2015-05-20T13:29:35+08:00`. */
export function wechatTime(ms: number) {
  return `${new Date(ms + CHINA_STANDARD_TIME_MS).toISOString().slice(0, 19)}+08:00`
}

/** A stable, openid-shaped value (28 characters, starting with `o`) per code. */
function openidFor(code: string) {
  return `o${createHash('sha256').update(code).digest('base64url').slice(0, 27)}`
}

export function createAuthorizationBook(clock: () => number) {
  const records = new Map<string, AuthorizationRecord>()

  function recordOf(code: string): AuthorizationRecord {
    let record = records.get(code)
    if (!record) {
      // A code never seen is an authorization granted just now (or a magic code's initial state).
      const now = clock()
      const state = initialStateFor(code)
      record = { state, authorizedAt: now, cancelledAt: state === 'UNAVAILABLE' ? now : undefined }
      records.set(code, record)
    }
    return record
  }

  function terminate(code: string, _params: TerminateParams): Reply {
    const record = recordOf(code)
    // WeChat does not document these two answers (UNCONFIRMED): the codes and messages are guesses,
    // which is why our client settles them with the query endpoint rather than by message text.
    if (record.state === 'UNAVAILABLE') return errorReply(400, 'INVALID_REQUEST', '用户已解除授权')
    if (record.state === 'UNBINDUSER') return errorReply(400, 'INVALID_REQUEST', '用户未授权该服务')
    record.state = 'UNAVAILABLE'
    record.cancelledAt = clock()
    return NO_CONTENT
  }

  function query(code: string, params: QueryParams): Reply {
    const record = recordOf(code)
    const bound = record.state !== 'UNBINDUSER'
    return jsonReply(200, {
      authorization_code: code,
      service_id: params.serviceId,
      sub_mchid: params.subMchid,
      authorization_state: record.state,
      ...(bound && { openid: openidFor(code), authorization_success_time: wechatTime(record.authorizedAt) }),
      ...(record.cancelledAt !== undefined && { cancel_authorization_time: wechatTime(record.cancelledAt) }),
    })
  }

  return {
    terminate,
    query,
    state: (code: string) => records.get(code)?.state,
    setState(code: string, state: AuthorizationState) {
      const record = recordOf(code)
      record.state = state
      record.cancelledAt = state === 'UNAVAILABLE' ? (record.cancelledAt ?? clock()) : undefined
    },
    reset: () => records.clear(),
  }
}

export type AuthorizationBook = ReturnType<typeof createAuthorizationBook>
