/**
 * `dlq count` and `dlq redrive` against fauxqs (an SQS emulator speaking the real protocol). fauxqs
 * 2.4 has no message move tasks (StartMessageMoveTask answers "Unknown action"), so the real
 * process is tested up to that call, and the task's progress reporting is tested in process with
 * SQS's documented ListMessageMoveTasks answers in place of the two calls fauxqs lacks.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  CreateQueueCommand,
  type ListMessageMoveTasksResultEntry,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { type FauxqsServer, startFauxqs } from 'fauxqs'
import { redrive } from '../../cli/dlq.ts'
import { runCli } from './helpers.ts'

let fauxqs: FauxqsServer
let sqs: SQSClient
let env: Record<string, string>

before(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false })
  sqs = new SQSClient({
    endpoint: fauxqs.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  env = { AWS_ENDPOINT_URL_SQS: fauxqs.address }
})
after(async () => {
  sqs.destroy()
  await fauxqs.stop()
})

/** The stage's two queues, as infra/resources/queues.yml names them; `dead` messages on the DLQ. */
async function stageQueues(stage: string, dead: number) {
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `payscore-terminate-${stage}-terminate-dlq` }),
  )
  const work = await sqs.send(new CreateQueueCommand({ QueueName: `payscore-terminate-${stage}-terminate` }))
  for (let index = 0; index < dead; index += 1) {
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq.QueueUrl, MessageBody: JSON.stringify({ index }) }))
  }
  return { dlqUrl: dlq.QueueUrl!, workUrl: work.QueueUrl! }
}

describe('dlq count', () => {
  it('messages waiting and in flight on the DLQ and the work queue (--stage local: no AWS credentials)', async () => {
    const { dlqUrl } = await stageQueues('local', 3)
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }),
    )
    const run = await runCli(['--stage', 'local', 'dlq', 'count'], env)
    assert.equal(run.code, 0, run.stderr)
    assert.equal(
      run.stdout,
      'payscore-terminate-local-terminate-dlq: 2 waiting, 1 in flight\npayscore-terminate-local-terminate: 0 waiting, 0 in flight\n',
    )
  })

  it('exit 2 without a stage, or locally without an SQS endpoint', async () => {
    const noStage = await runCli(['--function', 'f', 'dlq', 'count'], env)
    assert.equal(noStage.code, 2)
    assert.match(noStage.stderr, /the dlq commands need --stage STAGE/)
    assert.doesNotMatch(noStage.stderr, /or --function/, 'dlq takes no --function')
    const noEndpoint = await runCli(['--stage', 'local', 'dlq', 'count'], { AWS_ENDPOINT_URL_SQS: '' })
    assert.equal(noEndpoint.code, 2)
    assert.match(noEndpoint.stderr, /AWS_ENDPOINT_URL_SQS/)
  })

  it('exit 1 naming the queue SQS does not know', async () => {
    const run = await runCli(['--stage', 'nosuch', '--region', 'us-east-1', 'dlq', 'count'], {
      ...env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /queue payscore-terminate-nosuch-terminate-dlq: .*does not exist/)
  })
})

describe('dlq redrive', () => {
  const credentials = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }

  it('an empty DLQ: nothing to redrive, exit 0, no task started', async () => {
    await stageQueues('empty', 0)
    const run = await runCli(['--stage', 'empty', 'dlq', 'redrive'], { ...env, ...credentials })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /0 waiting.*\nnothing to redrive\n$/)
  })

  it('starts the move task from the DLQ (fauxqs has none: exit 1 naming the call, the messages stay)', async () => {
    await stageQueues('full', 2)
    const run = await runCli(['--stage', 'full', 'dlq', 'redrive'], { ...env, ...credentials })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /StartMessageMoveTask failed: .*Unknown action: StartMessageMoveTask/)
    const count = await runCli(['--stage', 'full', 'dlq', 'count'], { ...env, ...credentials })
    assert.match(count.stdout, /terminate-dlq: 2 waiting/)
  })

  /** fauxqs for the queues; SQS's documented answers for the two move-task calls fauxqs lacks. */
  function withMoveTasks(tasks: ListMessageMoveTasksResultEntry[][]) {
    const started: unknown[] = []
    const send = async (command: { constructor: { name: string }; input: unknown }) => {
      if (command.constructor.name === 'StartMessageMoveTaskCommand') {
        started.push(command.input)
        return { TaskHandle: 'handle-1' }
      }
      if (command.constructor.name === 'ListMessageMoveTasksCommand') return { Results: tasks.shift() }
      return sqs.send(command as never)
    }
    return { sqs: { send } as unknown as SQSClient, started }
  }

  it('reports the task until it completes: exit 0', async () => {
    await stageQueues('move', 3)
    const { sqs: client, started } = withMoveTasks([
      [
        {
          TaskHandle: 'handle-1',
          Status: 'RUNNING',
          ApproximateNumberOfMessagesMoved: 1,
          ApproximateNumberOfMessagesToMove: 3,
        },
      ],
      [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }],
    ])
    let out = ''
    const code = await redrive({
      sqs: client,
      stage: 'move',
      io: { out: (text) => (out += text), err: () => {} },
      rate: 5,
      intervalMs: 1,
    })
    assert.equal(code, 0)
    assert.deepEqual(started, [
      {
        SourceArn: 'arn:aws:sqs:us-east-1:000000000000:payscore-terminate-move-terminate-dlq',
        DestinationArn: 'arn:aws:sqs:us-east-1:000000000000:payscore-terminate-move-terminate',
        MaxNumberOfMessagesPerSecond: 5,
      },
    ])
    assert.match(out, /RUNNING: 1 of 3 messages moved\nCOMPLETED: 3 of 3 messages moved\n$/)
  })

  it('a task that fails: its reason, exit 1', async () => {
    await stageQueues('fails', 1)
    const { sqs: client } = withMoveTasks([
      [
        {
          Status: 'FAILED',
          ApproximateNumberOfMessagesMoved: 0,
          FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
        },
      ],
    ])
    let out = ''
    const code = await redrive({
      sqs: client,
      stage: 'fails',
      io: { out: (text) => (out += text), err: () => {} },
      intervalMs: 1,
    })
    assert.equal(code, 1)
    assert.match(out, /FAILED: 0 messages moved \(AWS.SimpleQueueService.NonExistentQueue\)\n$/)
  })
})
