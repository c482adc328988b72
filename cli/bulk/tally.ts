/** Counts of a bulk run by outcome, the progress line's text and the summary table at the end. */
import { ROW_OUTCOMES, type RowOutcome } from './row-book.ts'

/** Only these end a row; the others are tried again by the next run (unless rejected or invalid). */
export const DONE: ReadonlySet<RowOutcome> = new Set(['terminated', 'already_terminated'])
/**
 * An earlier run's row with one of these outcomes is skipped (an `invalid` one while the row is still
 * invalid); retryable and failed rows are tried again.
 */
export const SETTLED: ReadonlySet<RowOutcome> = new Set([
  'terminated',
  'already_terminated',
  'rejected',
  'invalid',
])

export interface Tally {
  record(outcome: RowOutcome, called: boolean): void
  skip(outcome: RowOutcome): void
  /** A row identical to one this run met already: not sent again, skipped. */
  duplicate(): void
  /** Rows written or skipped. */
  handled(): number
  skipped(): number
  calls(): number
  /** `terminated 3, invalid 1, skipped 2`: the outcomes met so far. */
  describe(): string
  /** The table printed at the end; `total` is the number of rows in the input. */
  table(total: number): string
  /** Every input row terminated or already terminated, in this run or an earlier one. */
  allDone(total: number): boolean
}

const sum = (counts: Map<RowOutcome, number>) => [...counts.values()].reduce((a, b) => a + b, 0)
const add = (counts: Map<RowOutcome, number>, outcome: RowOutcome) =>
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1)

export function createTally(): Tally {
  const written = new Map<RowOutcome, number>()
  const skipped = new Map<RowOutcome, number>()
  let calls = 0
  let duplicates = 0
  const tally: Tally = {
    record(outcome, called) {
      add(written, outcome)
      if (called) calls += 1
    },
    skip: (outcome) => add(skipped, outcome),
    duplicate: () => {
      duplicates += 1
    },
    handled: () => sum(written) + tally.skipped(),
    skipped: () => sum(skipped) + duplicates,
    calls: () => calls,
    describe() {
      const parts = ROW_OUTCOMES.filter((outcome) => written.has(outcome)).map(
        (outcome) => `${outcome} ${written.get(outcome)}`,
      )
      if (tally.skipped() > 0) parts.push(`skipped ${tally.skipped()}`)
      return parts.join(', ') || 'nothing yet'
    },
    table(total) {
      const row = (label: string, count: number, note = '') =>
        `${label.padEnd(20)}${String(count).padStart(9)}${note ? `   ${note}` : ''}`
      const earlier = ROW_OUTCOMES.filter((outcome) => skipped.has(outcome))
        .map((outcome) => `${outcome} ${skipped.get(outcome)}`)
        .join(', ')
      const notes = [
        earlier && `(earlier runs: ${earlier})`,
        duplicates > 0 ? `(duplicates ${duplicates})` : '',
      ]
      return [
        `${'outcome'.padEnd(20)}${'rows'.padStart(9)}`,
        ...ROW_OUTCOMES.map((outcome) => row(outcome, written.get(outcome) ?? 0)),
        row('skipped', tally.skipped(), notes.filter(Boolean).join(' ')),
        row('not reached', total - tally.handled()),
        row('total', total),
        '',
      ].join('\n')
    },
    allDone(total) {
      const notDone = [...written, ...skipped].some(([outcome, count]) => count > 0 && !DONE.has(outcome))
      return !notDone && tally.handled() === total
    },
  }
  return tally
}
