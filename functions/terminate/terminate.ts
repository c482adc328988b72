import type { CredentialStore, Merchant } from '../merchant/credentials.ts'
import { CredentialsError } from '../merchant/errors.ts'
import type { WechatPayClient } from '../wechatpay/client.ts'
import { errorClass, WechatPayError } from '../wechatpay/errors.ts'
import { type AuthorizationRef, queryByCode, terminateByCode } from '../wechatpay/operations.ts'
import { dispositionOf, type Outcome, type OutcomeKind, outcome, type WechatPayFacts } from './outcome.ts'
import type { TerminateInput } from './request.ts'

export interface TerminateContext {
  /** Epoch milliseconds by which every WeChat call must have ended. */
  deadline: number
  merchants: CredentialStore<WechatPayClient>
  /** Told of every WeChat Pay error met on the way (verification failures, retries, refreshes), for logs and metrics. */
  observe?: (error: WechatPayError, during: 'terminate' | 'query') => void
}

/**
 * Terminates one authorization and says exactly what happened. Never `terminated` without a verified
 * answer: a 204 that verifies, or a verified query showing the authorization UNAVAILABLE.
 * Credential problems are thrown as CredentialsError (before anything is sent to WeChat).
 */
export async function terminateAuthorization(
  input: TerminateInput,
  context: TerminateContext,
): Promise<Outcome> {
  let merchant = await beforeDeadline(context.merchants.get(), context.deadline)
  let attempts = 0
  for (let refreshed = false; ; refreshed = true) {
    try {
      const answer = await terminateByCode(merchant.value, toRequest(input), context)
      return outcome(
        'terminated',
        input,
        { status: answer.status, requestId: answer.requestId },
        attempts + answer.attempts,
      )
    } catch (error) {
      if (!(error instanceof WechatPayError)) throw error
      context.observe?.(error, 'terminate')
      attempts += error.attempts ?? 0
      const facts: WechatPayFacts = {
        status: error.status,
        code: error.wechatCode,
        message: error.wechatMessage,
        requestId: error.requestId,
      }
      if (error.code === 'HTTP_ERROR' && error.status !== undefined) {
        const disposition = dispositionOf(error.status, error.wechatCode)
        if (disposition === 'refresh_credentials') {
          if (refreshed) return outcome('failed', input, facts, attempts)
          let fresh: Merchant<WechatPayClient> | undefined
          try {
            fresh = await rotatedMerchant(context.merchants, merchant, context.deadline)
          } catch (refreshError) {
            // A terminate was sent and refused: report it, whatever became of the refresh.
            if (!(refreshError instanceof CredentialsError)) throw refreshError
            return outcome(refreshError.transient ? 'retryable' : 'failed', input, facts, attempts)
          }
          if (!fresh) return outcome('failed', input, facts, attempts)
          merchant = fresh
          continue
        }
        if (disposition === 'settle')
          return settle(input, merchant, context, facts, attempts, 'already_terminated', 'rejected')
        return outcome(disposition, input, facts, attempts)
      }
      if (errorClass(error.code) === 'unverified') {
        return settle(input, merchant, context, facts, attempts, 'terminated', 'retryable', true)
      }
      if (errorClass(error.code) === 'unanswered' && attempts > 0) {
        return settle(input, merchant, context, facts, attempts, 'terminated', 'retryable')
      }
      return outcome(
        errorClass(error.code) === 'unanswered' ? 'retryable' : 'failed',
        input,
        { ...facts, code: facts.code ?? error.code },
        attempts,
      )
    }
  }
}

/** A refreshed merchant with another secret version, or undefined when the secret did not change. */
async function rotatedMerchant(
  merchants: CredentialStore<WechatPayClient>,
  stale: Merchant<WechatPayClient>,
  deadline: number,
) {
  const fresh = await beforeDeadline(merchants.refresh(stale), deadline)
  return fresh.version === stale.version ? undefined : fresh
}

/** Secrets Manager gets no more time than the invocation has: past the deadline it is a transient fault. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CredentialsError('SECRET_UNAVAILABLE', 'Secrets Manager did not answer before the deadline'),
        ),
      Math.max(0, deadline - Date.now()),
    )
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Asks the verified query what became of the authorization: `gone` when it is UNAVAILABLE,
 * `available` when it is still AVAILABLE, `rejected` when never bound (UNBINDUSER). A query that
 * fails leaves the event retryable, and one whose answers
 * never verify means our verification keys are wrong (`failed`).
 */
async function settle(
  input: TerminateInput,
  merchant: Merchant<WechatPayClient>,
  context: TerminateContext,
  facts: WechatPayFacts,
  attempts: number,
  gone: OutcomeKind,
  available: OutcomeKind,
  afterUnverified = false,
): Promise<Outcome> {
  try {
    const { authorizationState, requestId } = await queryByCode(merchant.value, toRef(input), context)
    // UNBINDUSER: the user never bound this code, so nothing was or can be terminated now; the event
    // stays unfinished (a user may still bind it later) instead of being reported done.
    const kind =
      authorizationState === 'UNAVAILABLE'
        ? gone
        : authorizationState === 'AVAILABLE'
          ? available
          : 'rejected'
    return outcome(
      kind,
      input,
      { ...facts, requestId: facts.requestId ?? requestId, authorizationState },
      attempts,
    )
  } catch (error) {
    if (!(error instanceof WechatPayError)) throw error
    context.observe?.(error, 'query')
    const neverVerifies = afterUnverified && errorClass(error.code) === 'unverified'
    return outcome(neverVerifies ? 'failed' : 'retryable', input, facts, attempts)
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
