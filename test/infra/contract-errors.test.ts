/**
 * What the invoke function's Errors alarm (infra/resources/alarms.yml, InvokeErrorsAlarm) subtracts:
 * every error the invoke function throws by contract (README, "Direct invocation") reaches Lambda,
 * whose Errors metric counts it, and is counted as `ContractErrors` in the same invocation's EMF, so
 * that `Errors - ContractErrors` is what no caller asked for (a bug, a timeout, an init error).
 * Through the real invoke handler of a stack container, against the simulator.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createInvokeHandler } from '../../functions/invoke.ts'
import { createObservability } from '../../functions/runtime/observability.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { captureConsole } from '../helpers/logs.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container

before(async () => {
  stack = await startStack()
  container = stack.container()
})
after(() => stack.close())

type Lines = Array<Record<string, unknown>>
const counted = (lines: Lines, metric: string) =>
  lines.reduce((sum, line) => sum + (typeof line[metric] === 'number' ? (line[metric] as number) : 0), 0)

/** Invokes the container's handler with `event`; returns the error's name and the lines it wrote. */
async function thrown(event: unknown, invoke: (event: unknown, context: unknown) => Promise<unknown>) {
  let name: string | undefined
  const { lines } = await container.logs.during(() =>
    invoke(event, lambdaContext()).catch((error: Error) => {
      name = error.name
    }),
  )
  return { name, lines }
}

const query = (authorization_code: string) => ({
  operation: 'query',
  service_id: VALID.service_id,
  sub_mchid: VALID.sub_mchid,
  authorization_code,
})

describe('ContractErrors: what the invoke Errors alarm does not count', () => {
  const invoke = () => container.invoke as unknown as (event: unknown, context: unknown) => Promise<unknown>

  it('counts each error thrown by contract once, and not as UnhandledErrors', async () => {
    const notFound = freshCode()
    stack.simulator.inject({ fault: 'order_not_exist', endpoint: 'query', reference: notFound })
    const retryable = freshCode()
    stack.simulator.inject({ fault: 'unavailable', endpoint: 'query', reference: retryable, times: 5 })
    const failed = freshCode()
    stack.simulator.inject({ fault: 'no_auth', endpoint: 'query', reference: failed })
    const cases: Array<[unknown, string]> = [
      [{ ...VALID, authorization_code: 'not/valid' }, 'InvalidRequestError'],
      [query(notFound), 'AuthorizationNotFoundError'],
      [query(retryable), 'QueryRetryableError'],
      [query(failed), 'QueryFailedError'],
    ]
    for (const [event, name] of cases) {
      const result = await thrown(event, invoke())
      assert.equal(result.name, name)
      assert.equal(counted(result.lines, 'ContractErrors'), 1, `${name} counted once`)
      assert.equal(counted(result.lines, 'UnhandledErrors'), 0, `${name} is not unhandled`)
    }
  })

  it('counts nothing for an invocation that returns', async () => {
    const { lines } = await container.logs.during(() =>
      invoke()({ ...VALID, authorization_code: freshCode() }, lambdaContext()),
    )
    assert.equal(counted(lines, 'Outcome'), 1, 'the outcome was reported')
    assert.equal(counted(lines, 'ContractErrors'), 0)
  })

  it('does not count an unexpected error, which stays an error for the alarm', async () => {
    const logs = captureConsole()
    const broken = createInvokeHandler({
      service: () => {
        throw new TypeError('a bug')
      },
      observability: createObservability({ console: logs.console }),
    }) as unknown as (event: unknown, context: unknown) => Promise<unknown>
    const { result, lines } = await logs.during(async () => {
      try {
        await broken({ ...VALID, authorization_code: freshCode() }, lambdaContext())
        return undefined
      } catch (error) {
        return (error as Error).name
      }
    })
    assert.equal(result, 'TypeError', 'thrown to Lambda, which counts it in Errors')
    assert.equal(counted(lines, 'ContractErrors'), 0)
    assert.equal(counted(lines, 'UnhandledErrors'), 1)
  })
})
