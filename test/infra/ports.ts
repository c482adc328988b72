import { once } from 'node:events'
import { createServer } from 'node:net'
import type { SandboxPorts } from '../../infra/local/sandbox.ts'

/** Ports the OS picked as free (port 0), released for a sandbox to take. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer().listen(0, '127.0.0.1')
      await once(server, 'listening')
      return server
    }),
  )
  const ports = servers.map((server) => (server.address() as { port: number }).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/**
 * Ports for startSandbox(): 0 (any free port, bound by the sandbox itself: no race) for all but the
 * HTTP API's, which serverless-offline must be told, picked free.
 */
export async function freeSandboxPorts(): Promise<SandboxPorts> {
  const [http] = (await freePorts(1)) as [number]
  return { http, lambda: 0, wechatpay: 0, secretsManager: 0, eventBridge: 0 }
}

/**
 * Five fixed ports per `npm start` (SANDBOX_PORTS names real ports), for runs started at once:
 * picked while all are held so that no two sets share a port (a port just released can be the next
 * one picked, before its sandbox has bound it).
 */
export async function freeSandboxPortSets(count: number): Promise<SandboxPorts[]> {
  const ports = await freePorts(5 * count)
  return Array.from({ length: count }, (_, index) => {
    const [http, lambda, wechatpay, secretsManager, eventBridge] = ports.slice(5 * index, 5 * index + 5) as [
      number,
      number,
      number,
      number,
      number,
    ]
    return { http, lambda, wechatpay, secretsManager, eventBridge }
  })
}

/** Whether something can listen on the port again (nothing holds it). */
export async function bindable(port: number): Promise<boolean> {
  const server = createServer()
  try {
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    return true
  } catch {
    return false
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve))
  }
}
