import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import type { HeaderSource } from '../wechatpay/verifier.ts'
import { HEADERS } from './http.ts'

/** WeChat's notifications are under 2 KiB; larger bodies are refused before anything is read. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024

/**
 * The answers WeChat reads (payscore-permissions.md, section 2): 204 once the event is published;
 * otherwise 4xx/5xx with `{"code": "FAIL", "message": ...}`, and WeChat sends it again on its
 * schedule. The messages say what kind of failure, never what the notification held.
 */
export const NOTIFICATION_ANSWERS = {
  published: { statusCode: 204 },
  unauthenticated: fail(401, 'notification not verified'),
  malformed: fail(400, 'malformed notification'),
  tooLarge: fail(413, `the notification must be at most ${MAX_NOTIFICATION_BYTES} bytes`),
  notPublished: fail(500, 'the notification could not be passed on; send it again'),
  internal: fail(500, 'internal error; send it again'),
} as const satisfies Record<string, APIGatewayProxyStructuredResultV2>

function fail(statusCode: number, message: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: HEADERS,
    body: JSON.stringify({ code: 'FAIL', message }),
  }
}

/**
 * The request's headers by WeChat's spelling: API Gateway (payload 2.0) gives them lower-cased, and
 * a repeated header joined with commas, which the verifier refuses as malformed.
 */
export function notificationHeaders(event: APIGatewayProxyEventV2): HeaderSource {
  return { get: (name) => event.headers?.[name.toLowerCase()] ?? null }
}
