import { CredentialsError } from '../merchant/errors.ts'
import { errorClass, WechatPayError } from '../wechatpay/errors.ts'
import { postForNoContent } from '../wechatpay/operations.ts'
import {
  credentialsFailure,
  dispositionOf,
  factsOf,
  type Outcome,
  type OutcomeKind,
  outcome,
  type WechatPayFacts,
} from './outcome.ts'
import { type AuthorizationContext, readState } from './query.ts'
import { terminateRequest } from './reference.ts'
import type { TerminateInput } from './request.ts'

export interface Termination {
  outcome: Outcome
  /** Set when our own configuration or secret is at fault and nothing was sent: HTTP answers 500. */
  fault?: 'configuration'
}

/**
 * Terminates one authorization, however it is named, and says exactly what happened. Never
 * `terminated` without a verified answer: a 204 that verifies, or a verified query about this
 * authorization showing it UNAVAILABLE.
 */
export async function terminateAuthorization(
  { ref, reason }: TerminateInput,
  context: AuthorizationContext,
): Promise<Termination> {
  const settle = (facts: WechatPayFacts, attempts: number, judge: Judgement) =>
    settleByQuery({ ref, reason }, context, facts, attempts, judge)
  try {
    const answer = await postForNoContent(context.wechatpay, terminateRequest(ref, reason), context)
    const facts = { status: answer.status, requestId: answer.requestId }
    return { outcome: outcome('terminated', ref, facts, answer.attempts) }
  } catch (error) {
    if (error instanceof CredentialsError) {
      const { kind, facts, attempts, fault } = credentialsFailure(error)
      return { outcome: outcome(kind, ref, facts, attempts), ...(fault ? { fault } : {}) }
    }
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'terminate')
    const attempts = error.attempts ?? 0
    const facts = factsOf(error)
    switch (errorClass(error.code)) {
      case 'refused': {
        const disposition = dispositionOf(error.status ?? 0, error.wechatCode)
        // A refusal of a resent request may be WeChat refusing what our own earlier one did.
        if (disposition === 'settle')
          return settle(facts, attempts, error.mayHaveActed ? AFTER_REFUSED_RESEND : AFTER_REFUSAL)
        // The last answer may pass later, but an earlier request of the call may have been acted on.
        if (disposition === 'retryable' && error.mayHaveActed) return settle(facts, attempts, AFTER_NO_ANSWER)
        return { outcome: outcome(disposition, ref, facts, attempts) }
      }
      case 'unverified':
        return settle(facts, attempts, AFTER_UNVERIFIED)
      case 'unanswered':
        // WeChat answered with a refusal whose body could not be read: a refusal all the same.
        if (isRefusal(error.status)) return settle(facts, attempts, AFTER_REFUSAL)
        if (error.mayHaveActed && attempts > 0) return settle(facts, attempts, AFTER_NO_ANSWER)
        return { outcome: outcome('retryable', ref, { ...facts, code: facts.code ?? error.code }, attempts) }
      case 'invalid':
        return { outcome: outcome('failed', ref, { ...facts, code: facts.code ?? error.code }, attempts) }
    }
  }
}

/** A 4xx other than 429: WeChat refused this request (429 only asks to wait). */
const isRefusal = (status: number | undefined) =>
  status !== undefined && status >= 400 && status < 500 && status !== 429

/** What the verified query's state means after a given terminate answer. */
interface Judgement {
  /** The authorization is UNAVAILABLE. */
  gone: OutcomeKind
  /** It is still AVAILABLE. */
  available: OutcomeKind
  /** The terminate answer was untrusted: an untrusted query too means our keys are wrong. */
  afterUnverified: boolean
}

/** A business refusal: already ended, or refused for a reason retrying now will not fix. */
const AFTER_REFUSAL: Judgement = { gone: 'already_terminated', available: 'rejected', afterUnverified: false }
/**
 * A business refusal of a resent request, after an earlier one got no answer (a reset connection):
 * "already terminated" is then likely our own earlier request's doing.
 */
const AFTER_REFUSED_RESEND: Judgement = { gone: 'terminated', available: 'rejected', afterUnverified: false }
/** A 2xx that could not be trusted: WeChat may have acted. */
const AFTER_UNVERIFIED: Judgement = { gone: 'terminated', available: 'retryable', afterUnverified: true }
/** Sent, and no answer we could read. */
const AFTER_NO_ANSWER: Judgement = { gone: 'terminated', available: 'retryable', afterUnverified: false }

/**
 * Asks the verified query what became of the authorization (see Judgement); never bound
 * (UNBINDUSER) is `rejected`: nothing was or can be terminated now, and the event stays unfinished
 * (a user may still bind it). A query that fails leaves it retryable, or `failed` when neither answer
 * could be trusted.
 */
async function settleByQuery(
  { ref }: TerminateInput,
  context: AuthorizationContext,
  facts: WechatPayFacts,
  attempts: number,
  { gone, available, afterUnverified }: Judgement,
): Promise<Termination> {
  try {
    const { view } = await readState(ref, context)
    const state = view.authorization_state
    const kind = state === 'UNAVAILABLE' ? gone : state === 'AVAILABLE' ? available : 'rejected'
    const requestId = facts.requestId ?? view.wechatpay.request_id ?? undefined
    return { outcome: outcome(kind, ref, { ...facts, requestId, authorizationState: state }, attempts) }
  } catch (error) {
    if (error instanceof CredentialsError) return { outcome: outcome('retryable', ref, facts, attempts) }
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'query')
    const neverVerifies = afterUnverified && errorClass(error.code) === 'unverified'
    return { outcome: outcome(neverVerifies ? 'failed' : 'retryable', ref, facts, attempts) }
  }
}
