/**
 * `payscore-terminate`: the operator's command line. It calls the deployed invoke function through
 * Lambda's API (and SQS for the dlq helpers) with the operator's own AWS credentials.
 * Exit status: 0 done, 1 not done (or failed), 2 usage error or invalid input (nothing sent).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { parseMode } from '../functions/runtime/config.ts'
import { addBulkCommand } from './bulk/command.ts'
import { addDlqCommands } from './dlq.ts'
import type { Mode } from './input.ts'
import { addSingleCommands, type Io } from './single.ts'
import { EXIT, UsageError } from './usage.ts'

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}

/** A mode as the deployed functions read WECHATPAY_MODE (functions/runtime/config.ts, parseMode). */
function modeOption(text: string): Mode {
  try {
    return parseMode(text)
  } catch {
    throw new InvalidArgumentError('must be partner or direct')
  }
}

export function buildProgram(io: Io, exit: (code: number) => void): Command {
  const program = new Command('payscore-terminate')
    .description('End or check WeChat Pay Score authorizations through the deployed invoke function.')
    .addOption(
      new Option(
        '--stage <stage>',
        'target stage: function payscore-terminate-STAGE-invoke; local = the sandbox (npm start)',
      ),
    )
    .addOption(new Option('--function <name>', 'target function by name, instead of --stage'))
    .addOption(new Option('--region <region>', 'AWS region (default: AWS_REGION or the profile)'))
    .addOption(
      new Option('--mode <mode>', "the stage's WeChat Pay mode, partner or direct, for checking input")
        .argParser(modeOption)
        .env('WECHATPAY_MODE')
        .default('partner'),
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
  addSingleCommands(program, io, exit)
  addBulkCommand(program, io, exit)
  addDlqCommands(program, io, exit)
  return program
}

/** Runs one command line (`argv` as process.argv) and resolves to its exit status. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let status: number = EXIT.usage
  const program = buildProgram(io, (code) => {
    status = code
  })
  try {
    await program.parseAsync([...argv])
    return status
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with commander's exit code 0.
      return error.exitCode === 0 ? EXIT.done : EXIT.usage
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n`)
      return EXIT.usage
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT.notDone
  }
}
