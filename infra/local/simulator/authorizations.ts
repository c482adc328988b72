/**
 * The authorization book: what WeChat knows about each authorization, and the two business
 * operations on it. One record per authorization, found by its code, its openid or its sub_openid
 * (a code and its openid name the same authorization). A name never seen is an authorization granted
 * just now: a new code gets a derived openid, a new openid or sub_openid a derived code, so a client
 * can move between the names a query answer gives. A record seen first by sub_openid also gets a
 * derived openid; one seen by code or openid never gets a sub_openid (keeping it simple: a
 * sub_openid never seen is another authorization).
 *
 * Records are not scoped by service_id / sub_mchid: answers echo the request's, enough for a
 * single-service sandbox and for tests.
 */
import { createHash } from 'node:crypto'
import { queryAnswer } from './answers.ts'
import { initialStateFor } from './magic-codes.ts'
import type { OperationParams, Reference } from './params.ts'
import { errorReply, isReply, jsonReply, NO_CONTENT, notFoundReply } from './replies.ts'
import type { AuthorizationName, AuthorizationState, AuthorizationView, Reply } from './types.ts'

export interface AuthorizationRecord extends Omit<AuthorizationView, 'authorizationCode'> {
  code: string
  authorizedAt: number
  cancelledAt: number | undefined
}

interface Names {
  code: string
  openid: string
  appid: string
  subOpenid?: string
  subAppid?: string | undefined
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 27)
/** A stable, openid-shaped value (28 characters, starting with `o`) per code. */
const openidFor = (code: string) => `o${digest(code)}`
/** A stable code (28 characters of the code charset, starting with `C`) per openid or sub_openid. */
const codeFor = (user: string) => `C${digest(`code of ${user}`)}`

export function createAuthorizationBook(clock: () => number, defaultAppid: string) {
  const byCode = new Map<string, AuthorizationRecord>()
  const byOpenid = new Map<string, AuthorizationRecord>()
  const bySubOpenid = new Map<string, AuthorizationRecord>()

  /** The names of a new record; `magicName`, the one the request used, may pick its initial state. */
  function create(names: Names, magicName: string) {
    const now = clock()
    const state = initialStateFor(magicName)
    const cancelledAt = state === 'UNAVAILABLE' ? now : undefined
    const { subOpenid, subAppid } = names
    const record: AuthorizationRecord = {
      ...names,
      subOpenid,
      subAppid,
      state,
      authorizedAt: now,
      cancelledAt,
    }
    byCode.set(record.code, record)
    byOpenid.set(record.openid, record)
    if (record.subOpenid !== undefined) bySubOpenid.set(record.subOpenid, record)
    return record
  }

  function find(reference: Reference) {
    if (reference.by === 'code') return byCode.get(reference.code)
    return reference.by === 'openid' ? byOpenid.get(reference.openid) : bySubOpenid.get(reference.subOpenid)
  }

  function findOrCreate(reference: Reference): AuthorizationRecord {
    const known = find(reference)
    if (known) return known
    if (reference.by === 'code') {
      const { code } = reference
      return create({ code, openid: openidFor(code), appid: defaultAppid }, code)
    }
    const { appid, subAppid } = reference
    if (reference.by === 'openid') {
      const { openid } = reference
      return create({ code: codeFor(openid), openid, appid, subAppid }, openid)
    }
    const { subOpenid } = reference
    const code = codeFor(subOpenid)
    return create({ code, openid: openidFor(code), appid, subOpenid, subAppid }, subOpenid)
  }

  /**
   * A user's id means something only under its appid (and sub_appid when given), and only once the
   * user is bound: WeChat documents no answer for these cases, so the simulator answers as for any
   * authorization it does not have, 404 ORDER_NOT_EXIST. (The partner search answer always carries
   * authorization_success_time, which fits: a lookup by user finds bound authorizations only.)
   */
  function recordFor(reference: Reference): AuthorizationRecord | Reply {
    const record = findOrCreate(reference)
    if (reference.by === 'code') return record
    const sameApp = record.appid === reference.appid
    const sameSubApp = reference.subAppid === undefined || reference.subAppid === record.subAppid
    return sameApp && sameSubApp && record.state !== 'UNBINDUSER' ? record : notFoundReply()
  }

  function terminate(params: OperationParams): Reply {
    const record = recordFor(params.reference)
    if (isReply(record)) return record
    // WeChat does not document these two answers (UNCONFIRMED): the codes and messages are guesses,
    // which is why our client settles them with the query endpoint rather than by message text.
    if (record.state === 'UNAVAILABLE') return errorReply(400, 'INVALID_REQUEST', '用户已解除授权')
    if (record.state === 'UNBINDUSER') return errorReply(400, 'INVALID_REQUEST', '用户未授权该服务')
    record.state = 'UNAVAILABLE'
    record.cancelledAt = clock()
    return NO_CONTENT
  }

  function query(params: OperationParams, mchid: string): Reply {
    const record = recordFor(params.reference)
    return isReply(record) ? record : jsonReply(200, queryAnswer(record, params, mchid))
  }

  /** Codes first, then openids, then sub_openids. */
  const lookup = (name: string) => byCode.get(name) ?? byOpenid.get(name) ?? bySubOpenid.get(name)

  function referenceOf(name: AuthorizationName): Reference {
    if (typeof name === 'string') return { by: 'code', code: name }
    const appid = name.appid ?? defaultAppid
    if ('openid' in name) return { by: 'openid', openid: name.openid, appid, subAppid: name.subAppid }
    return { by: 'sub_openid', subOpenid: name.subOpenid, appid, subAppid: name.subAppid }
  }

  return {
    terminate,
    query,
    state: (name: string) => lookup(name)?.state,
    authorization(name: string): AuthorizationView | undefined {
      const record = lookup(name)
      if (!record) return undefined
      const { code, authorizedAt: _a, cancelledAt: _c, ...view } = record
      return { authorizationCode: code, ...view }
    },
    setState(name: AuthorizationName, state: AuthorizationState) {
      const record = (typeof name === 'string' && lookup(name)) || findOrCreate(referenceOf(name))
      record.state = state
      record.cancelledAt = state === 'UNAVAILABLE' ? (record.cancelledAt ?? clock()) : undefined
    },
    reset() {
      for (const index of [byCode, byOpenid, bySubOpenid]) index.clear()
    },
  }
}

export type AuthorizationBook = ReturnType<typeof createAuthorizationBook>
