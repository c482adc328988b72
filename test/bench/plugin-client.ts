import { Wechatpay } from 'wechatpay-axios-plugin'
import type { StackInfo } from './shared.ts'
import { BODY } from './shared.ts'

/**
 * The same termination made with wechatpay-axios-plugin 0.9 (the community APIv3 SDK on axios): it
 * signs, and verifies every 2xx answer against `certs` by `Wechatpay-Serial`, throwing when an answer
 * does not verify. Its keys are given directly (no Secrets Manager). It does not send
 * `Wechatpay-Serial: PUB_KEY_ID_...` by itself, so it is given that header, as our client sends it:
 * otherwise the simulator, holding a platform certificate too, would sign with the certificate the
 * plugin was not given, and every answer would fail verification (EV3_RES_HEADER_PLATFORM_SERIAL).
 */
export function createPluginTerminate(stack: StackInfo) {
  const wxpay = new Wechatpay({
    mchid: stack.mchid,
    serial: stack.merchantSerial,
    privateKey: stack.merchantPrivateKeyPem,
    certs: { [stack.publicKeyId]: stack.wechatpayPublicKeyPem },
    baseURL: `${stack.wechatpayUrl}/`,
    headers: { 'Wechatpay-Serial': stack.publicKeyId },
  } as ConstructorParameters<typeof Wechatpay>[0])
  // The SDK's chain: each property is a path segment, `{name}` a placeholder filled from the config.
  const endpoint = (wxpay as unknown as Chain).v3.payscore.partner.permissions['authorization-code'][
    '{authorization_code}'
  ].terminate
  return async (code: string) => {
    const response = await endpoint.post(BODY, { authorization_code: code })
    if (response.status !== 204) throw new Error(`wechatpay-axios-plugin: answered ${response.status}`)
  }
}

/** The one path used here, as the SDK's proxy resolves it. */
interface Chain {
  v3: {
    payscore: { partner: { permissions: { 'authorization-code': { '{authorization_code}': Terminate } } } }
  }
}
interface Terminate {
  terminate: { post(data: unknown, config: Record<string, string>): Promise<{ status: number }> }
}
