/**
 * Progress on stderr: cli-progress's bar when stderr is a terminal, otherwise one plain line every
 * few seconds (CI logs keep every line, so a redrawn bar would fill them).
 * PAYSCORE_CLI_PROGRESS_INTERVAL_MS sets the plain line's interval (default 5000).
 */
import { Presets, SingleBar } from 'cli-progress'
import type { Tally } from './tally.ts'

export interface ProgressOptions {
  total: number
  stream: NodeJS.WriteStream
  intervalMs?: number
  /** ms, monotonic */
  now?: () => number
}

export interface Progress {
  update(tally: Tally): void
  stop(tally: Tally): void
}

const DEFAULT_INTERVAL_MS = 5_000

function seconds(value: number) {
  if (!Number.isFinite(value)) return '?'
  const total = Math.round(value)
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60]
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(s).padStart(2, '0')}s`
      : `${s}s`
}

/** Rows handled, calls per second, and the time left at that pace. */
export function figures(tally: Tally, total: number, elapsedMs: number) {
  const done = tally.handled()
  const rate = elapsedMs > 0 ? (tally.calls() * 1000) / elapsedMs : 0
  const rowsPerSecond = elapsedMs > 0 ? ((done - tally.skipped()) * 1000) / elapsedMs : 0
  return {
    done,
    percent: total > 0 ? Math.floor((done * 100) / total) : 100,
    rate: rate.toFixed(1),
    eta: done >= total ? '0s' : seconds((total - done) / rowsPerSecond),
  }
}

export function progressLine(tally: Tally, total: number, elapsedMs: number): string {
  const { done, percent, rate, eta } = figures(tally, total, elapsedMs)
  return `progress ${done}/${total} rows (${percent}%) | ${rate} calls/s | ETA ${eta} | ${tally.describe()}`
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now())
  const started = now()
  const { total, stream } = options
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {value}/{total} rows | {rate} calls/s | ETA {time_left} | {counts}',
        hideCursor: true,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    )
    bar.start(total, 0, { rate: '0.0', time_left: '?', counts: '' })
    const draw = (tally: Tally) => {
      const { done, rate, eta } = figures(tally, total, now() - started)
      bar.update(done, { rate, time_left: eta, counts: tally.describe() })
    }
    return {
      update: draw,
      stop: (tally) => {
        draw(tally)
        bar.stop()
      },
    }
  }
  let latest: Tally | undefined
  const print = () => {
    if (latest) stream.write(`${progressLine(latest, total, now() - started)}\n`)
  }
  const intervalMs =
    options.intervalMs ?? (Number(process.env.PAYSCORE_CLI_PROGRESS_INTERVAL_MS) || DEFAULT_INTERVAL_MS)
  const timer = setInterval(print, intervalMs)
  timer.unref()
  return {
    update: (tally) => {
      latest = tally
    },
    stop: (tally) => {
      clearInterval(timer)
      latest = tally
      print()
    },
  }
}
