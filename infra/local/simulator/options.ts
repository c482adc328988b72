/** Fail-fast checks of the simulator's configuration, naming the field at fault. */
import type { KeyObject } from 'node:crypto'
import * as rules from './fields.ts'
import type { SimulatorOptions } from './types.ts'

/** The appid of WeChat's documentation samples. */
export const DEFAULT_APPID = 'wxd678efh567hg6787'

const PUBLIC_KEY_ID = /^PUB_KEY_ID_\d+$/
const UPPER_HEX = /^[0-9A-F]+$/

function requireKey(key: KeyObject, type: 'public' | 'private', field: string) {
  if (key?.type !== type || key.asymmetricKeyType !== 'rsa') {
    throw new TypeError(`${field} must be an RSA ${type} KeyObject`)
  }
}

export function checkOptions(options: SimulatorOptions) {
  const { merchants, wechatpayPublicKey, platformCertificate, appid } = options
  const appidIssue = appid === undefined ? undefined : rules.appid(appid)
  if (appidIssue) throw new TypeError(`appid ${appidIssue}, got ${appid}`)
  if (merchants.length === 0) throw new TypeError('merchants must list at least one merchant')
  merchants.forEach((merchant, index) => {
    requireKey(merchant.publicKey, 'public', `merchants[${index}].publicKey`)
  })
  if (!wechatpayPublicKey && !platformCertificate) {
    throw new TypeError('configure wechatpayPublicKey or platformCertificate (or both) to sign answers')
  }
  if (wechatpayPublicKey) {
    if (!PUBLIC_KEY_ID.test(wechatpayPublicKey.id)) {
      throw new TypeError(
        `wechatpayPublicKey.id must be PUB_KEY_ID_ followed by digits, got ${wechatpayPublicKey.id}`,
      )
    }
    requireKey(wechatpayPublicKey.privateKey, 'private', 'wechatpayPublicKey.privateKey')
  }
  if (platformCertificate) {
    if (!UPPER_HEX.test(platformCertificate.serialNo)) {
      throw new TypeError(
        `platformCertificate.serialNo must be upper-case hex, got ${platformCertificate.serialNo}`,
      )
    }
    requireKey(platformCertificate.privateKey, 'private', 'platformCertificate.privateKey')
  }
}
