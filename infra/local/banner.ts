/** What `npm start` prints once the sandbox is up: where everything is and what to try first. */
import { MAGIC_CODES, MAGIC_STATES } from './wechatpay-simulator.ts'

export interface BannerFacts {
  httpUrl: string
  lambdaUrl: string
  wechatpayUrl: string
  secretsManagerUrl: string
  secretId: string
}

export function banner(sandbox: BannerFacts) {
  const magic = [
    ...Object.entries(MAGIC_CODES).map(([prefix, entry]) => `  ${prefix.padEnd(15)} ${entry.description}`),
    ...Object.entries(MAGIC_STATES).map(
      ([prefix, state]) => `  ${prefix.padEnd(15)} the authorization starts as ${state}`,
    ),
  ].join('\n')
  return `
payscore-terminate sandbox is up (Ctrl-C stops everything)

  HTTP API              ${sandbox.httpUrl}/v1/authorizations/{authorization_code}/terminate
  Lambda invoke API     ${sandbox.lambdaUrl}   (functions payscore-terminate-local-{http,queue,invoke})
  WeChat Pay simulator  ${sandbox.wechatpayUrl}
  Secrets Manager       ${sandbox.secretsManagerUrl}   (secret ${sandbox.secretId}, dev keys made just now)

Try it (a new code gives 200 terminated; the same again 200 already_terminated):

  curl -s -X POST ${sandbox.httpUrl}/v1/authorizations/demo_$(date +%s)/terminate \\
    -H 'content-type: application/json' \\
    -d '{"service_id":"500001","sub_mchid":"1900000109","reason":"用户申请解除授权"}'

Send a queue event (an EventBridge cancellation inside an SQS record) to the queue function:

  npm run sandbox:event -- demo_queue_1

Magic code prefixes (add any suffix for a fresh authorization, e.g. SIM_503_a1):
${magic}
`
}
