import type { CallOptions, WechatPayCaller } from './client.ts'
import { WechatPayError } from './errors.ts'

/** An APIv3 request: the path (no origin), and a JSON body or a query string. */
export interface ApiRequest {
  path: string
  body?: Record<string, string>
  query?: Record<string, string>
}

type Deadline = Pick<CallOptions, 'deadline'>

export interface NoContent {
  status: 204
  requestId: string | undefined
  attempts: number
}

export interface JsonAnswer {
  /** The verified answer's JSON object, not yet checked against what was asked. */
  answer: Record<string, unknown>
  status: number
  requestId: string | undefined
  attempts: number
  /** The merchant that asked (the answer's `mchid`, when present, must be it). */
  mchid: string
}

/** A POST WeChat answers with a verified 204 (terminate); any other verified answer is BAD_RESPONSE. */
export async function postForNoContent(
  client: WechatPayCaller,
  { path, body }: ApiRequest,
  { deadline }: Deadline,
): Promise<NoContent> {
  const response = await client.call('POST', path, { deadline, body: body ?? {} })
  if (response.status !== 204) {
    throw new WechatPayError('BAD_RESPONSE', `WeChat Pay answered ${response.status}, expected 204`, {
      status: response.status,
      requestId: response.requestId,
      attempts: response.attempts,
    })
  }
  return { status: 204, requestId: response.requestId, attempts: response.attempts }
}

/** A GET WeChat answers with a verified JSON object (query); anything else is BAD_RESPONSE. */
export async function getJson(
  client: WechatPayCaller,
  { path, query }: ApiRequest,
  { deadline }: Deadline,
): Promise<JsonAnswer> {
  const response = await client.call('GET', path, { deadline, ...(query ? { query } : {}) })
  const answer = parseObject(response.body)
  if (!answer) {
    throw new WechatPayError('BAD_RESPONSE', 'WeChat Pay answered with no JSON object', {
      status: response.status,
      requestId: response.requestId,
      attempts: response.attempts,
    })
  }
  const { status, requestId, attempts, mchid } = response
  return { answer, status, requestId, attempts, mchid }
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
