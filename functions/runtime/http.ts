import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { OutcomeKind } from '../terminate/outcome.ts'
import { InvalidRequestError } from '../terminate/request.ts'
import type { Termination } from './service.ts'

/** The HTTP contract (README, "HTTP API"): one status per outcome, the outcome JSON as the body. */
export const STATUS_BY_OUTCOME: Record<OutcomeKind, number> = {
  terminated: 200,
  already_terminated: 200,
  rejected: 422,
  failed: 502,
  retryable: 503,
}

/** Seconds a caller should wait before trying a retryable termination again. */
export const RETRY_AFTER_SECONDS = 5

/** Larger bodies cannot be valid input (three short fields) and are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' }

/** The path's code plus the JSON body; API Gateway may deliver the body base64-encoded. */
export function readHttpInput(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? decodeBase64Utf8(raw) : raw
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new InvalidRequestError([
      { path: '', message: `the request body must be at most ${MAX_BODY_BYTES} bytes` },
    ])
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be a JSON object' }])
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be a JSON object' }])
  }
  // The path names the authorization; a code in the body never overrides it.
  return { ...body, authorization_code: event.pathParameters?.authorization_code }
}

export function terminationResponse({ outcome, fault }: Termination): APIGatewayProxyStructuredResultV2 {
  if (fault) return INTERNAL_ERROR
  const status = STATUS_BY_OUTCOME[outcome.outcome]
  return {
    statusCode: status,
    headers: status === 503 ? { ...HEADERS, 'retry-after': String(RETRY_AFTER_SECONDS) } : HEADERS,
    body: JSON.stringify(outcome),
  }
}

export function invalidRequestResponse(error: InvalidRequestError): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 400,
    headers: HEADERS,
    body: JSON.stringify({
      error: { code: 'INVALID_REQUEST', message: error.message, issues: error.issues },
    }),
  }
}

/** Our own faults: no detail leaves the function; the log has it. */
export const INTERNAL_ERROR: APIGatewayProxyStructuredResultV2 = {
  statusCode: 500,
  headers: HEADERS,
  body: JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'internal error' } }),
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A body in another encoding (GBK, Latin-1) would reach WeChat garbled: refuse it instead. */
function decodeBase64Utf8(raw: string): string {
  try {
    return utf8.decode(Buffer.from(raw, 'base64'))
  } catch {
    throw new InvalidRequestError([{ path: '', message: 'the request body must be UTF-8 JSON' }])
  }
}
