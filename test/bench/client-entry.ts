/**
 * Our WeChat Pay client alone, bundled like the handlers, for the like-for-like cold start beside
 * wechatpay-axios-plugin: keys given directly, no Secrets Manager, no Lambda layer.
 */

import { terminateRequest } from '../../functions/authorizations/reference.ts'
import { createClient } from '../../functions/wechatpay/client.ts'
import { postForNoContent } from '../../functions/wechatpay/operations.ts'
import { createSigner, loadPrivateKey } from '../../functions/wechatpay/signer.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'

export interface ClientOnlyOptions {
  baseUrl: string
  mchid: string
  serialNo: string
  privateKeyPem: string
  publicKeyId: string
  publicKeyPem: string
  code: string
  body: { service_id: string; sub_mchid: string; reason: string }
}

export async function terminateOnce(options: ClientOnlyOptions): Promise<number> {
  const client = createClient({
    signer: createSigner({
      mchid: options.mchid,
      serialNo: options.serialNo,
      privateKey: loadPrivateKey(options.privateKeyPem),
    }),
    verifier: createVerifier({ publicKey: { id: options.publicKeyId, key: options.publicKeyPem } }),
    baseUrl: options.baseUrl,
    backupUrl: null,
  })
  const { service_id, sub_mchid, reason } = options.body
  const ref = {
    mode: 'partner' as const,
    service_id,
    sub_mchid,
    authorization_code: options.code,
    openid: null,
    sub_openid: null,
    appid: null,
    sub_appid: null,
  }
  const answer = await postForNoContent(client, terminateRequest(ref, reason), {
    deadline: Date.now() + 10_000,
  })
  return answer.status
}
