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

/**
 * Larger bodies cannot be valid input (three short fields): refused with 413 before parsing. The
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

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' }

/** The path's code plus the JSON body; API Gateway may deliver the body base64-encoded. */
export function readHttpInput(event: APIGatewayProxyEventV2): Record<string, unknown> {
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
  // The path names the authorization; a code in the body never overrides it.
  return { ...body, authorization_code: event.pathParameters?.authorization_code }
}

const BOM = '\ufeff'

/**
 * The body's text, the same whichever way API Gateway carried the same bytes. The limit applies to
 * the bytes the client sent (decoded from base64 first, before any UTF-8 decoding). One leading byte
 * order mark is dropped in both forms: RFC 8259 lets a parser ignore it, TextDecoder and fetch drop
 * it, and whoever saved the JSON with one (Windows editors, PowerShell 5) means the JSON, while
 * JSON.parse would refuse it.
 */
export function readBodyText(event: APIGatewayProxyEventV2, limitBytes: number): string {
  const raw = event.body ?? ''
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined
  if ((bytes?.length ?? Buffer.byteLength(raw)) > limitBytes) throw new PayloadTooLargeError(limitBytes)
  const text = bytes ? decodeUtf8(bytes) : raw
  return text.startsWith(BOM) ? text.slice(BOM.length) : text
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
