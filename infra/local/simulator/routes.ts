/**
 * The eight Pay Score authorization endpoints, derived from mode x reference x endpoint, as listed
 * in WeChat's APIv3 documentation (partner chapter 6.2.x, merchant chapter 9.x; the team's summary
 * is section 1 of payscore-permissions.md in the shared reference).
 *
 * Older SDKs queried `GET /partner/permissions/openid/{openid}`; WeChat now documents `search`. The
 * simulator serves only the documented path, so a client still calling the old one is caught here.
 */
import type { Endpoint, Mode } from './types.ts'

/** How the path names the authorization: by its code, or by the user (openid or sub_openid). */
export type NamedBy = 'code' | 'openid'

/** Path parameters are written `{name}`; the name is the field a PARAM_ERROR reports. */
const PLACEHOLDER = /^\{(\w+)\}$/

export interface RouteSpec {
  mode: Mode
  by: NamedBy
  endpoint: Endpoint
  method: 'GET' | 'POST'
  path: string
}

function pathOf(mode: Mode, by: NamedBy, endpoint: Endpoint) {
  const root = mode === 'partner' ? '/v3/payscore/partner/permissions' : '/v3/payscore/permissions'
  const terminate = endpoint === 'terminate' ? '/terminate' : ''
  if (by === 'code') return `${root}/authorization-code/{authorization_code}${terminate}`
  // Partner mode names the user in the body or query (openid or sub_openid); direct in the path.
  if (mode === 'partner') return endpoint === 'terminate' ? `${root}/terminate` : `${root}/search`
  return `${root}/openid/{openid}${terminate}`
}

export const ROUTES: readonly RouteSpec[] = (['partner', 'direct'] as const).flatMap((mode) =>
  (['code', 'openid'] as const).flatMap((by) =>
    (['terminate', 'query'] as const).map((endpoint) => ({
      mode,
      by,
      endpoint,
      method: endpoint === 'terminate' ? ('POST' as const) : ('GET' as const),
      path: pathOf(mode, by, endpoint),
    })),
  ),
)

export interface Route extends RouteSpec {
  /** the path parameter, still percent-encoded as received, if the route has one */
  pathParam?: { name: string; raw: string }
  query: string
}

/**
 * Matches the raw request target segment by segment; `..` is never normalized, so it cannot reach
 * another route, and a parameter never spans a `/`. An empty parameter matches, to be refused by the
 * parameter checks as WeChat would (PARAM_ERROR rather than NOT_FOUND).
 */
export function matchRoute(method: string, url: string): Route | undefined {
  const queryStart = url.indexOf('?')
  const segments = (queryStart === -1 ? url : url.slice(0, queryStart)).split('/')
  const query = queryStart === -1 ? '' : url.slice(queryStart + 1)
  for (const spec of ROUTES) {
    const pattern = spec.path.split('/')
    if (spec.method !== method || pattern.length !== segments.length) continue
    let pathParam: Route['pathParam']
    const matches = pattern.every((part, index) => {
      const name = PLACEHOLDER.exec(part)?.[1]
      if (name) pathParam = { name, raw: segments[index]! }
      return name !== undefined || part === segments[index]
    })
    if (matches) return { ...spec, ...(pathParam && { pathParam }), query }
  }
  return undefined
}
