/** The bench's verdict and command line, without running the benchmark. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { formatTable, type Row } from './report.ts'
import { benchOptions, conclude, judgeTargets, USAGE } from './targets.ts'

const row = (figure: string, pass: boolean | undefined, measured = '1.00×', target = '≤ 3.00×'): Row => ({
  figure,
  measured,
  target: pass === undefined ? '(context)' : target,
  pass,
})

describe('npm run bench: the verdict', () => {
  it('exits 0 with a one-line summary when every target is met, context rows aside', () => {
    const judgement = judgeTargets([
      row('1. Warm CPU', true),
      row('   context', undefined),
      row('2. B', true),
    ])
    assert.deepEqual(judgement, { misses: [], summary: 'bench: all 2 targets met', exitCode: 0 })
  })

  it('exits 1 and names each missed target with what was measured, on one line', () => {
    const warm = row('1. Warm CPU per termination, HTTP handler ÷ floor (1 RSA-2048 sign + 1 verify)', false)
    warm.measured = '3.41× (1343 µs vs 413 µs)'
    const cold = row('3. Cold start (median of 15)', false, '1.20× (168 ms vs 139 ms)', '≤ 1.00×')
    const judgement = judgeTargets([warm, row('   context', undefined), row('2. Met', true), cold])
    assert.equal(judgement.exitCode, 1)
    assert.deepEqual(judgement.misses, [warm, cold])
    assert.equal(
      judgement.summary,
      'bench: 2 of 3 targets missed: 1. Warm CPU per termination, HTTP handler ÷ floor: 3.41× (1343 µs vs 413 µs), target ≤ 3.00×; 3. Cold start: 1.20× (168 ms vs 139 ms), target ≤ 1.00×',
    )
    assert.doesNotMatch(judgement.summary, /\n/)
  })

  it('does not count a context row as missed, whatever it measured', () => {
    assert.equal(judgeTargets([row('1. A', true), row('   slow context', undefined, '9.99×')]).exitCode, 0)
  })

  it('exits 1 when no figure has a target: a broken table is not a pass', () => {
    assert.deepEqual(judgeTargets([row('   context', undefined)]), {
      misses: [],
      summary: 'bench: no figure has a target',
      exitCode: 1,
    })
  })
})

describe('npm run bench: the command line', () => {
  it('leaves docs/BENCHMARKS.md alone unless --write is given', () => {
    assert.deepEqual(benchOptions([]), { write: false })
    assert.deepEqual(benchOptions(['--write']), { write: true })
  })

  it('refuses anything else, naming it, with the usage', () => {
    for (const args of [['--wrte'], ['docs/BENCHMARKS.md'], ['--write=yes']]) {
      assert.throws(
        () => benchOptions(args),
        (error: Error) => error.message.includes(args[0]!.split('=')[0]!) && error.message.endsWith(USAGE),
        args.join(' '),
      )
    }
  })
})

describe('npm run bench: the end of a run', () => {
  const missed = [
    row('1. Warm CPU (detail)', false, '3.41×'),
    row('   context', undefined),
    row('2. B', true),
  ]
  const met = [row('1. Warm CPU (detail)', true), row('2. B', true)]

  /** Runs conclude() over `rows`, recording what it prints and what it writes. */
  async function end(rows: Row[], write: boolean) {
    const printed: string[] = []
    const written: string[] = []
    const exitCode = await conclude(
      rows,
      () => '# the doc',
      { write },
      {
        print: (text) => printed.push(text),
        writeDoc: async (text) => {
          written.push(text)
        },
      },
    )
    return { exitCode, printed: printed.join(''), written }
  }

  it('without --write: prints the table and the summary, writes nothing, exits 1 on a miss', async () => {
    const { exitCode, printed, written } = await end(missed, false)
    assert.equal(exitCode, 1)
    assert.deepEqual(written, [])
    assert.ok(printed.includes(formatTable(missed)))
    assert.equal(printed.trimEnd().split('\n').at(-1), judgeTargets(missed).summary)
  })

  it('with --write: writes the doc once, and still exits 1 on a miss (the doc records it)', async () => {
    const { exitCode, written } = await end(missed, true)
    assert.equal(exitCode, 1)
    assert.deepEqual(written, ['# the doc'])
  })

  it('exits 0 when every target is met, written or not', async () => {
    assert.equal((await end(met, false)).exitCode, 0)
    assert.equal((await end(met, true)).exitCode, 0)
  })

  it('run.ts refuses a mistyped flag before measuring anything: exit 2 and the usage', () => {
    // A real process: proves run.ts reads its flags first. Before that check existed, it went on
    // to build bundles and measure, which the timeout below stops.
    const result = spawnSync(process.execPath, [new URL('./run.ts', import.meta.url).pathname, '--wrte'], {
      encoding: 'utf8',
      timeout: 15_000,
      killSignal: 'SIGTERM',
    })
    assert.equal(result.status, 2, result.stderr)
    assert.match(result.stderr, /--wrte/)
    assert.ok(result.stderr.includes(USAGE))
  })
})
