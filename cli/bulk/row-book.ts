/**
 * What RESULTS.csv holds, kept small enough for a million rows: a row is known by a 64-bit hash of
 * what RESULTS.csv repeats of it (its input values and the values the flags filled in), and maps to
 * its latest outcome and where that result's line is in the file (for compacting it). An
 * open-addressing table over typed arrays holds a row in 21 bytes of each slot (about 44 MB for a
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

/** A row's identity: its values as RESULTS.csv repeats them (InputRow.written). 0 marks an empty slot. */
export function rowKey(values: readonly string[]): bigint {
  const key = createHash('sha256').update(JSON.stringify(values)).digest().readBigUInt64BE(0)
  return key === 0n ? 1n : key
}

const MATCHED = 0x80

/** Where a result is in RESULTS.csv: its line's first byte and its length in bytes. */
export interface Line {
  offset: number
  length: number
}

export interface RowBook {
  readonly size: number
  /** Records the outcome of a row; a later record of the same row replaces the earlier one. */
  set(key: bigint, outcome: RowOutcome, line?: Line): void
  get(key: bigint): RowOutcome | undefined
  /** The line of the row's latest result. */
  line(key: bigint): Line | undefined
  /** Notes that the input has this row; a row never marked belongs to some other input. */
  mark(key: bigint): void
  /** Rows never marked, by latest outcome. */
  unmarked(): Map<RowOutcome, number>
}

export function createRowBook(initialCapacity = 1024): RowBook {
  let capacity = initialCapacity
  let keys = new BigUint64Array(capacity)
  let codes = new Uint8Array(capacity)
  let offsets = new Float64Array(capacity)
  let lengths = new Uint32Array(capacity)
  let size = 0

  const slotOf = (key: bigint) => {
    const mask = BigInt(capacity - 1)
    let slot = Number(key & mask)
    while (keys[slot] !== 0n && keys[slot] !== key) slot = (slot + 1) & (capacity - 1)
    return slot
  }

  const grow = () => {
    const [oldKeys, oldCodes, oldOffsets, oldLengths] = [keys, codes, offsets, lengths]
    capacity *= 2
    keys = new BigUint64Array(capacity)
    codes = new Uint8Array(capacity)
    offsets = new Float64Array(capacity)
    lengths = new Uint32Array(capacity)
    for (let index = 0; index < oldKeys.length; index += 1) {
      const key = oldKeys[index]!
      if (key === 0n) continue
      const slot = slotOf(key)
      keys[slot] = key
      codes[slot] = oldCodes[index]!
      offsets[slot] = oldOffsets[index]!
      lengths[slot] = oldLengths[index]!
    }
  }

  return {
    get size() {
      return size
    },
    set(key, outcome, line) {
      // Half full at most, so probes stay short.
      if ((size + 1) * 2 > capacity) grow()
      const slot = slotOf(key)
      if (keys[slot] === 0n) size += 1
      keys[slot] = key
      codes[slot] = ROW_OUTCOMES.indexOf(outcome) | (codes[slot]! & MATCHED)
      offsets[slot] = line?.offset ?? 0
      lengths[slot] = line?.length ?? 0
    },
    get(key) {
      const slot = slotOf(key)
      return keys[slot] === 0n ? undefined : ROW_OUTCOMES[codes[slot]! & ~MATCHED]
    },
    line(key) {
      const slot = slotOf(key)
      if (keys[slot] === 0n || lengths[slot] === 0) return undefined
      return { offset: offsets[slot]!, length: lengths[slot]! }
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
