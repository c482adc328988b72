import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { withErrorName } from '../../infra/local/invoke-proxy.ts'

const unhandled = (fields: Record<string, unknown>) =>
  JSON.stringify({ errorMessage: 'invalid request: reason is required', errorType: 'Error', ...fields })

describe("the sandbox's invoke API names unhandled errors as AWS does", () => {
  it("takes the name from the error's own stack line", () => {
    const payload = unhandled({
      trace: ['InvalidRequestError: invalid request: reason is required', '    at parseTerminateInput (...)'],
    })
    assert.deepEqual(JSON.parse(withErrorName(payload)), {
      ...JSON.parse(payload),
      errorType: 'InvalidRequestError',
    })
  })

  it('an error without a message is named too', () => {
    assert.equal(
      JSON.parse(withErrorName(unhandled({ trace: ['TypeError', '    at x'] }))).errorType,
      'TypeError',
    )
  })

  it('leaves alone what it cannot read: no trace, no name in it, not JSON, a name already given', () => {
    for (const payload of [
      unhandled({}),
      unhandled({ trace: ['    at somewhere'] }),
      unhandled({ trace: 'InvalidRequestError: not an array' }),
      '{"errorType":',
      JSON.stringify({ errorType: 'ResourceNotFoundException', trace: ['Error: x'] }),
      'null',
    ]) {
      assert.equal(withErrorName(payload), payload)
    }
  })
})
