/**
 * Where `npm start` puts the sandbox: its own module, so that what finds a running sandbox
 * (sandbox:event, sandbox:notify, the CLI's `--stage local`) reads the same rule without loading it.
 */
import { parseMode } from '../../functions/runtime/config.ts'

/**
 * `npm start`'s ports unless SANDBOX_PORTS says otherwise. startSandbox() also takes 0 for every
 * port but `http` (a free one, learnt once bound: tests pass 0); serverless-offline must be told its
 * HTTP port.
 */
export const SANDBOX_PORTS = {
  http: 3000,
  lambda: 3002,
  wechatpay: 3010,
  secretsManager: 3020,
  eventBridge: 3030,
}
/** 0: any free port (the sandbox tells the functions and the banner where each stand-in is). */
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

/**
 * What sandbox:event and sandbox:notify say when nothing answers where they looked (no stack): the
 * URL, why, and how they find a sandbox that is not on the default ports.
 */
export function noSandboxAt(url: string, error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error
  const code = (cause as { code?: unknown } | undefined)?.code
  const why = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)
  return (
    `no sandbox answers at ${url} (${why}): is npm start running? ` +
    'One started with SANDBOX_PORTS is found with the same SANDBOX_PORTS (its banner prints the commands with it).'
  )
}

/** `WECHATPAY_MODE=direct npm start` runs the functions as a direct merchant; partner by default. */
export const sandboxMode = (value: string | undefined = process.env.WECHATPAY_MODE) => parseMode(value)
