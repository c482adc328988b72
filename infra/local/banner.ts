/** What `npm start` prints once the sandbox is up: where everything is and what to try first. */
import { SANDBOX_PORTS, type SandboxPorts } from './ports.ts'
import { DEFAULT_APPID, MAGIC_CODES, MAGIC_STATES } from './wechatpay-simulator.ts'

export interface BannerFacts {
  mode: 'partner' | 'direct'
  /** The ports the sandbox listens on. */
  ports: SandboxPorts
  httpUrl: string
  lambdaUrl: string
  wechatpayUrl: string
  secretsManagerUrl: string
  secretId: string
  eventBridgeUrl: string
  eventBus: string
}

/** The fields a call needs besides its identification, in this mode. */
export function sandboxInput(mode: 'partner' | 'direct'): Record<string, string> {
  return mode === 'partner' ? { service_id: '500001', sub_mchid: '1900000109' } : { service_id: '500001' }
}

/**
 * `npm run <script> -- <args>` as pasted into another terminal, which has neither variable `npm start`
 * was given: SANDBOX_PORTS when the ports are not the defaults (the scripts find the sandbox by it),
 * and for sandbox:event WECHATPAY_MODE=direct in direct mode (the event's fields follow it).
 */
export function sandboxCommand(
  sandbox: Pick<BannerFacts, 'mode' | 'ports'>,
  script: 'sandbox:event' | 'sandbox:notify',
  args: string,
) {
  const { http, lambda, wechatpay, secretsManager, eventBridge } = sandbox.ports
  const ports = [http, lambda, wechatpay, secretsManager, eventBridge]
  const defaults = Object.values(SANDBOX_PORTS)
  const env = [
    ...(ports.some((port, index) => port !== defaults[index]) ? [`SANDBOX_PORTS=${ports.join(',')}`] : []),
    ...(script === 'sandbox:event' && sandbox.mode === 'direct' ? ['WECHATPAY_MODE=direct'] : []),
  ]
  return [...env, `npm run ${script} -- ${args}`].join(' ')
}

export function banner(sandbox: BannerFacts) {
  const magic = [
    ...Object.entries(MAGIC_CODES).map(([prefix, entry]) => `  ${prefix.padEnd(15)} ${entry.description}`),
    ...Object.entries(MAGIC_STATES).map(
      ([prefix, state]) => `  ${prefix.padEnd(15)} the authorization starts as ${state}`,
    ),
  ].join('\n')
  const base = sandboxInput(sandbox.mode)
  const json = (value: object) => JSON.stringify(value)
  const query = (value: Record<string, string>) => new URLSearchParams(value).toString()
  const byOpenid = { ...base, openid: 'o_demo_1', appid: DEFAULT_APPID }
  return `
payscore-terminate sandbox is up, ${sandbox.mode} mode (Ctrl-C stops everything; WECHATPAY_MODE=${sandbox.mode === 'partner' ? 'direct' : 'partner'} npm start for the other)

  HTTP API              ${sandbox.httpUrl}/v1/authorizations...
  Lambda invoke API     ${sandbox.lambdaUrl}   (functions payscore-terminate-local-{http,queue,invoke,notify})
  WeChat Pay simulator  ${sandbox.wechatpayUrl}
  Secrets Manager       ${sandbox.secretsManagerUrl}   (secret ${sandbox.secretId}, dev keys made just now)
  EventBridge           ${sandbox.eventBridgeUrl}   (bus ${sandbox.eventBus}: every event the functions put shows below as "eventbridge: ...")

Terminate by authorization code (a new code gives 200 terminated; the same again 200 already_terminated):

  curl -s -X POST ${sandbox.httpUrl}/v1/authorizations/demo_$(date +%s)/terminate \\
    -H 'content-type: application/json' -d '${json({ ...base, reason: '用户申请解除授权' })}'

Terminate by openid (the whole input in the body), then ask for its state, by openid and by code:

  curl -s -X POST ${sandbox.httpUrl}/v1/authorizations/terminate \\
    -H 'content-type: application/json' -d '${json({ ...byOpenid, reason: '用户申请解除授权' })}'
  curl -s '${sandbox.httpUrl}/v1/authorizations?${query({ ...base, appid: DEFAULT_APPID, openid: 'o_demo_1' })}'
  curl -s '${sandbox.httpUrl}/v1/authorizations/demo_1?${query(base)}'

Send a queue event (an EventBridge cancellation inside an SQS record) to the queue function:

  ${sandboxCommand(sandbox, 'sandbox:event', 'demo_queue_1')}

Every termination that ends (not retryable) puts a "PayScore Authorization Termination" event.
WeChat's notifications: the simulator sends one, signed and encrypted as WeChat does, to
${sandbox.httpUrl}/v1/wechatpay/notifications (close: the user ended the authorization inside
WeChat, which the simulator now shows UNAVAILABLE; open: the user authorized, AVAILABLE):

  ${sandboxCommand(sandbox, 'sandbox:notify', 'close demo_0001')}
  ${sandboxCommand(sandbox, 'sandbox:notify', 'open demo_0002')}

Magic prefixes, on codes and openids alike (add any suffix for a fresh authorization, e.g. SIM_503_a1):
${magic}
`
}
