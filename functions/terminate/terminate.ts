import { CredentialsError } from '../merchant/errors.ts'
import type { WechatPayCaller } from '../wechatpay/client.ts'
import { errorClass, WechatPayError } from '../wechatpay/errors.ts'
import { type AuthorizationRef, queryByCode, terminateByCode } from '../wechatpay/operations.ts'
import { dispositionOf, type Outcome, type OutcomeKind, outcome, type WechatPayFacts } from './outcome.ts'
import type { TerminateInput } from './request.ts'

export interface TerminateContext {
  /** Epoch milliseconds by which every WeChat call must have ended. */
  deadline: number
  /** The merchant's client, following key rotation (functions/merchant/rotating-client.ts). */
  wechatpay: WechatPayCaller
  /** Told of every WeChat Pay error met on the way (verification failures, retries, refreshes), for logs and metrics. */
  observe?: (error: WechatPayError, during: 'terminate' | 'query') => void
}

export interface Termination {
  outcome: Outcome
  /** Set when our own configuration or secret is at fault and nothing was sent: HTTP answers 500. */
  fault?: 'configuration'
}

/**
 * Terminates one authorization and says exactly what happened. Never `terminated` without a verified
 * answer: a 204 that verifies, or a verified query about this authorization showing it UNAVAILABLE.
 */
export async function terminateAuthorization(
  input: TerminateInput,
  context: TerminateContext,
): Promise<Termination> {
  try {
    const answer = await terminateByCode(context.wechatpay, toRequest(input), context)
    return done(
      outcome('terminated', input, { status: answer.status, requestId: answer.requestId }, answer.attempts),
    )
  } catch (error) {
    if (error instanceof CredentialsError) return credentialsOutcome(input, error)
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'terminate')
    const attempts = error.attempts ?? 0
    const facts = factsOf(error)
    switch (errorClass(error.code)) {
      case 'refused': {
        const disposition = dispositionOf(error.status ?? 0, error.wechatCode)
        if (disposition !== 'settle') return done(outcome(disposition, input, facts, attempts))
        return settle(input, context, facts, attempts, 'already_terminated', 'rejected')
      }
      case 'unverified':
        return settle(input, context, facts, attempts, 'terminated', 'retryable', true)
      case 'unanswered':
        if (attempts > 0) return settle(input, context, facts, attempts, 'terminated', 'retryable')
        return done(outcome('retryable', input, { ...facts, code: facts.code ?? error.code }, attempts))
      case 'invalid':
        return done(outcome('failed', input, { ...facts, code: facts.code ?? error.code }, attempts))
    }
  }
}

/**
 * THE place where credential problems become outcomes. Nothing sent: a transient problem is
 * retryable, any other is our configuration (HTTP 500). After WeChat refused our signature and the
 * refresh failed: that refusal is reported, retryable when the refresh may yet pass.
 */
function credentialsOutcome(input: TerminateInput, error: CredentialsError): Termination {
  const kind = error.transient ? 'retryable' : 'failed'
  if (error.refused) {
    return done(outcome(kind, input, factsOf(error.refused), error.refused.attempts ?? 0))
  }
  const result = outcome(kind, input, {}, 0)
  return error.transient ? done(result) : { outcome: result, fault: 'configuration' }
}

const done = (result: Outcome): Termination => ({ outcome: result })

function factsOf(error: WechatPayError): WechatPayFacts {
  return {
    status: error.status,
    code: error.wechatCode,
    message: error.wechatMessage,
    requestId: error.requestId,
  }
}

/**
 * Asks the verified query what became of the authorization: `gone` when it is UNAVAILABLE,
 * `available` when it is still AVAILABLE, `rejected` when never bound (UNBINDUSER). A query that
 * fails leaves the event retryable, and one whose answers never verify after an unverified
 * terminate answer means our verification keys are wrong (`failed`).
 */
async function settle(
  input: TerminateInput,
  context: TerminateContext,
  facts: WechatPayFacts,
  attempts: number,
  gone: OutcomeKind,
  available: OutcomeKind,
  afterUnverified = false,
): Promise<Termination> {
  try {
    const { authorizationState, requestId } = await queryByCode(context.wechatpay, toRef(input), context)
    // UNBINDUSER: the user never bound this code, so nothing was or can be terminated now; the event
    // stays unfinished (a user may still bind it later) instead of being reported done.
    const kind =
      authorizationState === 'UNAVAILABLE'
        ? gone
        : authorizationState === 'AVAILABLE'
          ? available
          : 'rejected'
    return done(
      outcome(
        kind,
        input,
        { ...facts, requestId: facts.requestId ?? requestId, authorizationState },
        attempts,
      ),
    )
  } catch (error) {
    if (error instanceof CredentialsError) return done(outcome('retryable', input, facts, attempts))
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'query')
    const neverVerifies = afterUnverified && errorClass(error.code) === 'unverified'
    return done(outcome(neverVerifies ? 'failed' : 'retryable', input, facts, attempts))
  }
}

function toRef(input: TerminateInput): AuthorizationRef {
  return {
    authorizationCode: input.authorization_code,
    serviceId: input.service_id,
    subMchid: input.sub_mchid,
  }
}

function toRequest(input: TerminateInput) {
  return { ...toRef(input), reason: input.reason }
}
