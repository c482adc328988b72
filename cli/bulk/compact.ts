/**
 * RESULTS.csv compacted when a run ends. During a run each result is appended as it arrives (a
 * crash loses nothing already written), so rows come in the order their calls finish and a row
 * tried again has a line per run. At the end the file becomes one line per input row, in input
 * order, the latest result winning (an `invalid` one never replaces the result of a call),
 * identical input rows each with the row's one result: written to a file beside it, flushed to
 * disk, then renamed over it (atomic). A crash before the rename leaves the appended file, which
 * the next run reads as usual and compacts.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { readEarlierRows } from './earlier-rows.ts'
import { csvLine, RESULT_COLUMNS } from './results-file.ts'
import type { RowBook } from './row-book.ts'

export type Compaction = { compacted: true } | { compacted: false; why: string }

/** Lines are gathered up to this many bytes per write (a longer line is copied on its own). */
const CHUNK = 1 << 20

/**
 * Rewrites `path` with, for each key of `keys` (the input rows' identities in input order), the
 * latest line of that row; rows without a result (not reached) have none. Leaves the file as it is
 * when compacting would drop a result that is not superseded: rows of another shape (edited by
 * hand?), or results of rows the input no longer has (other than `invalid` ones, whose input row
 * was corrected since).
 */
export async function compactResults(
  path: string,
  header: readonly string[],
  keys: AsyncIterable<bigint>,
): Promise<Compaction> {
  const { book, unreadable } = await readEarlierRows(path, header)
  if (unreadable > 0) return { compacted: false, why: `it has ${unreadable} rows of another shape` }
  const temp = `${path}.compacting`
  const source = openSync(path, 'r')
  const target = openSync(temp, 'w')
  let lost: number
  try {
    writeSync(target, csvLine([...header, ...RESULT_COLUMNS]))
    lost = await writeLatest(book, keys, source, target)
    if (lost === 0) fsyncSync(target)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  } finally {
    closeSync(target)
    closeSync(source)
  }
  if (lost > 0) {
    rmSync(temp, { force: true })
    return {
      compacted: false,
      why: `${lost} results belong to no row of the input (was it changed during the run?)`,
    }
  }
  renameSync(temp, path)
  syncFolder(dirname(path))
  return { compacted: true }
}

/**
 * Copies each key's latest line from `source` to `target`, in the keys' order, through one buffer;
 * returns how many results no key asked for, other than `invalid` ones.
 */
async function writeLatest(book: RowBook, keys: AsyncIterable<bigint>, source: number, target: number) {
  const buffer = Buffer.allocUnsafe(CHUNK)
  let used = 0
  for await (const key of keys) {
    const line = book.line(key)
    if (line === undefined) continue
    book.mark(key)
    if (used + line.length > CHUNK) {
      writeSync(target, buffer, 0, used)
      used = 0
    }
    const into = line.length > CHUNK ? Buffer.allocUnsafe(line.length) : buffer
    readSync(source, into, into === buffer ? used : 0, line.length, line.offset)
    if (into === buffer) used += line.length
    else writeSync(target, into)
  }
  writeSync(target, buffer, 0, used)
  return [...book.unmarked()]
    .filter(([outcome]) => outcome !== 'invalid')
    .reduce((sum, [, count]) => sum + count, 0)
}

/** Makes the rename itself durable (the folder's entry), where the system allows it. */
function syncFolder(folder: string) {
  let fd: number | undefined
  try {
    fd = openSync(folder, 'r')
    fsyncSync(fd)
  } catch {
    // Not every system can sync a folder; the rename is atomic either way.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
