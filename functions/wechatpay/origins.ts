import { WechatPayError } from './errors.ts'

/** WeChat Pay's APIv3 access point. */
export const DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com'
/** WeChat's access point in another city, for connection failures (as the Java SDK does). */
export const DEFAULT_BACKUP_URL = 'https://api2.mch.weixin.qq.com'

/** Only an origin: the signed URL is the request's path, so a base URL with a path would be signed wrong. */
export function origin(url: string, name: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new WechatPayError('INVALID_CONFIG', `WeChat Pay ${name} is not a URL`, { cause })
  }
  if (
    !/^https?:$/.test(parsed.protocol) ||
    parsed.pathname !== '/' ||
    parsed.search ||
    parsed.hash ||
    parsed.username
  ) {
    throw new WechatPayError(
      'INVALID_CONFIG',
      `WeChat Pay ${name} must be an http(s) origin with no path, got ${url}`,
    )
  }
  return parsed.origin
}
