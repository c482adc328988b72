/**
 * `terminate` and `query`: one authorization, named by flags. The event is checked with the
 * service's own rules first (a bad field exits 2 and sends nothing), then sent to the invoke
 * function; the answer is printed as a summary, or as the function's JSON with --json.
 */
import { type Command, Option } from 'commander'
import type { RowOutcome } from './bulk/row-book.ts'
import { DONE } from './bulk/tally.ts'
import {
  describeIssues,
  type InputFields,
  inputIssues,
  invokeEvent,
  type Mode,
  maskCode,
  type Operation,
} from './input.ts'
import { invoke } from './invoke.ts'
import { checkClient, functionName, lambdaClient, type TargetOptions, unreachableHint } from './target.ts'
import { EXIT, UsageError } from './usage.ts'

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

/** Identifiers of a user's authorization: shown masked, as the service logs them. */
const MASKED = new Set(['authorization_code', 'openid', 'sub_openid'])
const SHOWN = ['authorization_code', 'openid', 'sub_openid', 'appid', 'sub_appid', 'service_id', 'sub_mchid']

const FLAGS: Array<[string, keyof InputFields, string]> = [
  ['--authorization-code <code>', 'authorization_code', 'the authorization code'],
  ['--openid <openid>', 'openid', "the user's openid under --appid"],
  ['--sub-openid <openid>', 'sub_openid', "the user's openid under --sub-appid (partner mode)"],
  ['--appid <appid>', 'appid', 'the app the openid belongs to'],
  ['--sub-appid <appid>', 'sub_appid', "the sub-merchant's app (partner mode)"],
  ['--service-id <id>', 'service_id', 'the Pay Score service id'],
  ['--sub-mchid <mchid>', 'sub_mchid', 'the sub-merchant (partner mode)'],
]

const line = (label: string, value: unknown) => `  ${label.padEnd(22)}${value ?? '-'}`

/** The answer as a few aligned lines; identifiers masked. */
export function summarize(body: Record<string, unknown>, operation: Operation): string {
  const wechatpay = (body.wechatpay ?? {}) as Record<string, unknown>
  const head =
    operation === 'query' ? `authorization_state: ${body.authorization_state}` : `outcome: ${body.outcome}`
  const lines = [head]
  for (const field of SHOWN) {
    const value = body[field]
    if (value === null || value === undefined) continue
    lines.push(line(field, MASKED.has(field) ? maskCode(value) : value))
  }
  if (operation === 'query') {
    lines.push(
      line('authorized at', body.authorization_success_time),
      line('cancelled at', body.cancel_authorization_time),
    )
  }
  lines.push(line('wechatpay status', wechatpay.status), line('request_id', wechatpay.request_id))
  if (operation === 'terminate') {
    lines.push(
      line('wechatpay code', wechatpay.code),
      line('wechatpay message', wechatpay.message),
      line('authorization_state', wechatpay.authorization_state),
      line('attempts', body.attempts),
    )
  }
  return `${lines.join('\n')}\n`
}

async function run(operation: Operation, options: Record<string, unknown>, io: Io): Promise<number> {
  const target = options as TargetOptions
  const name = functionName(target)
  const fields = Object.fromEntries(FLAGS.map(([, field]) => [field, options[camel(field)]])) as InputFields
  if (operation === 'terminate') fields.reason = options.reason as string | undefined
  const event = invokeEvent(fields, operation)
  const issues = inputIssues(event, operation, options.mode as Mode)
  if (issues.length > 0) throw new UsageError(`invalid input, nothing sent: ${describeIssues(issues)}`)
  const client = lambdaClient(target)
  try {
    await checkClient(client)
    const result = await invoke(client, name, event)
    if (result.kind === 'invalid') {
      const refused = describeIssues(result.issues)
      // A function from before the query operation reads the query as a terminate without a reason.
      const old =
        operation === 'query' && /\breason\b/.test(refused)
          ? ' (the function predates the query operation?)'
          : ''
      throw new UsageError(`the function refused the input, nothing sent: ${refused}${old}`)
    }
    if (result.kind === 'not_found') {
      io.err(`not found: ${result.message}\n`)
      return EXIT.notDone
    }
    if (result.kind === 'error') {
      io.err(`${result.message}${result.unreachable ? unreachableHint(target) : ''}\n`)
      return EXIT.notDone
    }
    io.out(options.json ? `${JSON.stringify(result.body, null, 2)}\n` : summarize(result.body, operation))
    if (operation === 'query') return EXIT.done
    return DONE.has(result.body.outcome as RowOutcome) ? EXIT.done : EXIT.notDone
  } finally {
    client.destroy()
  }
}

/** commander's name for the option of an input field: service_id -> serviceId. */
export const camel = (field: string) => field.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())

/**
 * `terminate` and `query` on the program. A query takes no --reason and never sends one: an invoke
 * function that predates the query operation then refuses it as invalid input instead of
 * terminating.
 */
export function addSingleCommands(program: Command, io: Io, exit: (code: number) => void) {
  for (const operation of ['terminate', 'query'] as const) {
    const command = program
      .command(operation)
      .description(
        operation === 'terminate'
          ? 'end one Pay Score authorization; exit 0 when terminated or already terminated'
          : "ask one Pay Score authorization's verified state; exit 0 when WeChat knows it",
      )
    for (const [flags, , description] of FLAGS) command.option(flags, description)
    if (operation === 'terminate')
      command.option('--reason <text>', 'why (1..50 characters, shown to the user)')
    command
      .addOption(new Option('--json', "print the function's JSON instead of a summary"))
      .action(async (_options, self: Command) => exit(await run(operation, self.optsWithGlobals(), io)))
  }
}
