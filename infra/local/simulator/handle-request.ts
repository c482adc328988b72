/**
 * What the simulator does with one request, in WeChat's order: required headers, signature, route,
 * parameters (path first), then (only for a request WeChat would accept) the fault, then the
 * business operation. The same for all eight routes. Returns a decision; the server module does the
 * I/O.
 */
import type { AuthorizationBook } from './authorizations.ts'
import { alteredReply, type FaultBook, faultReply } from './faults.ts'
import { checkParams, nameOf } from './params.ts'
import { errorReply, isReply } from './replies.ts'
import { authenticate, checkRequiredHeaders, type IncomingRequest } from './request-auth.ts'
import { matchRoute } from './routes.ts'
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

export function handleRequest(request: IncomingRequest, context: RequestContext): Decision {
  const rejection = checkRequiredHeaders(request.headers, request.body)
  if (rejection) return { kind: 'answer', reply: rejection }
  const merchant = authenticate(request, context.merchants, context.nowMs)
  if (isReply(merchant)) return { kind: 'answer', reply: merchant }

  const route = matchRoute(request.method, request.url)
  if (!route) {
    const message = `无此接口: ${request.method} ${request.url.split('?')[0]}`
    return { kind: 'answer', reply: errorReply(404, 'NOT_FOUND', message) }
  }
  const params = checkParams(route, request.body)
  if (isReply(params)) return { kind: 'answer', reply: params }
  // Deferred so that `slow` can run it later and `reset` never runs it.
  const book = context.authorizations
  const operation = () =>
    route.endpoint === 'terminate' ? book.terminate(params) : book.query(params, merchant.mchid)

  const taken = context.faults.take(route.endpoint, nameOf(params.reference))
  const fault = taken?.fault
  if (fault === 'reset') return { kind: 'reset' }
  if (fault === 'reset_after_processing') {
    operation()
    return { kind: 'reset' }
  }
  if (fault === 'slow') return { kind: 'slow', operation }
  const failure = fault && faultReply(fault)
  if (failure) return { kind: 'answer', reply: failure }
  if (fault === 'altered_answer') return { kind: 'answer', reply: alteredReply(operation(), taken?.patch) }
  return { kind: 'answer', reply: operation(), fault }
}
