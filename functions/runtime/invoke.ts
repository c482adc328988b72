import type { QueryResult } from '../authorizations/query.ts'

type Failed = Exclude<QueryResult, { result: 'found' }>

/** WeChat says the authorization does not exist (the HTTP API's 404). */
export class AuthorizationNotFoundError extends Error {
  override readonly name = 'AuthorizationNotFoundError'
  readonly wechatpay: Failed['wechatpay']

  constructor(wechatpay: Failed['wechatpay']) {
    super(`WeChat Pay does not know this authorization (${wechatpay.code ?? 'no code'})`)
    this.wechatpay = wechatpay
  }
}

/** No usable answer now; it may pass (the HTTP API's 503): worth a Step Functions Retry. */
export class QueryRetryableError extends Error {
  override readonly name = 'QueryRetryableError'
  readonly wechatpay: Failed['wechatpay']

  constructor(wechatpay: Failed['wechatpay']) {
    super(describe('WeChat Pay could not answer the query now', wechatpay))
    this.wechatpay = wechatpay
  }
}

/** No usable answer, and retrying will not help (the HTTP API's 502 and 500): an operator's turn. */
export class QueryFailedError extends Error {
  override readonly name = 'QueryFailedError'
  readonly wechatpay: Failed['wechatpay']

  constructor(wechatpay: Failed['wechatpay']) {
    super(describe('the query gave no usable answer', wechatpay))
    this.wechatpay = wechatpay
  }
}

/** The error a query that found nothing throws from the invoke function. */
export function queryFailure(result: Failed): Error {
  if (result.result === 'not_found') return new AuthorizationNotFoundError(result.wechatpay)
  if (result.result === 'retryable') return new QueryRetryableError(result.wechatpay)
  return new QueryFailedError(result.wechatpay)
}

function describe(what: string, { status, code, request_id }: Failed['wechatpay']) {
  const facts = [status && `status ${status}`, code, request_id && `Request-ID ${request_id}`].filter(Boolean)
  return facts.length > 0 ? `${what} (${facts.join(', ')})` : what
}
