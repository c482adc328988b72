import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
import { secretsManagerClient } from '../../functions/runtime/service.ts'
import { captureLogs } from '../helpers/logs.ts'

describe("the container's Secrets Manager client", () => {
  it('gives up on a Secrets Manager that accepts the connection and never answers', async (t) => {
    const sockets = new Set<Socket>()
    let connections = 0
    const server = createServer((socket) => {
      connections += 1
      sockets.add(socket)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    })
    const { port } = server.address() as { port: number }
    const client = secretsManagerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    })
    t.after(() => client.destroy())
    const started = Date.now()
    const { result: error, lines } = await captureLogs(() =>
      client
        .send(new GetSecretValueCommand({ SecretId: 'x' }), { abortSignal: AbortSignal.timeout(20_000) })
        .then(
          () => undefined,
          (caught: unknown) => caught as Error,
        ),
    )
    const elapsed = Date.now() - started
    assert.ok(error, 'the call fails')
    assert.notEqual(error.name, 'AbortError', 'it is the request timeout, not our 20 s safety net')
    assert.ok(connections >= 1)
    // Two attempts of 1.5 s each, plus the SDK's backoff between them.
    assert.ok(elapsed < 4_500, `gave up after ${elapsed} ms`)
    assert.ok(elapsed >= 2_900, `waited the request timeout twice (${elapsed} ms)`)
    assert.equal(connections, 2)
    assert.deepEqual(
      lines.filter((line) => !('level' in line)),
      [],
      'no unstructured warning line',
    )
  })
})
