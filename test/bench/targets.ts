/**
 * What `npm run bench` decides once the table is built: which targets were missed, the one line
 * that says so, and the exit status (1 when any is missed, so a script or CI can act on it). And its
 * command line: docs/BENCHMARKS.md is tracked, so it is rewritten only when asked with `--write`.
 */
import { parseArgs } from 'node:util'
import { formatTable, type Row } from './report.ts'

export const USAGE = 'usage: npm run bench [-- --write]   (--write also rewrites docs/BENCHMARKS.md)'

export function benchOptions(args: readonly string[]): { write: boolean } {
  try {
    const { values } = parseArgs({ args: [...args], options: { write: { type: 'boolean' } }, strict: true })
    return { write: values.write ?? false }
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`)
  }
}

export interface Judgement {
  misses: Row[]
  /** One line for the end of the output. */
  summary: string
  exitCode: 0 | 1
}

/** The figure without its parenthesised detail: "1. Warm CPU per termination, HTTP handler ÷ floor". */
const shortFigure = (row: Row) => row.figure.replace(/ \(.*$/, '').trim()

export function judgeTargets(rows: readonly Row[]): Judgement {
  const targets = rows.filter((row) => row.pass !== undefined)
  const misses = targets.filter((row) => row.pass === false)
  // No target at all means the table is broken, not that every target was met.
  if (targets.length === 0) return { misses, summary: 'bench: no figure has a target', exitCode: 1 }
  if (misses.length === 0) return { misses, summary: `bench: all ${targets.length} targets met`, exitCode: 0 }
  const listed = misses.map((row) => `${shortFigure(row)}: ${row.measured}, target ${row.target}`)
  return {
    misses,
    summary: `bench: ${misses.length} of ${targets.length} targets missed: ${listed.join('; ')}`,
    exitCode: 1,
  }
}

export interface Output {
  /** Standard output: the table and the summary. */
  print(text: string): void
  /** Rewrites docs/BENCHMARKS.md with `markdown`. */
  writeDoc(markdown: string): Promise<void>
}

/**
 * The end of a run: the table always, the doc only with --write (whatever the verdict: a miss is
 * part of the record), the summary last. Returns the exit status.
 */
export async function conclude(
  rows: readonly Row[],
  renderDoc: () => string,
  options: { write: boolean },
  output: Output,
): Promise<0 | 1> {
  const judgement = judgeTargets(rows)
  output.print(`\n${formatTable(rows)}\n\n`)
  if (options.write) {
    await output.writeDoc(renderDoc())
    output.print('wrote docs/BENCHMARKS.md\n')
  } else {
    output.print('docs/BENCHMARKS.md left as it is (npm run bench -- --write rewrites it)\n')
  }
  output.print(`${judgement.summary}\n`)
  return judgement.exitCode
}
