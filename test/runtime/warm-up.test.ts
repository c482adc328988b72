/**
 * What a container starts during Lambda's initialization, so that the first call waits for less:
 * the merchant secret's fetch (warmUp) and the connection to WeChat Pay (connectAhead, and warmUp
 * again at the end of loading). Against the real stand-ins and real local servers.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { after, before, describe, it, type TestContext } from 'node:test'
import { ConfigError } from '../../functions/runtime/config.ts'
import { connectAhead } from '../../functions/runtime/connect-ahead.ts'
import { warmUp } from '../../functions/runtime/service.ts'
import { httpEvent, lambdaContext } from '../helpers/lambda.ts'
import { freshCode, type Stack, startStack, VALID } from '../helpers/stack.ts'
import { until } from '../helpers/wait.ts'

/** An HTTP server counting the connections made to it, closed with the test. */
async function countingServer(t: TestContext) {
  const server = createServer((_request, response) => response.writeHead(204).end())
  let connections = 0
  server.on('connection', () => {
    connections += 1
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections: () => connections,
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100))

describe('warm-up during initialization', () => {
  let stack: Stack
  before(async () => {
    stack = await startStack()
  })
  after(() => stack.close())
  const secretReads = () =>
    stack.secretsManager.calls.filter((call) => call.operation === 'GetSecretValue').length

  it('fetches the merchant secret before the first call, which then uses it without fetching again', async () => {
    const container = stack.container({}, { quiet: true })
    const before = secretReads()
    container.service.warmUp()
    await until(() => secretReads() - before === 1, 'the secret fetched during initialization')
    const response = await container.http(httpEvent(freshCode(), VALID), lambdaContext())
    assert.equal(response.statusCode, 200)
    assert.equal(secretReads() - before, 1, 'and not again by the first call')
  })

  it('leaves a bad environment to the first call: warmUp never throws', () => {
    assert.doesNotThrow(() =>
      warmUp(() => {
        throw new ConfigError('MERCHANT_SECRET_ID', 'MERCHANT_SECRET_ID must name the merchant secret')
      }),
    )
  })
})

describe('the connection to WeChat Pay, opened as the bundle starts to load', () => {
  it('connects to WECHATPAY_BASE_URL when the function is configured', async (t) => {
    const server = await countingServer(t)
    await connectAhead({ MERCHANT_SECRET_ID: 'payscore-terminate/merchant', WECHATPAY_BASE_URL: server.url })
    await settle()
    assert.equal(server.connections(), 1)
  })

  it('connects nowhere in a process that is not a configured function (tests, tools)', async (t) => {
    const server = await countingServer(t)
    await connectAhead({ WECHATPAY_BASE_URL: server.url })
    await connectAhead({ MERCHANT_SECRET_ID: 'x', WECHATPAY_BASE_URL: `${server.url}/a/path` })
    await settle()
    assert.equal(server.connections(), 0)
  })
})
