import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Outcome } from '../../functions/authorizations/outcome.ts'
import { lambdaContext } from '../helpers/lambda.ts'
import { type Container, freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'

let stack: Stack
let container: Container
let handler: (event: unknown, context: unknown) => Promise<Outcome>

before(async () => {
  stack = await startStack()
  container = stack.container()
  handler = container.invoke as unknown as typeof handler
})
after(() => stack.close())

describe('direct invocation', () => {
  it('returns the outcome', async () => {
    const code = freshCode()
    const outcome = await handler({ ...VALID, authorization_code: code }, lambdaContext())
    assert.equal(outcome.outcome, 'terminated')
    assert.equal(outcome.authorization_code, code)
    assert.equal(
      (await handler({ ...VALID, authorization_code: code }, lambdaContext())).outcome,
      'already_terminated',
    )
  })

  it('returns retryable and rejected outcomes rather than throwing', async () => {
    assert.equal(
      (await handler({ ...VALID, authorization_code: freshCode('SIM_503') }, lambdaContext())).outcome,
      'retryable',
    )
    assert.equal(
      (await handler({ ...VALID, authorization_code: freshCode('SIM_NOTEXIST') }, lambdaContext())).outcome,
      'rejected',
    )
  })

  it('throws InvalidRequestError (for a Step Functions Catch) listing every bad field, and sends nothing', async () => {
    const before = stack.simulator.requests.length
    await assert.rejects(
      handler({ authorization_code: '../x', service_id: 1, reason: '' }, lambdaContext()),
      (error: Error & { issues?: Array<{ path: string }> }) => {
        assert.equal(error.name, 'InvalidRequestError')
        assert.deepEqual(
          error.issues?.map((issue) => issue.path),
          ['authorization_code', 'service_id', 'sub_mchid', 'reason'],
        )
        return true
      },
    )
    await assert.rejects(handler('text', lambdaContext()), { name: 'InvalidRequestError' })
    assert.equal(stack.simulator.requests.length, before)
  })
})
