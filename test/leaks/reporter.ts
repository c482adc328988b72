/**
 * A node:test reporter that reads every line each test file writes to stdout and stderr (the
 * handlers' Powertools logs included) and fails the run when one of them leaks a secret
 * (see scanner.ts). `npm run test:unit` runs it next to the spec reporter:
 *
 *   node --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./test/leaks/reporter.ts --test-reporter-destination=stderr "test/**\/*.test.ts"
 *
 * The runner sets a failing exit code only for failed tests; a leak sets it here.
 */
import { relative } from 'node:path'
import { type Finding, scanLine } from './scanner.ts'

interface ReporterEvent {
  type: string
  data: { file?: string; message?: string }
}

/** Findings printed per run at most: the first ones say enough, and nothing is printed in full anyway. */
const MAX_PRINTED = 50

export default async function* leakReporter(source: AsyncIterable<ReporterEvent>): AsyncGenerator<string> {
  const files = new Set<string>()
  const findings: Array<Finding & { file: string; stream: string }> = []
  let lines = 0
  for await (const event of source) {
    if (event.type !== 'test:stdout' && event.type !== 'test:stderr') continue
    const file = event.data.file ? relative(process.cwd(), event.data.file) || event.data.file : '(unknown)'
    const stream = event.type === 'test:stdout' ? 'stdout' : 'stderr'
    files.add(file)
    // The runner hands over output line by line; split anyway in case a chunk holds several.
    for (const line of String(event.data.message ?? '').split('\n')) {
      if (line === '') continue
      lines += 1
      for (const finding of scanLine(line)) findings.push({ ...finding, file, stream })
    }
  }
  const summary = `leak scan: ${lines} output lines from ${files.size} test files, ${findings.length} findings`
  if (findings.length === 0) {
    yield `\n${summary}\n`
    return
  }
  process.exitCode = 1
  yield `\n✖ ${summary}: secrets or unmasked codes reached the logs\n`
  for (const finding of findings.slice(0, MAX_PRINTED)) {
    yield `  ${finding.rule} in ${finding.file} (${finding.stream}): ${finding.excerpt}\n`
  }
  if (findings.length > MAX_PRINTED) yield `  ... and ${findings.length - MAX_PRINTED} more\n`
}
