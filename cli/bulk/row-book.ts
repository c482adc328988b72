/**
 * What earlier runs wrote to RESULTS.csv, kept small enough for a million rows: a row is known by a
 * 64-bit hash of its input values (RESULTS.csv repeats them), and maps to its latest outcome. An
 * open-addressing table over typed arrays holds a row in 9 bytes of each slot (about 18 MB for a
 * million rows), where a Map of strings would take several times that.
 */
import { createHash } from 'node:crypto'

export const ROW_OUTCOMES = [
  'terminated',
  'already_terminated',
  'rejected',
  'invalid',
  'failed',
  'retryable',
] as const
export type RowOutcome = (typeof ROW_OUTCOMES)[number]

/** The input row's identity: its values in the input file's column order. 0 marks an empty slot. */
export function rowKey(values: readonly string[]): bigint {
  const key = createHash('sha256').update(JSON.stringify(values)).digest().readBigUInt64BE(0)
  return key === 0n ? 1n : key
}

const MATCHED = 0x80

export interface RowBook {
  readonly size: number
  /** Records the outcome of a row; a later record of the same row replaces the earlier one. */
  set(key: bigint, outcome: RowOutcome): void
  get(key: bigint): RowOutcome | undefined
  /** Notes that the input has this row; a row never marked belongs to some other input. */
  mark(key: bigint): void
  /** Rows never marked, by latest outcome. */
  unmarked(): Map<RowOutcome, number>
}

export function createRowBook(initialCapacity = 1024): RowBook {
  let capacity = initialCapacity
  let keys = new BigUint64Array(capacity)
  let codes = new Uint8Array(capacity)
  let size = 0

  const slotOf = (key: bigint) => {
    const mask = BigInt(capacity - 1)
    let slot = Number(key & mask)
    while (keys[slot] !== 0n && keys[slot] !== key) slot = (slot + 1) & (capacity - 1)
    return slot
  }

  const grow = () => {
    const [oldKeys, oldCodes] = [keys, codes]
    capacity *= 2
    keys = new BigUint64Array(capacity)
    codes = new Uint8Array(capacity)
    for (let index = 0; index < oldKeys.length; index += 1) {
      const key = oldKeys[index]!
      if (key === 0n) continue
      const slot = slotOf(key)
      keys[slot] = key
      codes[slot] = oldCodes[index]!
    }
  }

  return {
    get size() {
      return size
    },
    set(key, outcome) {
      // Half full at most, so probes stay short.
      if ((size + 1) * 2 > capacity) grow()
      const slot = slotOf(key)
      if (keys[slot] === 0n) size += 1
      keys[slot] = key
      codes[slot] = ROW_OUTCOMES.indexOf(outcome) | (codes[slot]! & MATCHED)
    },
    get(key) {
      const slot = slotOf(key)
      return keys[slot] === 0n ? undefined : ROW_OUTCOMES[codes[slot]! & ~MATCHED]
    },
    mark(key) {
      const slot = slotOf(key)
      if (keys[slot] !== 0n) codes[slot]! |= MATCHED
    },
    unmarked() {
      const counts = new Map<RowOutcome, number>()
      for (let slot = 0; slot < capacity; slot += 1) {
        if (keys[slot] === 0n || codes[slot]! & MATCHED) continue
        const outcome = ROW_OUTCOMES[codes[slot]!]!
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
      }
      return counts
    },
  }
}
