/**
 * The lock of a RESULTS.csv (output-lock.ts), at its edges: a lock from another machine sharing the
 * folder cannot be checked from here and is refused, whatever its pid; one from this machine whose
 * process is gone is taken over. The CLI-level behaviour (two runs, a killed run) is in
 * interrupt.test.ts.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { lockOutput, lockPath } from '../../cli/bulk/output-lock.ts'
import { UsageError } from '../../cli/usage.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-output-lock-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** A pid no process has any more: a child that ran and exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number

describe('the lock of a results file', () => {
  it('holds the pid and this machine, and is removed on release', () => {
    const output = join(dir, 'mine.csv')
    const release = lockOutput(output)
    assert.equal(readFileSync(lockPath(output), 'utf8'), `${process.pid} ${hostname()}\n`)
    assert.throws(() => lockOutput(output), UsageError)
    release()
    assert.equal(existsSync(lockPath(output)), false)
  })

  it('takes over a lock of this machine whose process is gone', () => {
    const output = join(dir, 'dead.csv')
    writeFileSync(lockPath(output), `${deadPid()} ${hostname()}\n`)
    lockOutput(output)()
    assert.equal(existsSync(lockPath(output)), false)
  })

  it('refuses a lock written on another machine, naming it, even when its pid is not alive here', () => {
    const output = join(dir, 'shared.csv')
    const pid = deadPid()
    writeFileSync(lockPath(output), `${pid} build-host-2\n`)
    assert.throws(
      () => lockOutput(output),
      (error: Error) =>
        error instanceof UsageError &&
        error.message.includes(`another bulk-terminate (pid ${pid} on build-host-2) is writing`),
    )
    assert.equal(readFileSync(lockPath(output), 'utf8'), `${pid} build-host-2\n`, 'left as it was')
  })
})
