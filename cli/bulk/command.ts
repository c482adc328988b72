/** `bulk-terminate`: the command line of cli/bulk/run.ts, its Ctrl-C and its summary. */
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Mode } from '../input.ts'
import { camel, type Io } from '../single.ts'
import { checkClient, functionName, lambdaClient, type TargetOptions, unreachableHint } from '../target.ts'
import { EXIT } from '../usage.ts'
import type { Fill } from './input-file.ts'
import { runBulk } from './run.ts'

const FILLS: Array<[string, keyof Fill]> = [
  ['--service-id <id>', 'service_id'],
  ['--sub-mchid <mchid>', 'sub_mchid'],
  ['--reason <text>', 'reason'],
  ['--appid <appid>', 'appid'],
  ['--sub-appid <appid>', 'sub_appid'],
]

function number(min: number, max: number, integer: boolean) {
  return (text: string) => {
    const value = Number(text)
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`)
    }
    return value
  }
}

/**
 * Ctrl-C (SIGINT) or SIGTERM stops taking rows; the calls in flight finish and their rows are
 * written. A second Ctrl-C changes nothing (`npm run` forwards the terminal's SIGINT, so one press
 * can arrive twice): the calls in flight end within the request timeout anyway.
 */
function stopOnSignals(io: Io) {
  const controller = new AbortController()
  const onSignal = () => {
    io.err(
      controller.signal.aborted
        ? 'still waiting for the calls in flight\n'
        : '\nstopping: no new rows; waiting for the calls in flight, then writing their rows\n',
    )
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const release = () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return { signal: controller.signal, release }
}

/** `npm run` works in the project folder; a relative path means the folder the operator ran it from. */
const fromCaller = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path)

async function run(options: Record<string, unknown>, io: Io): Promise<number> {
  const target = options as TargetOptions
  const name = functionName(target)
  const fill: Fill = {}
  for (const [, field] of FILLS) {
    const value = options[camel(field)]
    if (typeof value === 'string') fill[field] = value
  }
  const concurrency = options.concurrency as number
  const client = lambdaClient(target, concurrency)
  const stop = stopOnSignals(io)
  try {
    await checkClient(client)
    const report = await runBulk({
      input: fromCaller(options.input as string),
      output: fromCaller(options.output as string),
      fill,
      mode: options.mode as Mode,
      concurrency,
      rate: options.rate as number,
      client,
      functionName: name,
      stop: stop.signal,
      progress: process.stderr,
    })
    const { tally, total, earlier, stoppedBy, compaction } = report
    io.out(`\n${options.input}: ${total} rows; results in ${options.output}\n${tally.table(total)}`)
    if (earlier.torn)
      io.out(`the last row of ${options.output} was cut short by a crash: removed, its row tried again\n`)
    if (earlier.restarted)
      io.out(
        `${options.output} held only invalid rows, written for another target, mode or fill flags: started anew\n`,
      )
    if (earlier.unreadable > 0)
      io.out(`${earlier.unreadable} rows of ${options.output} of another shape ignored\n`)
    if (!compaction.compacted)
      io.out(
        `${options.output} not compacted (${compaction.why}): each result stays as appended, the latest for a row wins\n`,
      )
    const done = tally.allDone(total)
    if (stoppedBy === 'interrupt')
      io.out(done ? 'interrupted\n' : 'interrupted: run the same command again to continue\n')
    else if (stoppedBy)
      io.out(`stopped: ${stoppedBy.error}${stoppedBy.unreachable ? unreachableHint(target) : ''}\n`)
    io.out(
      done
        ? 'every row done\n'
        : 'not every row done (see the outcome column); a run with the same --output tries retryable and failed rows again\n',
    )
    return done ? EXIT.done : EXIT.notDone
  } finally {
    stop.release()
    client.destroy()
  }
}

export function addBulkCommand(program: Command, io: Io, exit: (code: number) => void) {
  const command = program
    .command('bulk-terminate')
    .description(
      'end every authorization of a CSV file; results appended to --output as they arrive, one row per input row at the end; run again to resume',
    )
    .requiredOption(
      '--input <file.csv>',
      'header: authorization_code | openid | sub_openid, and other input fields',
    )
    .requiredOption(
      '--output <results.csv>',
      'the input columns and the result of each row (beside it: .run, the run record; .lock while a run writes it)',
    )
  for (const [flags, field] of FILLS)
    command.option(flags, `${field} for every row (the file has no ${field} column)`)
  command
    .addOption(
      new Option('--concurrency <n>', 'calls in flight at most').default(8).argParser(number(1, 100, true)),
    )
    .addOption(
      new Option('--rate <n>', 'calls started per second at most')
        .default(20)
        .argParser(number(0.01, 100_000, false)),
    )
    .action(async (_options, self: Command) => exit(await run(self.optsWithGlobals(), io)))
}
