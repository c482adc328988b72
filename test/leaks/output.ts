import assert from 'node:assert/strict'
import { type KnownValues, scanLines } from './scanner.ts'

/** Powertools' JSON lines, and the plain warning its Metrics prints when an invocation added none. */
const isLogLine = (line: string) =>
  line.startsWith('{') || line.startsWith('No application metrics to publish')

export interface OutputWatch {
  /** Every text line written to stdout or stderr since the watch started. */
  readonly lines: string[]
  /** Restores the streams (idempotent). */
  stop(): void
  /** Fails with the redacted findings when any line leaks; returns the number of lines scanned. */
  assertNoLeaks(known?: KnownValues): number
}

/**
 * Records what this process writes (the handlers' Powertools logs: one JSON object per line) so a
 * test can scan it with the exact codes and secrets it used. `quiet` keeps JSON log lines off the
 * terminal (the fuzz and load tests write thousands); anything else, and the test runner's own
 * binary frames, pass through untouched.
 */
export function watchOutput(options: { quiet?: boolean } = {}): OutputWatch {
  const lines: string[] = []
  const streams = [process.stdout, process.stderr]
  const writes = streams.map((stream) => stream.write.bind(stream))
  streams.forEach((stream, index) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      // The runner's frames are binary; logs arrive as strings, one or more whole lines each.
      if (typeof chunk !== 'string') return (writes[index] as (...args: unknown[]) => boolean)(chunk, ...rest)
      const chunkLines = chunk.split('\n').filter((line) => line !== '')
      lines.push(...chunkLines)
      if (options.quiet && chunkLines.every(isLogLine)) {
        const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined
        callback?.()
        return true
      }
      return (writes[index] as (...args: unknown[]) => boolean)(chunk, ...rest)
    }) as typeof stream.write
  })
  let stopped = false
  return {
    lines,
    stop() {
      if (stopped) return
      stopped = true
      streams.forEach((stream, index) => {
        stream.write = writes[index] as typeof stream.write
      })
    },
    assertNoLeaks: (known = {}) => assertNoLeaks(lines, known),
  }
}

/** Fails with the redacted findings when any line leaks; returns the number of lines scanned. */
export function assertNoLeaks(lines: readonly string[], known: KnownValues = {}): number {
  const findings = scanLines(lines, known)
  assert.equal(
    findings.length,
    0,
    `${findings.length} leaks in ${lines.length} log lines:\n${findings
      .slice(0, 20)
      .map((finding) => `  ${finding.rule}: ${finding.excerpt}`)
      .join('\n')}`,
  )
  return lines.length
}
