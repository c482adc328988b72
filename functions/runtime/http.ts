import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { OutcomeKind, QueryResultKind } from '../authorizations/outcome.ts'
import { InvalidRequestError } from '../authorizations/request.ts'
import type { QueryResult, Termination } from './service.ts'

/** The HTTP contract (README, "HTTP API"): one status per outcome, the outcome JSON as the body. */
export const STATUS_BY_OUTCOME: Record<OutcomeKind, number> = {
  terminated: 200,
  already_terminated: 200,
  rejected: 422,
  failed: 502,
  retryable: 503,
}

/** The query routes: the state, 404 when WeChat does not know the authorization, 502 / 503 as for terminate. */
export const STATUS_BY_QUERY_RESULT: Record<QueryResultKind, number> = {
  found: 200,
  not_found: 404,
  failed: 502,
  retryable: 503,
}

/** Seconds a caller should wait before trying a retryable call again. */
export const RETRY_AFTER_SECONDS = 5

/**
 * Larger bodies cannot be valid input (a few short fields): refused with 413 before parsing. The
 * limit applies to the bytes the client sent, base64 decoded (API Gateway HTTP APIs allow 10 MB).
 */
export const MAX_BODY_BYTES = 16 * 1024

const tooLarge = (limitBytes: number) => `the request body must be at most ${limitBytes} bytes`

/** A body over its route's limit: invalid input (counted and caught as such) that answers 413. */
export class PayloadTooLargeError extends InvalidRequestError {
  readonly limitBytes: number

  constructor(limitBytes: number) {
    super([{ path: '', message: tooLarge(limitBytes) }])
    this.limitBytes = limitBytes
  }
}

/** Every JSON answer of ours, on every route: never cached by a proxy. */
export const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' }

/** The JSON body as an object; API Gateway may deliver it base64-encoded. */
export function readJsonBody(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const text = readBodyText(event, MAX_BODY_BYTES)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be a JSON object' }])
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be a JSON object' }])
  }
  return body as Record<string, unknown>
}

/**
 * The input of a route: its JSON body or its query string, plus the path's authorization code on the
 * routes that have one. The path names the authorization there: a code elsewhere never overrides
 * it, and an openid beside it is two identifications (invalid input).
 */
export function readHttpInput(
  event: APIGatewayProxyEventV2,
  route: { from: 'body' | 'query'; codeInPath: boolean },
): Record<string, unknown> {
  const input = route.from === 'body' ? readJsonBody(event) : readQueryString(event)
  if (!route.codeInPath) return input
  // API Gateway does not call a path route without its parameter; if it ever did, the empty code is
  // refused by its rule beside whatever else the input gets wrong.
  return { ...input, authorization_code: event.pathParameters?.authorization_code ?? '' }
}

/** The query string's fields; a field given twice is refused rather than guessed. */
export function readQueryString(event: APIGatewayProxyEventV2): Record<string, string> {
  const params = new URLSearchParams(event.rawQueryString ?? '')
  // A Map: a parameter named `constructor` or `__proto__` is just a name (and ignored later).
  const fields = new Map<string, string>()
  const repeated = new Set<string>()
  for (const [name, value] of params) {
    if (fields.has(name)) repeated.add(name)
    fields.set(name, value)
  }
  if (repeated.size > 0) {
    throw new InvalidRequestError(
      [...repeated].map((name) => ({ path: name, message: `${name} must be given once` })),
    )
  }
  return Object.fromEntries(fields)
}

const BOM = '\ufeff'

/** The text without one leading byte order mark: the JSON its sender meant (see readBodyText). */
export const withoutBom = (text: string) => (text.startsWith(BOM) ? text.slice(BOM.length) : text)

/**
 * The body's text, the same whichever way API Gateway carried the same bytes. The limit applies to
 * the bytes the client sent (decoded from base64 first, before any UTF-8 decoding). One leading byte
 * order mark is dropped in both forms: RFC 8259 lets a parser ignore it, TextDecoder and fetch drop
 * it, and whoever saved the JSON with one (Windows editors, PowerShell 5) means the JSON, while
 * JSON.parse would refuse it.
 */
export function readBodyText(event: APIGatewayProxyEventV2, limitBytes: number): string {
  return withoutBom(readRawBody(event, limitBytes))
}

/**
 * The body's text exactly as the client sent it, decoded from base64 when API Gateway says so, and
 * no longer than `limitBytes` bytes (PayloadTooLargeError): what a signature over the body covers.
 */
export function readRawBody(event: APIGatewayProxyEventV2, limitBytes: number): string {
  const raw = event.body ?? ''
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined
  if ((bytes?.length ?? Buffer.byteLength(raw)) > limitBytes) throw new PayloadTooLargeError(limitBytes)
  return bytes ? decodeUtf8(bytes) : raw
}

export function terminationResponse({ outcome, fault }: Termination): APIGatewayProxyStructuredResultV2 {
  if (fault) return INTERNAL_ERROR
  return json(STATUS_BY_OUTCOME[outcome.outcome], outcome)
}

export function queryResponse(result: QueryResult): APIGatewayProxyStructuredResultV2 {
  if (result.result === 'found') return json(200, result.state)
  if ('fault' in result && result.fault) return INTERNAL_ERROR
  const status = STATUS_BY_QUERY_RESULT[result.result]
  const error =
    result.result === 'not_found'
      ? { code: 'NOT_FOUND', message: 'WeChat Pay does not know this authorization' }
      : {
          code: result.result === 'retryable' ? 'WECHATPAY_UNAVAILABLE' : 'WECHATPAY_FAILED',
          message:
            result.result === 'retryable'
              ? 'WeChat Pay could not answer now; try again later'
              : 'WeChat Pay gave no usable answer',
        }
  return json(status, { error: { ...error, wechatpay: result.wechatpay } })
}

/** Input refused before anything was sent: 413 for a body over the limit, 400 otherwise. */
export function invalidRequestResponse(error: InvalidRequestError): APIGatewayProxyStructuredResultV2 {
  if (error instanceof PayloadTooLargeError) return payloadTooLargeResponse(error.limitBytes)
  return {
    statusCode: 400,
    headers: HEADERS,
    body: JSON.stringify({
      error: { code: 'INVALID_REQUEST', message: error.message, issues: error.issues },
    }),
  }
}

/** The 413 of every route, each with its own limit. */
export function payloadTooLargeResponse(limitBytes: number): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 413,
    headers: HEADERS,
    body: JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: tooLarge(limitBytes) } }),
  }
}

/** Our own faults: no detail leaves the function; the log has it. */
export const INTERNAL_ERROR: APIGatewayProxyStructuredResultV2 = {
  statusCode: 500,
  headers: HEADERS,
  body: JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'internal error' } }),
}

function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: status === 503 ? { ...HEADERS, 'retry-after': String(RETRY_AFTER_SECONDS) } : HEADERS,
    body: JSON.stringify(body),
  }
}

// The BOM is kept here so that readBodyText applies one rule to both forms.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A body in another encoding (GBK, Latin-1) would reach WeChat garbled: refuse it instead. */
function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be UTF-8 JSON' }])
  }
}
