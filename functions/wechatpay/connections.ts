import type { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { createRequire } from 'node:module'
import { createConnection, type NetConnectOpts, type Socket } from 'node:net'

/**
 * node:http by require, not import: its ES module facade reads every export, and three of them
 * (WebSocket, CloseEvent, MessageEvent) load undici, about 20 ms that the connection opened ahead
 * (runtime/connect-ahead.ts) would otherwise wait for.
 */
export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http')

export interface ConnectionOptions {
  /** TCP and TLS together must be done within this; otherwise the connection fails (a failover). */
  connectTimeoutMs: number
  /** An idle connection is closed after this long (WeChat closes them after 8 s: we go first). */
  idleTimeoutMs: number
  /** Extra trusted certificates (tests); the system's are always trusted, and always checked. */
  ca?: string | undefined
}

/** What the agent hands `createConnection` (Node passes its request options on). */
interface ConnectOptions {
  host?: string | null
  port?: number | string | null
  servername?: string
  /** The agent's own key of a connection's TLS parameters: where https.Agent caches TLS sessions. */
  _agentKey?: string
  /** An established TCP connection for TLS to run on (tls.connect's option). */
  socket?: Socket
}

/** The connection could not be established in time: a network failure, as a refusal is. */
export class ConnectTimeoutError extends Error {
  override readonly name = 'ConnectTimeoutError'
  readonly code = 'CONNECT_TIMEOUT'
}

/** An agent that keeps connections alive, times out connecting, and can open one ahead of need. */
export type Connections = HttpAgent & {
  /** Opens a connection (TCP, and TLS for https) to host:port now; the next request there uses it. */
  preconnect(host: string, port: number): void
}

/**
 * A keep-alive agent for one protocol. Node's agent already reuses idle connections (most recent
 * first), closes them after `timeout` or a second before the server's `Keep-Alive: timeout=` hint,
 * and (https) caches TLS sessions for resumption. Added here: every new connection gets a connect
 * timeout, and `preconnect()` opens one ahead of the first request (during initialization, while
 * the secret is fetched), kept until `idleTimeoutMs` passes by the wall clock, so that one kept
 * across a frozen Lambda sandbox is not used.
 */
export function createConnections(secure: boolean, options: ConnectionOptions): Connections {
  const settings = {
    keepAlive: true,
    timeout: options.idleTimeoutMs,
    scheduling: 'lifo' as const,
    noDelay: true,
    ...(options.ca ? { ca: options.ca } : {}),
  }
  const agent = (secure ? new HttpsAgent(settings) : new http.Agent(settings)) as Connections
  const connect = agent.createConnection.bind(agent) as (options: ConnectOptions) => Socket
  /** Connections opened ahead, by host:port: `opened()` gives the socket a request can take. */
  const ready = new Map<string, { opened: () => Socket; openedAt: number; timer: NodeJS.Timeout }>()

  const timed = (socket: Socket) => {
    const timer = setTimeout(
      () => socket.destroy(new ConnectTimeoutError(`no connection within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    )
    socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer))
    socket.once('close', () => clearTimeout(timer))
    return socket
  }
  const endpoint = (connectOptions: ConnectOptions) => `${connectOptions.host}:${connectOptions.port}`

  agent.createConnection = ((connectOptions: ConnectOptions) => {
    const ahead = ready.get(endpoint(connectOptions))
    if (ahead) {
      ready.delete(endpoint(connectOptions))
      clearTimeout(ahead.timer)
      const socket = ahead.opened().off('error', ignore)
      if (!socket.destroyed && Date.now() - ahead.openedAt < options.idleTimeoutMs) return socket.ref()
      socket.destroy()
    }
    return timed(connect(connectOptions))
  }) as HttpAgent['createConnection']

  agent.preconnect = (host, port) => {
    const connectOptions: ConnectOptions = { ...settings, host, port }
    if (secure && !/^[\d.]+$|:/.test(host)) connectOptions.servername = host
    connectOptions._agentKey = agent.getName(connectOptions)
    const key = endpoint(connectOptions)
    if (ready.has(key) || agent.freeSockets[connectOptions._agentKey]?.length) return
    // TCP first: its first packet leaves when the event loop next turns. TLS is set up on it then
    // (a process's first TLS connection builds the trusted-certificate store: about 5 ms), while
    // the TCP handshake crosses the network, instead of before.
    const tcp = createConnection(connectOptions as NetConnectOpts)
    let socket = tcp
    const tls = () => {
      if (socket !== tcp || !secure) return socket
      socket = timed(connect({ ...connectOptions, socket: tcp })).unref()
      return socket.on('error', ignore)
    }
    // Until a request takes it, its errors are nobody's: the request finds it destroyed instead.
    if (secure) setImmediate(tls)
    else timed(tcp)
    tcp.unref().on('error', ignore)
    const timer = setTimeout(() => {
      if (ready.get(key)?.timer !== timer) return
      ready.delete(key)
      tls().destroy()
    }, options.idleTimeoutMs).unref()
    ready.set(key, { opened: tls, openedAt: Date.now(), timer })
  }
  return agent
}

function ignore() {}
