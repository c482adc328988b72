/**
 * One run at a time per RESULTS.csv: `RESULTS.csv.lock` holds the pid of the run writing it. Two
 * runs appending to one file, each compacting it at its end (a rename under the other's open file),
 * would lose results yet report every row done. A lock left by a run that crashed or was killed
 * (its pid no longer alive) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { UsageError } from '../usage.ts'

export const lockPath = (output: string) => `${output}.lock`

/** The pid in the lock, when it holds one. */
function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
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
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' })
      return () => {
        // Only our own: a lock someone removed by hand and another run took is that run's.
        if (holder(path) === process.pid) rmSync(path, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const pid = holder(path)
    if (pid === undefined || alive(pid) || attempt > 0) {
      const who = pid === undefined ? 'another bulk-terminate' : `another bulk-terminate (pid ${pid})`
      throw new UsageError(`${who} is writing ${output}; if none is, remove ${path}`)
    }
    rmSync(path, { force: true })
  }
}
