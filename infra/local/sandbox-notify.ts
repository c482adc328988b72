/**
 * `POST /_sandbox/notify {"kind": "open" | "close", "code": "..."}`, a control route of the `npm start`
 * simulator: WeChat's side of a user opening or ending an authorization inside WeChat. The
 * simulator's record of the authorization takes the state the user left it in (close: UNAVAILABLE,
 * open: AVAILABLE), then a notification made as WeChat makes it (signed with WeChat's key, the
 * resource encrypted with the merchant's APIv3 key: simulator/notify.ts) is POSTed to the sandbox's
 * notification route, and the answer is what WeChat saw. The keys exist only in the sandbox's memory,
 * so `npm run sandbox:notify` (another process) asks through this route, on loopback only.
 */
import { sandboxInput } from './banner.ts'
import { authorizationCode } from './simulator/fields.ts'
import {
  authorizationResource,
  buildNotification,
  type NotifierKey,
  sendNotification,
} from './simulator/notify.ts'
import { errorReply, jsonReply } from './simulator/replies.ts'
import type { ControlRoute } from './simulator/types.ts'

export const NOTIFY_CONTROL_ROUTE = 'POST /_sandbox/notify'

const EVENT_TYPES = { open: 'PAYSCORE.USER_OPEN_SERVICE', close: 'PAYSCORE.USER_CLOSE_SERVICE' } as const
const STATES = { open: 'AVAILABLE', close: 'UNAVAILABLE' } as const

export interface NotifyControlOptions {
  /** The sandbox's notification route, `http://127.0.0.1:<port>/v1/wechatpay/notifications`. */
  url: string
  apiv3Key: string
  /** WeChat's signing key (the simulator's WeChat Pay public key id and private key). */
  key: NotifierKey
  /** The functions' mode: a direct merchant's notifications carry no sub_mchid or sub_appid. */
  mode: 'partner' | 'direct'
  /** The merchant the notification is for (the sandbox secret's mchid). */
  mchid: string
}

/** What the control route answers: the notification sent, and WeChat's view of the answer. */
export interface NotifyControlAnswer {
  notification_id: string
  event_type: string
  authorization_state: string
  /** null: nothing came back within WeChat's 5 s. */
  status: number | null
  /** The notification route's body (its FAIL message), or the send's error. */
  body: string
  accepted: boolean
  elapsed_ms: number
}

export function notifyControl(options: NotifyControlOptions): ControlRoute {
  return async (text, simulator) => {
    let input: { kind?: unknown; code?: unknown }
    try {
      input = JSON.parse(text)
    } catch {
      return errorReply(
        400,
        'PARAM_ERROR',
        'the body must be JSON: {"kind": "open" | "close", "code": "..."}',
      )
    }
    const { kind, code } = input ?? {}
    if (kind !== 'open' && kind !== 'close')
      return errorReply(400, 'PARAM_ERROR', 'kind must be open or close')
    const codeProblem = authorizationCode(code)
    if (codeProblem !== undefined || typeof code !== 'string') {
      return errorReply(400, 'PARAM_ERROR', `code ${codeProblem}`)
    }
    // WeChat's state changes first, whatever the merchant later answers.
    simulator.setState(code, STATES[kind])
    const known = simulator.authorization(code)!
    const resource = authorizationResource(kind, {
      ...sandboxInput(options.mode), // service_id, and sub_mchid in partner mode
      mchid: options.mchid,
      appid: known.appid,
      authorization_code: known.authorizationCode,
      openid: known.openid,
      sub_openid: known.subOpenid,
      sub_appid: known.subAppid,
      // A direct merchant's notification names no sub-merchant (undefined leaves the JSON).
      ...(options.mode === 'direct' ? { sub_mchid: undefined } : {}),
    })
    const notification = buildNotification({
      eventType: EVENT_TYPES[kind],
      resource,
      apiv3Key: options.apiv3Key,
      key: options.key,
    })
    const answer = await sendNotification(options.url, notification)
    return jsonReply(200, {
      notification_id: notification.id,
      event_type: EVENT_TYPES[kind],
      authorization_state: known.state,
      status: answer.status,
      body: answer.body,
      accepted: answer.accepted,
      elapsed_ms: answer.elapsedMs,
    } satisfies NotifyControlAnswer)
  }
}
