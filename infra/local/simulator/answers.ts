/** The query answer: the fields of WeChat's answer table for the mode and the name asked by. */
import type { AuthorizationRecord } from './authorizations.ts'
import type { OperationParams } from './params.ts'

const CHINA_STANDARD_TIME_MS = 8 * 3600 * 1000

/** RFC 3339 in China Standard Time, as WeChat writes times: `2015-05-20T13:29:35+08:00`. */
export function wechatTime(ms: number) {
  return `${new Date(ms + CHINA_STANDARD_TIME_MS).toISOString().slice(0, 19)}+08:00`
}

/**
 * `mchid` is the merchant that signed the request. service_id and sub_mchid echo the request (records
 * are not scoped by them). authorization_code is always given, though WeChat marks it optional when
 * asked by user: the `altered_answer` fault removes it for a test that needs the other case. The
 * sub-merchant fields exist in partner mode only; a never-bound authorization has no user and no
 * success time.
 */
export function queryAnswer(record: AuthorizationRecord, params: OperationParams, mchid: string) {
  const partner = params.mode === 'partner'
  const bound = record.state !== 'UNBINDUSER'
  // WeChat answers with one of openid / sub_openid: the one asked by, else the sub-merchant's if any.
  const subUser = partner && record.subOpenid !== undefined && params.reference.by !== 'openid'
  return {
    service_id: params.serviceId,
    appid: record.appid,
    mchid,
    ...(partner && { sub_mchid: params.subMchid }),
    ...(partner && record.subAppid !== undefined && { sub_appid: record.subAppid }),
    authorization_code: record.code,
    authorization_state: record.state,
    ...(bound && (subUser ? { sub_openid: record.subOpenid } : { openid: record.openid })),
    ...(bound && { authorization_success_time: wechatTime(record.authorizedAt) }),
    ...(record.cancelledAt !== undefined && { cancel_authorization_time: wechatTime(record.cancelledAt) }),
  }
}
