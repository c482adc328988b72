import type { Reply } from './types.ts'

/** Where a rejected value came from, as WeChat's `detail.location` names it. */
export type Location = 'body' | 'query' | 'path' | 'header' | 'authorization'

export interface ErrorDetail {
  field: string
  value?: unknown
  issue: string
  location: Location
}

/** WeChat's error body: `{code, message, detail?}` (https://pay.weixin.qq.com/wiki/doc/apiv3/wechatpay/wechatpay2_0.shtml). */
export function errorReply(status: number, code: string, message: string, detail?: ErrorDetail): Reply {
  return { status, body: JSON.stringify(detail ? { code, message, detail } : { code, message }) }
}

export function jsonReply(status: number, value: object): Reply {
  return { status, body: JSON.stringify(value) }
}

export const NO_CONTENT: Reply = { status: 204, body: '' }

/** WeChat's answer for an authorization it does not have (also seen: RESOURCE_NOT_EXISTS). */
export function notFoundReply(): Reply {
  return errorReply(404, 'ORDER_NOT_EXIST', '授权记录不存在')
}

export function paramError(detail: ErrorDetail): Reply {
  return errorReply(400, 'PARAM_ERROR', `参数错误: ${detail.field} ${detail.issue}`, detail)
}

export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value
}
