/**
 * Where `npm start` puts the sandbox: its own module, so that what finds a running sandbox
 * (sandbox:event, sandbox:notify, the CLI's `--stage local`) reads the same rule without loading it.
 */

/** `npm start`'s ports unless SANDBOX_PORTS says otherwise; tests pass free ports. */
export const SANDBOX_PORTS = {
  http: 3000,
  lambda: 3002,
  wechatpay: 3010,
  secretsManager: 3020,
  eventBridge: 3030,
}
/** `eventBridge` 0: any free port (only the functions talk to it, told its URL at start). */
export type SandboxPorts = typeof SANDBOX_PORTS

/**
 * `SANDBOX_PORTS=4000,4002,4010,4020,4030 npm start` moves the sandbox off the fixed ports: the HTTP
 * API, the Lambda invoke API, the WeChat Pay simulator, the Secrets Manager stand-in and the
 * EventBridge stand-in, in that order. The fifth may be left out (the four-port form of before): the
 * EventBridge stand-in then takes any free port.
 */
export function sandboxPorts(value: string | undefined = process.env.SANDBOX_PORTS): SandboxPorts {
  if (value === undefined || value.trim() === '') return SANDBOX_PORTS
  const ports = value.split(',').map((part) => Number(part.trim()))
  const valid = ports.every((port) => Number.isInteger(port) && port > 0 && port < 65_536)
  if (ports.length < 4 || ports.length > 5 || !valid || new Set(ports).size !== ports.length) {
    throw new Error(
      'SANDBOX_PORTS must be four or five different ports, for the HTTP API, the Lambda invoke API, the ' +
        `WeChat Pay simulator, Secrets Manager and (optional) EventBridge (e.g. 4000,4002,4010,4020,4030), got "${value}"`,
    )
  }
  const [http, lambda, wechatpay, secretsManager, eventBridge = 0] = ports as [number, number, number, number]
  return { http, lambda, wechatpay, secretsManager, eventBridge }
}
