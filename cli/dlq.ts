/**
 * `dlq count` and `dlq redrive`: the queue path's dead-letter queue. Redrive is SQS's own message
 * move task, DLQ -> work queue, named explicitly (docs/DEPLOY.md, "Redrive the dead-letter queue").
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Io } from './single.ts'
import { checkClient, queueNames, sqsClient, stage, type TargetOptions } from './target.ts'
import { EXIT } from './usage.ts'

type Sqs = Pick<SQSClient, 'send'>

export interface QueueFacts {
  name: string
  arn: string
  waiting: number
  inFlight: number
}

export async function queueFacts(sqs: Sqs, name: string): Promise<QueueFacts> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })).catch((error: Error) => {
    throw new Error(`queue ${name}: ${error.message}`, { cause: error })
  })
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  )
  return {
    name,
    arn: Attributes.QueueArn ?? '',
    waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  }
}

const describe = (queue: QueueFacts) => `${queue.name}: ${queue.waiting} waiting, ${queue.inFlight} in flight`

export interface RedriveOptions {
  sqs: Sqs
  stage: string
  io: Io
  /** Messages moved per second at most (SQS's MaxNumberOfMessagesPerSecond); SQS picks when absent. */
  rate?: number | undefined
  intervalMs: number
  wait?: (ms: number) => Promise<unknown>
}

/** A task's line: `RUNNING: 40 of 120 messages moved`. */
export function taskLine(task: ListMessageMoveTasksResultEntry): string {
  const of =
    task.ApproximateNumberOfMessagesToMove === undefined
      ? ''
      : ` of ${task.ApproximateNumberOfMessagesToMove}`
  const reason = task.FailureReason ? ` (${task.FailureReason})` : ''
  return `${task.Status}: ${task.ApproximateNumberOfMessagesMoved ?? 0}${of} messages moved${reason}`
}

/** Starts the move task and reports it until it ends; exit 0 when it completed. */
export async function redrive(options: RedriveOptions): Promise<number> {
  const { sqs, io } = options
  const wait = options.wait ?? sleep
  const names = queueNames(options.stage)
  const [work, dlq] = [await queueFacts(sqs, names.work), await queueFacts(sqs, names.dlq)]
  io.out(`${describe(dlq)}\n`)
  if (dlq.waiting === 0) {
    io.out('nothing to redrive\n')
    return EXIT.done
  }
  const { TaskHandle } = await sqs
    .send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.arn,
        DestinationArn: work.arn,
        MaxNumberOfMessagesPerSecond: options.rate,
      }),
    )
    .catch((error: Error) => {
      throw new Error(`StartMessageMoveTask failed: ${error.name}: ${error.message}`, { cause: error })
    })
  io.out(`moving to ${work.name} (Ctrl-C stops watching; the move goes on in SQS)\n`)
  for (;;) {
    await wait(options.intervalMs)
    const { Results = [] } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }),
    )
    // Only a running task carries its handle; one source queue runs one task at a time, so once
    // ours has ended it is the most recent one listed.
    const task = Results.find((entry) => entry.TaskHandle === TaskHandle) ?? Results[0]
    if (!task) throw new Error('SQS lists no move task for the dead-letter queue')
    io.out(`${taskLine(task)}\n`)
    if (task.Status === 'COMPLETED') return EXIT.done
    if (task.Status !== 'RUNNING') return EXIT.notDone
  }
}

const intervalMs = () => Number(process.env.PAYSCORE_CLI_PROGRESS_INTERVAL_MS) || 5_000

export function addDlqCommands(program: Command, io: Io, exit: (code: number) => void) {
  const dlq = program.command('dlq').description("the queue path's dead-letter queue (needs --stage)")
  const withClient = async (
    options: TargetOptions,
    use: (sqs: SQSClient, stageName: string) => Promise<number>,
  ) => {
    const stageName = stage(options)
    const sqs = sqsClient(options)
    try {
      await checkClient(sqs)
      return await use(sqs, stageName)
    } finally {
      sqs.destroy()
    }
  }
  dlq
    .command('count')
    .description('messages waiting on the dead-letter queue (and on the work queue)')
    .action(async (_options, self: Command) => {
      const code = await withClient(self.optsWithGlobals(), async (sqs, stageName) => {
        const names = queueNames(stageName)
        io.out(
          `${describe(await queueFacts(sqs, names.dlq))}\n${describe(await queueFacts(sqs, names.work))}\n`,
        )
        return EXIT.done
      })
      exit(code)
    })
  dlq
    .command('redrive')
    .description(
      'move the dead-letter queue back to the work queue (an SQS message move task) and report progress',
    )
    .addOption(
      new Option('--rate <n>', 'messages moved per second at most (1..500; default: SQS decides)').argParser(
        (text) => {
          const value = Number(text)
          if (!Number.isInteger(value) || value < 1 || value > 500)
            throw new InvalidArgumentError('must be 1 to 500')
          return value
        },
      ),
    )
    .action(async (options: { rate?: number }, self: Command) => {
      const code = await withClient(self.optsWithGlobals(), (sqs, stageName) =>
        redrive({ sqs, stage: stageName, io, rate: options.rate, intervalMs: intervalMs() }),
      )
      exit(code)
    })
}
