import { Console } from 'node:console'
import { Writable } from 'node:stream'

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

/** What a container's Console received: the functions' log lines and EMF metrics. */
export interface CapturedLogs {
  /** Hand it to createObservability({ console }). */
  readonly console: Console
  /** Every text line written so far. */
  text(): string[]
  /** Every JSON line written so far, parsed. */
  lines(): Array<Record<string, unknown>>
  /** The JSON lines of one invocation (Powertools adds the Lambda request id to each). */
  of(awsRequestId: string): Array<Record<string, unknown>>
  /** Runs `work` and returns its result with the JSON lines written meanwhile. */
  during<T>(work: () => Promise<T>): Promise<{ result: T; lines: Array<Record<string, unknown>> }>
}

/**
 * A Console for a container's logs and metrics that records every line and passes it on to this
 * process's stdout / stderr (so the leak-scanning reporter still reads it), unless `quiet` (the fuzz
 * and load tests write thousands of lines).
 */
export function captureConsole(options: { quiet?: boolean } = {}): CapturedLogs {
  const text: string[] = []
  const sink = (stream: NodeJS.WriteStream) =>
    new Writable({
      // Recorded at once, so that a line is readable as soon as the function returned.
      write(chunk: Buffer | string, _encoding, callback) {
        const value = chunk.toString()
        text.push(...value.split('\n').filter((line) => line !== ''))
        if (!options.quiet) stream.write(value)
        callback()
      },
    })
  const console = new Console({ stdout: sink(process.stdout), stderr: sink(process.stderr) })
  const lines = () => text.flatMap(parseLine)
  return {
    console,
    text: () => [...text],
    lines,
    of: (awsRequestId) => lines().filter((line) => line.function_request_id === awsRequestId),
    async during(work) {
      const mark = text.length
      const result = await work()
      return { result, lines: text.slice(mark).flatMap(parseLine) }
    },
  }
}
