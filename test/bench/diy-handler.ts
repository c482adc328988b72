/**
 * What a user would write instead of this project: a Lambda handler on wechatpay-axios-plugin that
 * fetches the merchant secret with @aws-sdk/client-secrets-manager on its first call, keeps the
 * plugin for the container's life, and terminates the authorization the path names. No input checks,
 * logs, metrics, retries or failover: the least such a handler does. Bundled like ours (bundle.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { Wechatpay } from 'wechatpay-axios-plugin'

interface Terminate {
  post(data: unknown, config: Record<string, string>): Promise<{ status: number }>
}

const secrets = new SecretsManagerClient({})
let terminate: Terminate | undefined

async function plugin(): Promise<Terminate> {
  const { SecretString } = await secrets.send(
    new GetSecretValueCommand({ SecretId: process.env.MERCHANT_SECRET_ID }),
  )
  const secret = JSON.parse(SecretString ?? '{}') as Record<string, string>
  const wxpay = new Wechatpay({
    mchid: secret.mchid!,
    serial: secret.merchant_serial_no!,
    privateKey: secret.merchant_private_key!,
    certs: { [secret.wechatpay_public_key_id!]: secret.wechatpay_public_key! },
    baseURL: `${process.env.WECHATPAY_BASE_URL}/`,
    // As in plugin-client.ts: the plugin does not ask for the public key's signature by itself.
    headers: { 'Wechatpay-Serial': secret.wechatpay_public_key_id! },
  } as ConstructorParameters<typeof Wechatpay>[0])
  const chain = wxpay as unknown as {
    v3: { payscore: { partner: { permissions: Record<string, Record<string, { terminate: Terminate }>> } } }
  }
  const endpoint =
    chain.v3.payscore.partner.permissions['authorization-code']!['{authorization_code}']!.terminate
  // The chain is a proxy that takes any property for a path segment, `then` included: it must not
  // be what an async function resolves to.
  return { post: (data, config) => endpoint.post(data, config) }
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  terminate ??= await plugin()
  const { service_id, sub_mchid, reason } = JSON.parse(event.body ?? '{}') as Record<string, string>
  const response = await terminate.post(
    { service_id, sub_mchid, reason },
    { authorization_code: event.pathParameters?.authorization_code ?? '' },
  )
  return {
    statusCode: response.status === 204 ? 200 : 502,
    body: JSON.stringify({ status: response.status }),
  }
}
