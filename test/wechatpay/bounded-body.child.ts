/**
 * Run by bounded-body.test.ts in its own process (`node --expose-gc`), so that the memory measured
 * is the client's alone: one call to `${argv[2]}/warmup` loads the transport, zlib and the client's code, then one
 * call to `${argv[2]}${argv[3]}`. Prints one JSON line: the call's error code and status, and how far
 * the resident set grew (now and at its peak) over what it was just before the call.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createClient } from '../../functions/wechatpay/client.ts'
import { WechatPayError } from '../../functions/wechatpay/errors.ts'
import { createNonceRecord } from '../../functions/wechatpay/replay.ts'
import { createSigner } from '../../functions/wechatpay/signer.ts'
import { createVerifier } from '../../functions/wechatpay/verifier.ts'

const [baseUrl, path] = process.argv.slice(2) as [string, string]
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 })
const client = createClient({
  signer: createSigner({ mchid: '1900000100', serialNo: 'ABCDEF', privateKey: keys.privateKey }),
  verifier: createVerifier({
    publicKey: { id: 'PUB_KEY_ID_1', key: keys.publicKey },
    nonces: createNonceRecord(),
  }),
  baseUrl,
  backupUrl: null,
  maxAttempts: 1,
})

async function outcome(target: string) {
  try {
    await client.call('POST', target, { deadline: Date.now() + 30_000, body: { a: 1 } })
    return { code: 'OK', status: undefined }
  } catch (error) {
    if (!(error instanceof WechatPayError)) throw error
    return { code: error.code, status: error.status }
  }
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')
await outcome('/warmup')
gc()
const before = process.memoryUsage().rss
const result = await outcome(path)
const after = process.memoryUsage().rss
// maxRSS (KiB) is the peak of the process's whole life: at least the peak during the call.
const peak = process.resourceUsage().maxRSS * 1024
process.stdout.write(`${JSON.stringify({ ...result, growth: after - before, peakGrowth: peak - before })}\n`)
