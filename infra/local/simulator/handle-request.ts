/**
 * What the simulator does with one request, in WeChat's order: required headers, signature, route,
 * path code, parameters, then (only for a request WeChat would accept) the fault, then the business
 * operation. Returns a decision; the server module does the I/O.
 */
import type { AuthorizationBook } from './authorizations.ts'
import { alteredReply, type FaultBook, faultReply } from './faults.ts'
import {
  checkAuthorizationCode,
  checkQueryParams,
  checkTerminateBody,
  matchRoute,
  type Route,
} from './params.ts'
import { errorReply, isReply } from './replies.ts'
import { checkAuthorization, checkRequiredHeaders, type IncomingRequest } from './request-auth.ts'
import type { Fault, Reply, SimulatorMerchant } from './types.ts'

export type Decision =
  /** answer now; `fault` (if any) is a signature fault applied when signing */
  | { kind: 'answer'; reply: Reply; fault?: Fault }
  /** destroy the socket without answering */
  | { kind: 'reset' }
  /** wait, then run `operation` (it takes effect only then) and answer with its reply */
  | { kind: 'slow'; operation: () => Reply }

export interface RequestContext {
  merchants: readonly SimulatorMerchant[]
  nowMs: number
  authorizations: AuthorizationBook
  faults: FaultBook
}

/**
 * The business operation with its parameters checked, deferred so that `slow` can run it later and
 * `reset` never runs it; or the PARAM_ERROR reply.
 */
function checkedOperation(
  route: Route,
  body: Buffer,
  code: string,
  book: AuthorizationBook,
): (() => Reply) | Reply {
  if (route.endpoint === 'terminate') {
    const params = checkTerminateBody(body)
    return isReply(params) ? params : () => book.terminate(code, params)
  }
  const params = checkQueryParams(route.query)
  return isReply(params) ? params : () => book.query(code, params)
}

export function handleRequest(request: IncomingRequest, context: RequestContext): Decision {
  const rejection =
    checkRequiredHeaders(request.headers) ?? checkAuthorization(request, context.merchants, context.nowMs)
  if (rejection) return { kind: 'answer', reply: rejection }

  const route = matchRoute(request.method, request.url)
  if (!route) {
    const message = `无此接口: ${request.method} ${request.url.split('?')[0]}`
    return { kind: 'answer', reply: errorReply(404, 'NOT_FOUND', message) }
  }
  const code = checkAuthorizationCode(route.rawCode)
  if (isReply(code)) return { kind: 'answer', reply: code }
  const operation = checkedOperation(route, request.body, code, context.authorizations)
  if (isReply(operation)) return { kind: 'answer', reply: operation }

  const taken = context.faults.take(route.endpoint, code)
  const fault = taken?.fault
  if (fault === 'reset') return { kind: 'reset' }
  if (fault === 'slow') return { kind: 'slow', operation }
  const failure = fault && faultReply(fault)
  if (failure) return { kind: 'answer', reply: failure }
  if (fault === 'altered_answer') return { kind: 'answer', reply: alteredReply(operation(), taken?.patch) }
  return { kind: 'answer', reply: operation(), fault }
}
