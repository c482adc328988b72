import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type BuildOptions, build } from 'esbuild'

const ROOT = new URL('../../', import.meta.url).pathname

/** The production bundles in a fresh temporary folder, with what they are made of and how they run. */
export interface Bundle {
  dir: string
  http: string
  queue: string
  /** Our WeChat Pay client alone (client-entry.ts), for the like-for-like cold start. */
  client: string
  /** The do-it-yourself handler (diy-handler.ts), CommonJS: see buildBundle. */
  diy: string
  /** The same, with our own build options' alias too (lambda-credentials.ts): a context row. */
  diyAliased: string
  /** Bytes of http.mjs, and how many of them the AWS SDK (@aws-sdk/*, @smithy/*) takes. */
  httpBytes: number
  httpSdkBytes: number
  /** serverless.yml's provider NODE_OPTIONS: how the deployed functions start ('' when unset). */
  nodeOptions: string
  /** serverless.yml's memory size of each function, MB. */
  memoryMb: Record<string, number>
}

/** What `serverless print` says of the service: the esbuild options and how the functions run. */
interface Service {
  custom: { esbuild: Record<string, unknown> }
  provider: { environment?: Record<string, unknown>; memorySize?: number }
  functions: Record<string, { memorySize?: number }>
}

async function printService(): Promise<Service> {
  const { stdout } = await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/serverless'),
    ['print', '--format', 'json'],
    {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  return JSON.parse(stdout) as Service
}

/** serverless-esbuild's options as esbuild takes them (the plugin renames and drops a few). */
function esbuildOptions(options: Record<string, unknown>): BuildOptions {
  // outputWorkFolder is serverless-esbuild's own (where it builds), not an esbuild option.
  const { outputFileExtension, exclude, outputWorkFolder: _workFolder, ...rest } = options
  return {
    ...rest,
    external: exclude as string[],
    outExtension: { '.js': String(outputFileExtension ?? '.js') },
    // serverless-esbuild resolves relative aliases from the service folder.
    alias: Object.fromEntries(
      Object.entries((rest.alias as Record<string, string>) ?? {}).map(([name, path]) => [
        name,
        path.startsWith('.') ? join(ROOT, path) : path,
      ]),
    ),
    logLevel: 'warning',
  }
}

/**
 * Builds the handlers as `serverless package` does, with the options serverless.yml gives
 * serverless-esbuild (read with `serverless print`, so the two cannot drift): one minified file per
 * handler, everything bundled, its source map beside it. The cold starts run with serverless.yml's
 * NODE_OPTIONS (`nodeOptions`), as Lambda would.
 */
export async function buildBundle(): Promise<Bundle> {
  const dir = await mkdtemp(join(tmpdir(), 'payscore-bench-'))
  const service = await printService()
  const options = esbuildOptions(service.custom.esbuild)
  const result = await build({
    ...options,
    entryPoints: {
      http: join(ROOT, 'functions/http.ts'),
      queue: join(ROOT, 'functions/queue.ts'),
      client: join(ROOT, 'test/bench/client-entry.ts'),
    },
    outdir: dir,
    metafile: true,
  })
  // The plugin assigns to a getter-only static property (`module.exports.default = ...`), which
  // strict mode refuses at load: a user bundles it in the format it is written in, CommonJS, and
  // without the "use strict" our tsconfig's strictness would put at the top of the whole bundle.
  const diy = {
    ...options,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    banner: {},
    alias: {},
    tsconfigRaw: {},
  } as const
  await build({ ...diy, entryPoints: { diy: join(ROOT, 'test/bench/diy-handler.ts') }, outdir: dir })
  await build({
    ...diy,
    alias: options.alias ?? {},
    entryPoints: { 'diy-aliased': join(ROOT, 'test/bench/diy-handler.ts') },
    outdir: dir,
  })
  const http = Object.entries(result.metafile.outputs).find(([output]) => output.endsWith('http.mjs'))![1]
  const sdkBytes = Object.entries(http.inputs)
    .filter(([input]) => /node_modules\/(@aws-sdk|@smithy)\//.test(input))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0)
  const memory = (name: string) => service.functions[name]?.memorySize ?? service.provider.memorySize ?? 1024
  return {
    dir,
    http: join(dir, 'http.mjs'),
    queue: join(dir, 'queue.mjs'),
    client: join(dir, 'client.mjs'),
    diy: join(dir, 'diy.cjs'),
    diyAliased: join(dir, 'diy-aliased.cjs'),
    httpBytes: http.bytes,
    httpSdkBytes: sdkBytes,
    nodeOptions: String(service.provider.environment?.NODE_OPTIONS ?? ''),
    memoryMb: Object.fromEntries(Object.keys(service.functions).map((name) => [name, memory(name)])),
  }
}
