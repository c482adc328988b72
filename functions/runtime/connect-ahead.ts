/**
 * Imported first by each entry point, so that it runs before the rest of the bundle is evaluated:
 * opens the container's connection to WeChat Pay (connections.ts keeps it for the first request)
 * and lets the event loop turn once. Node only sends a connection's first packet (or, for a host
 * name, starts its DNS lookup) when the loop turns, and evaluating the rest of the bundle keeps it
 * busy for tens of milliseconds: this way the TCP handshake crosses the network meanwhile, and the
 * first request waits for one round trip less (docs/BENCHMARKS.md, figure 3). Only a configured
 * function connects (MERCHANT_SECRET_ID set and the environment valid); tests and tools that import
 * an entry point do not.
 */
import { defaultTransport } from '../wechatpay/transport.ts'
import { readConfig } from './config.ts'

export async function connectAhead(env: Record<string, string | undefined> = process.env): Promise<void> {
  let baseUrl: string
  try {
    baseUrl = readConfig(env).wechatpayBaseUrl
  } catch {
    return // The first call reads the environment again and logs what is wrong with it.
  }
  defaultTransport().preconnect(baseUrl)
  await new Promise((resolve) => setImmediate(resolve))
}

await connectAhead()
