import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type Socket } from 'node:net'

export interface LatencyOptions {
  /**
   * A distant server: every chunk of each answer is held this long, in order; requests and new
   * connections pass at once, so each request takes exactly this much longer.
   */
  answerDelayMs?: number
  /**
   * A real network: each direction takes half of this, and a new connection's first bytes also
   * wait a whole round trip for the TCP handshake they could not have been sent before. TLS pays
   * its round trips by itself, as the bytes of its handshake cross.
   */
  roundTripMs?: number
}

/** What crossed the proxy: connections opened, and round trips (TCP handshakes and answered turns). */
export interface ProxyStats {
  connections: number
  /** One per TCP handshake, plus one each time the server speaks after the client did. */
  roundTrips: number
  /** When the last connection was accepted (epoch ms): when a client opened it, to a millisecond. */
  lastConnectionAt: number
}

export interface LatencyProxy {
  url: string
  stats: ProxyStats
  close(): Promise<void>
}

/** Writes chunks in order, each no sooner than its time: one timer per direction, never reordered. */
function delayedWriter(write: (chunk: Buffer) => void, end: () => void) {
  const queue: Array<{ at: number; chunk: Buffer | null }> = []
  let waiting = false
  const wait = (until: number) => {
    waiting = true
    setTimeout(drain, until - performance.now())
  }
  const drain = () => {
    waiting = false
    while (queue.length > 0 && queue[0]!.at <= performance.now()) {
      const { chunk } = queue.shift()!
      if (chunk) write(chunk)
      else end()
    }
    if (queue.length > 0) wait(queue[0]!.at)
  }
  return (at: number, chunk: Buffer | null) => {
    if (queue.length === 0 && at <= performance.now()) {
      if (chunk) write(chunk)
      else end()
      return
    }
    queue.push({ at, chunk })
    if (!waiting) wait(at)
  }
}

/**
 * A loopback TCP proxy in front of `target` that makes it look far away (see LatencyOptions), and
 * counts the round trips that crossed it.
 */
export async function startLatencyProxy(target: string, options: LatencyOptions): Promise<LatencyProxy> {
  const { hostname, port } = new URL(target)
  const answerDelay = options.answerDelayMs ?? 0
  const roundTrip = options.roundTripMs ?? 0
  const oneWay = roundTrip / 2
  const stats: ProxyStats = { connections: 0, roundTrips: 0, lastConnectionAt: 0 }
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  const server = createServer((client) => {
    const accepted = performance.now()
    stats.connections += 1
    stats.lastConnectionAt = Date.now()
    if (roundTrip > 0) stats.roundTrips += 1
    const upstream = connect(Number(port), hostname)
    track(client)
    track(upstream)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    let clientSpoke = false
    const toServer = delayedWriter(
      (chunk) => upstream.write(chunk),
      () => upstream.end(),
    )
    const toClient = delayedWriter(
      (chunk) => {
        if (!client.destroyed) client.write(chunk)
      },
      () => client.end(),
    )
    const upAt = () => (roundTrip > 0 ? Math.max(performance.now(), accepted + roundTrip) + oneWay : 0)
    const downAt = () => performance.now() + oneWay + answerDelay
    client.on('data', (chunk: Buffer) => {
      clientSpoke = true
      toServer(upAt(), chunk)
    })
    client.on('end', () => toServer(upAt(), null))
    upstream.on('data', (chunk: Buffer) => {
      if (clientSpoke) stats.roundTrips += roundTrip > 0 ? 1 : 0
      clientSpoke = false
      toClient(downAt(), chunk)
    })
    upstream.on('end', () => toClient(downAt(), null))
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop)
    upstream.on('error', drop)
    client.on('close', drop)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address() as AddressInfo
  return {
    url: `${new URL(target).protocol}//127.0.0.1:${address.port}`,
    stats,
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}
