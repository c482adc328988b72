import type { QueryResult } from '../authorizations/query.ts'

type Failed = Exclude<QueryResult, { result: 'found' }>

/** A query that found no state, by the name a Step Functions Catch or Retry matches. */
abstract class QueryError extends Error {
  readonly wechatpay: Failed['wechatpay']

  constructor(what: string, wechatpay: Failed['wechatpay']) {
    super(describe(what, wechatpay))
    this.wechatpay = wechatpay
  }
}

/** WeChat says the authorization does not exist (the HTTP API's 404). */
export class AuthorizationNotFoundError extends QueryError {
  override readonly name = 'AuthorizationNotFoundError'
}

/** No usable answer now; it may pass (the HTTP API's 503): worth a Step Functions Retry. */
export class QueryRetryableError extends QueryError {
  override readonly name = 'QueryRetryableError'
}

/** No usable answer, and retrying will not help (the HTTP API's 502 and 500): an operator's turn. */
export class QueryFailedError extends QueryError {
  override readonly name = 'QueryFailedError'
}

/** The error a query that found nothing throws from the invoke function. */
export function queryFailure(result: Failed): Error {
  const { wechatpay } = result
  if (result.result === 'not_found')
    return new AuthorizationNotFoundError('WeChat Pay does not know this authorization', wechatpay)
  if (result.result === 'retryable')
    return new QueryRetryableError('WeChat Pay could not answer the query now', wechatpay)
  if (result.fault === 'configuration') {
    return new QueryFailedError(
      "the merchant secret or the function's configuration is unusable (the function's log names the field); nothing was sent to WeChat Pay",
      wechatpay,
    )
  }
  return new QueryFailedError('the query gave no usable answer', wechatpay)
}

function describe(what: string, { status, code, request_id }: Failed['wechatpay']) {
  const facts = [status && `status ${status}`, code, request_id && `Request-ID ${request_id}`].filter(Boolean)
  return facts.length > 0 ? `${what} (${facts.join(', ')})` : what
}
