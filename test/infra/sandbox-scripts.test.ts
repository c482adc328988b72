/**
 * sandbox:event and sandbox:notify, run where no sandbox listens, and the commands the banner gives
 * for them (infra/local/banner.ts). test/infra/sandbox.test.ts and sandbox-direct.test.ts paste the
 * banner's commands into a shell against a running sandbox.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import { sandboxCommand } from '../../infra/local/banner.ts'
import { SANDBOX_PORTS } from '../../infra/local/ports.ts'
import { freePorts } from './ports.ts'
import { shell } from './shell.ts'

describe('sandbox:event and sandbox:notify with no sandbox', () => {
  for (const [script, args, port] of [
    ['sandbox:event', 'demo_1', 1],
    ['sandbox:notify', 'close demo_1', 2],
  ] as const) {
    it(`${script}: says no sandbox answers on its port, exit 1, no stack`, async () => {
      // Picked free and released: nothing listens there.
      const ports = await freePorts(4)
      const run = await shell(`npm run -s ${script} -- ${args}`, { SANDBOX_PORTS: ports.join(',') })
      assert.equal(run.code, 1, run.stderr)
      assert.match(
        run.stderr,
        new RegExp(
          `^no sandbox answers at http://127\\.0\\.0\\.1:${ports[port]} \\(ECONNREFUSED\\): is npm start running\\?`,
        ),
      )
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
      assert.doesNotMatch(run.stderr, /^\s+at /m)
    })
  }
})

describe('sandbox:event where something else answers', () => {
  it('says what answered, exit 1, no stack', async (t) => {
    const server = createServer((_request, response) => response.writeHead(404).end())
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.after(() => new Promise((resolve) => server.close(resolve)))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const run = await shell('npm run -s sandbox:event -- demo_1', { SANDBOX_LAMBDA_URL: url })
    assert.equal(run.code, 1, run.stderr)
    assert.match(run.stderr, new RegExp(`^the Lambda invoke API at ${url} answered 404: `))
    assert.doesNotMatch(run.stderr, /^\s+at /m)
  })
})

describe("the banner's commands", () => {
  it("name no variable on npm start's ports in partner mode", () => {
    const sandbox = { mode: 'partner', ports: SANDBOX_PORTS } as const
    assert.equal(sandboxCommand(sandbox, 'sandbox:event', 'x'), 'npm run sandbox:event -- x')
    assert.equal(sandboxCommand(sandbox, 'sandbox:notify', 'close x'), 'npm run sandbox:notify -- close x')
  })

  it('carry the ports when any moved, and the mode for an event in direct mode', () => {
    const ports = { ...SANDBOX_PORTS, eventBridge: 45_678 }
    assert.equal(
      sandboxCommand({ mode: 'direct', ports }, 'sandbox:event', 'x'),
      'SANDBOX_PORTS=3000,3002,3010,3020,45678 WECHATPAY_MODE=direct npm run sandbox:event -- x',
    )
    assert.equal(
      sandboxCommand({ mode: 'direct', ports: SANDBOX_PORTS }, 'sandbox:notify', 'open x'),
      'npm run sandbox:notify -- open x',
    )
  })
})
