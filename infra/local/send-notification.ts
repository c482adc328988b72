/**
 * `npm run sandbox:notify -- open|close AUTHORIZATION_CODE`: has the simulator of a running sandbox
 * send WeChat's notification that a user authorized (open) or ended (close) that authorization, to
 * the sandbox's notification route, and prints what the route answered. Only the sandbox holds
 * WeChat's key and the APIv3 key, so this asks its control route (sandbox-notify.ts). It finds the
 * sandbox where `npm start` put it: SANDBOX_PORTS, if set, as for `npm start`.
 */
import { maskCode } from '../../functions/runtime/mask.ts'
import { noSandboxAt, sandboxPorts } from './ports.ts'
import type { NotifyControlAnswer } from './sandbox-notify.ts'

const [kind, code, ...rest] = process.argv.slice(2)
if ((kind !== 'open' && kind !== 'close') || !code || rest.length > 0) {
  console.error('usage: npm run sandbox:notify -- open|close AUTHORIZATION_CODE')
  process.exit(2)
}

const simulator = process.env.SANDBOX_WECHATPAY_URL ?? `http://127.0.0.1:${sandboxPorts().wechatpay}`
let response: Response
try {
  response = await fetch(`${simulator}/_sandbox/notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind, code }),
    signal: AbortSignal.timeout(10_000),
  })
} catch (error) {
  console.error(noSandboxAt(simulator, error))
  process.exit(1)
}
const text = await response.text()
if (response.status !== 200) {
  console.error(`the simulator refused: ${response.status} ${text}`)
  process.exit(response.status === 400 ? 2 : 1)
}
const sent = JSON.parse(text) as NotifyControlAnswer
const answer =
  sent.status === null
    ? `no answer within 5 s (${sent.body})`
    : `${sent.status}${sent.body ? ` ${sent.body}` : ''} in ${sent.elapsed_ms} ms`
console.log(
  `${kind} ${maskCode(code)}: WeChat sent ${sent.event_type} (notification ${sent.notification_id}); ` +
    `the simulator shows the authorization ${sent.authorization_state}`,
)
console.log(
  `the notification route answered ${answer}: ${sent.accepted ? 'accepted' : 'WeChat will send it again'}`,
)
process.exit(sent.accepted ? 0 : 1)
