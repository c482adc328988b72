/** `npm start`'s ports: fixed by default, moved by SANDBOX_PORTS (tests run several sandboxes at once). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sandboxPorts } from '../../infra/local/sandbox.ts'

describe('SANDBOX_PORTS', () => {
  it('moves the four ports, in the order HTTP, Lambda, simulator, Secrets Manager', () => {
    assert.deepEqual(sandboxPorts(undefined), {
      http: 3000,
      lambda: 3002,
      wechatpay: 3010,
      secretsManager: 3020,
    })
    assert.deepEqual(sandboxPorts('4000, 4002,4010,4020'), {
      http: 4000,
      lambda: 4002,
      wechatpay: 4010,
      secretsManager: 4020,
    })
  })

  it('refuses anything but four different ports, naming the variable', () => {
    for (const value of [
      '4000,4002,4010',
      '4000,4002,4010,4010',
      '4000,x,4010,4020',
      '0,1,2,3',
      '1,2,3,70000',
    ]) {
      assert.throws(() => sandboxPorts(value), /^Error: SANDBOX_PORTS must be four different ports/)
    }
  })
})
