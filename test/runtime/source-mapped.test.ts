import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { sourceMappedStack } from '../../functions/runtime/source-mapped.ts'

/** The error a minified bundle (built as serverless.yml builds ours, linked map beside it) throws. */
async function bundledError(t: import('node:test').TestContext, sourcemap: 'linked' | false) {
  const dir = await mkdtemp(join(tmpdir(), 'payscore-source-map-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const entry = join(dir, 'entry.ts')
  await writeFile(
    entry,
    [
      'export function fail(reason: string): never {',
      "  const message = 'failed: ' + reason",
      '  throw new Error(message)',
      '}',
      '',
    ].join('\n'),
  )
  await build({
    entryPoints: { out: entry },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    sourcemap,
    sourcesContent: false,
    logLevel: 'error',
  })
  const { fail } = (await import(pathToFileURL(join(dir, 'out.mjs')).href)) as { fail(reason: string): never }
  try {
    fail('on purpose')
  } catch (error) {
    return String((error as Error).stack)
  }
  throw new Error('the bundle did not throw')
}

describe('unexpected errors: stacks name the TypeScript sources, without --enable-source-maps', () => {
  it("maps a minified bundle's frame to its source file, line and column", async (t) => {
    const stack = await bundledError(t, 'linked')
    assert.match(stack, /out\.mjs:1:\d+/, 'the raw stack points into the bundle')
    const mapped = sourceMappedStack(stack)
    assert.match(mapped, /entry\.ts:3:9\b/, mapped)
    assert.doesNotMatch(mapped.split('\n')[1] ?? '', /out\.mjs/)
    assert.equal(mapped.split('\n')[0], 'Error: failed: on purpose')
  })

  it('leaves a bundle without a source map, and frames of other files, as they are', async (t) => {
    const stack = await bundledError(t, false)
    assert.equal(sourceMappedStack(stack), stack)
    const elsewhere =
      'Error: x\n    at f (node:internal/process/task_queues:95:5)\n    at g (/nowhere/gone.mjs:1:2)'
    assert.equal(sourceMappedStack(elsewhere), elsewhere)
  })
})
