import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BuildOptions, build } from 'esbuild'

const ROOT = new URL('../../', import.meta.url).pathname

/** The production bundles in a fresh temporary folder, with what they are made of. */
export interface Bundle {
  dir: string
  http: string
  queue: string
  /** Our WeChat Pay client alone (client-entry.ts), for the like-for-like cold start. */
  client: string
  /** http.mjs again with a linked source map (no sources), as serverless.yml deploys it. */
  mappedHttp: string
  /** Bytes of http.mjs, and how many of them the AWS SDK (@aws-sdk/*, @smithy/*) takes. */
  httpBytes: number
  httpSdkBytes: number
}

const OPTIONS = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
} satisfies BuildOptions

/**
 * Builds the handlers the way serverless-esbuild packages them for Lambda (the options serverless.yml
 * gives it): one minified ESM file per handler, everything bundled, with `require` restored for the
 * CommonJS dependencies.
 */
export async function buildBundle(): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), 'payscore-bench-'))
  const mapped = join(dir, 'mapped')
  await build({
    ...OPTIONS,
    entryPoints: { http: join(ROOT, 'functions/http.ts') },
    outdir: mapped,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
  })
  const result = await build({
    ...OPTIONS,
    entryPoints: {
      http: join(ROOT, 'functions/http.ts'),
      queue: join(ROOT, 'functions/queue.ts'),
      client: join(ROOT, 'test/bench/client-entry.ts'),
    },
    outdir: dir,
    metafile: true,
  })
  const http = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith('http.mjs'))![1]
  const sdkBytes = Object.entries(http.inputs)
    .filter(([path]) => /node_modules\/(@aws-sdk|@smithy)\//.test(path))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0)
  return {
    dir,
    http: join(dir, 'http.mjs'),
    queue: join(dir, 'queue.mjs'),
    client: join(dir, 'client.mjs'),
    mappedHttp: join(mapped, 'http.mjs'),
    httpBytes: http.bytes,
    httpSdkBytes: sdkBytes,
  }
}
