import assert from 'node:assert/strict'
import type { RecordedRequest } from '../../infra/local/wechatpay-simulator.ts'

/**
 * One request WeChat Pay (the simulator) received, read from issue 9's table of WeChat requests,
 * independently of the simulator's own route table: what it names and what it carries.
 */
export interface SentRequest {
  mode: 'partner' | 'direct'
  endpoint: 'terminate' | 'query'
  /** How the request names the authorization, and the name (percent-decoded). */
  by: 'authorization_code' | 'openid' | 'sub_openid'
  name: string
  appid: string | undefined
  sub_appid: string | undefined
  /** The JSON body (terminate) or the query string's fields (query). */
  fields: Record<string, unknown>
}

const PATH = /^\/v3\/payscore(\/partner)?\/permissions\/(.+)$/
const BY_CODE = /^authorization-code\/([^/]+?)(\/terminate)?$/
const BY_OPENID_IN_PATH = /^openid\/([^/]+?)(\/terminate)?$/

/** What one request names; fails on a request none of the eight endpoints would serve. */
export function readSent(request: RecordedRequest): SentRequest {
  const [path = '', query = ''] = request.url.split('?')
  const match = PATH.exec(path)
  assert.ok(match, `unexpected request ${request.method} ${request.url}`)
  const mode = match[1] ? 'partner' : 'direct'
  const endpoint = request.method === 'POST' ? 'terminate' : 'query'
  const fields: Record<string, unknown> =
    endpoint === 'terminate' ? JSON.parse(request.body) : Object.fromEntries(new URLSearchParams(query))
  const rest = match[2]!
  const apps = {
    appid: fields.appid as string | undefined,
    sub_appid: fields.sub_appid as string | undefined,
    fields,
  }
  const inPath = BY_CODE.exec(rest) ?? (mode === 'direct' ? BY_OPENID_IN_PATH.exec(rest) : null)
  if (inPath) {
    assert.equal(Boolean(inPath[2]), endpoint === 'terminate', `${request.method} ${path}`)
    const by = rest.startsWith('openid/') ? 'openid' : 'authorization_code'
    return { mode, endpoint, by, name: decodeURIComponent(inPath[1]!), ...apps }
  }
  assert.equal(rest, endpoint === 'terminate' ? 'terminate' : 'search', `${request.method} ${path}`)
  assert.equal(mode, 'partner', `${request.method} ${path}`)
  const by = typeof fields.openid === 'string' ? 'openid' : 'sub_openid'
  assert.equal(typeof fields[by], 'string', `${request.method} ${path} names no user`)
  return { mode, endpoint, by, name: fields[by] as string, ...apps }
}
