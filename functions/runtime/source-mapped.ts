import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A stack frame's location in a bundle: the file (path or file: URL), line and column. */
const LOCATION = /((?:file:\/\/)?\/[^\s():]+\.[cm]?js):(\d+):(\d+)/g

const maps = new Map<string, SourceMap | undefined>()

/**
 * The source map linked from the end of `file` (`//# sourceMappingURL=http.mjs.map`, as
 * serverless.yml builds the bundles), parsed once; undefined when there is none or it cannot be read.
 */
function mapOf(file: string): SourceMap | undefined {
  if (maps.has(file)) return maps.get(file)
  let map: SourceMap | undefined
  try {
    const path = file.startsWith('file:') ? fileURLToPath(file) : file
    const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path, 'utf8'))?.[1]
    if (link && !link.startsWith('data:')) {
      map = new SourceMap(JSON.parse(readFileSync(join(dirname(path), link), 'utf8')))
    }
  } catch {
    map = undefined
  }
  maps.set(file, map)
  return map
}

/**
 * `stack` with each bundle location replaced by the TypeScript source it was built from
 * (`functions/http.ts:42:11`), as `--enable-source-maps` would print it. With that flag Node reads
 * the map on every cold start, whether an error ever happens or not (a context row of
 * docs/BENCHMARKS.md); this reads it when the first unexpected error is logged. A location without
 * a map, or a map without that location, is left as it is.
 */
export function sourceMappedStack(stack: string): string {
  return stack.replace(LOCATION, (location, file: string, line: string, column: string) => {
    const entry = mapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1)
    if (!entry || !('originalSource' in entry)) return location
    // Sources are named relative to where the bundle was built: keep the project's own path.
    const source = entry.originalSource.replace(/^(?:\.\.\/|\.\/)+/, '').replace(/^file:\/\//, '')
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
  })
}
