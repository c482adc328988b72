/**
 * Collects what the function writes while `work` runs (Powertools writes one JSON object per line:
 * info to stdout, warnings and errors to stderr), still passing it through.
 */
export async function captureLogs<T>(
  work: () => Promise<T>,
): Promise<{ result: T; lines: Array<Record<string, unknown>> }> {
  const chunks: string[] = []
  const streams = [process.stdout, process.stderr]
  const writes = streams.map((stream) => stream.write.bind(stream))
  streams.forEach((stream, index) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
      return (writes[index] as (...args: unknown[]) => boolean)(chunk, ...rest)
    }) as typeof stream.write
  })
  try {
    const result = await work()
    // Per chunk: the test runner interleaves its own binary frames on stdout.
    return { result, lines: chunks.flatMap((chunk) => chunk.split('\n')).flatMap(parseLine) }
  } finally {
    streams.forEach((stream, index) => {
      stream.write = writes[index] as typeof stream.write
    })
  }
}

function parseLine(line: string): Array<Record<string, unknown>> {
  if (!line.startsWith('{')) return []
  try {
    return [JSON.parse(line) as Record<string, unknown>]
  } catch {
    return []
  }
}
