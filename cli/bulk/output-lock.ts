/**
 * One run at a time per RESULTS.csv: `RESULTS.csv.lock` holds the pid of the run writing it. Two
 * runs appending to one file, each compacting it at its end (a rename under the other's open file),
 * would lose results yet report every row done. A lock left by a run that crashed or was killed
 * (its pid no longer alive on this machine) is taken over; one written on another machine (a folder
 * both share) cannot be checked from here and is refused.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { UsageError } from '../usage.ts'

export const lockPath = (output: string) => `${output}.lock`

/** The pid and the machine in the lock, when it holds them. */
function holder(path: string): { pid: number; host: string } | undefined {
  try {
    const [pidText = '', host = ''] = readFileSync(path, 'utf8').trim().split(' ')
    const pid = Number(pidText)
    return Number.isInteger(pid) && pid > 0 && host !== '' ? { pid, host } : undefined
  } catch {
    return undefined
  }
}

/** Whether a process of that pid runs (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock of `output`, or refuses (UsageError); returns what releases it. */
export function lockOutput(output: string): () => void {
  const path = lockPath(output)
  // Twice at most: the second time after removing a dead run's lock.
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid} ${hostname()}\n`, { flag: 'wx' })
      return () => {
        // Only our own: a lock someone removed by hand and another run took is that run's.
        const held = holder(path)
        if (held?.pid === process.pid && held.host === hostname()) rmSync(path, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const held = holder(path)
    const here = held?.host === hostname()
    if (held === undefined || !here || alive(held.pid) || attempt > 0) {
      const who =
        held === undefined
          ? 'another bulk-terminate'
          : `another bulk-terminate (pid ${held.pid}${here ? '' : ` on ${held.host}`})`
      throw new UsageError(`${who} is writing ${output}; if none is, remove ${path}`)
    }
    rmSync(path, { force: true })
  }
}
