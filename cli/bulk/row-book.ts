/**
 * What RESULTS.csv holds, kept small enough for a million rows: a row is known by a 64-bit hash of
 * its input values as written (what RESULTS.csv repeats of it), and maps to its latest outcome and
 * where that result's line is in the file (for compacting it), and to whether this run met it yet
 * (identical rows are sent once). An open-addressing table over typed arrays holds a row in 21
 * bytes of each slot, half the slots used at most (about 44 MB for a million rows), where a Map of
 * strings would take several times that.
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

/** A row's identity: its input values as written (InputRow.values). 0 marks an empty slot. */
export function rowKey(values: readonly string[]): bigint {
  const key = createHash('sha256').update(JSON.stringify(values)).digest().readBigUInt64BE(0)
  return key === 0n ? 1n : key
}

/** A slot's code: the outcome's index + 1 in its low bits (0: no result), then these flags. */
const OUTCOME = 0x07
const MATCHED = 0x80
const MET_SENT = 0x40
const MET_INVALID = 0x20

/** How this run met a row: sent it, or found it invalid (without a call). */
export type Met = 'sent' | 'invalid'

/** Where a result is in RESULTS.csv: its line's first byte and its length in bytes. */
export interface Line {
  offset: number
  length: number
}

export interface RowBook {
  /** Rows with a result. */
  readonly size: number
  /**
   * Records the outcome of a row; a later record of the same row replaces the earlier one, except
   * that an `invalid` one (no call made) never replaces the result of a call.
   */
  set(key: bigint, outcome: RowOutcome, line?: Line): void
  get(key: bigint): RowOutcome | undefined
  /** The line of the row's latest result. */
  line(key: bigint): Line | undefined
  /** Notes that the input has this row; a row never marked belongs to some other input. */
  mark(key: bigint): void
  /** Rows with a result never marked, by latest outcome. */
  unmarked(): Map<RowOutcome, number>
  /** How this run met the row so far, if it did. */
  met(key: bigint): Met | undefined
  meet(key: bigint, how: Met): void
}

export function createRowBook(initialCapacity = 1024): RowBook {
  let capacity = initialCapacity
  let keys = new BigUint64Array(capacity)
  let codes = new Uint8Array(capacity)
  let offsets = new Float64Array(capacity)
  let lengths = new Uint32Array(capacity)
  let size = 0
  let used = 0

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

  /** The key's slot, taken if it was empty. Half full at most, so probes stay short. */
  const claim = (key: bigint) => {
    if ((used + 1) * 2 > capacity) grow()
    const slot = slotOf(key)
    if (keys[slot] === 0n) {
      keys[slot] = key
      used += 1
    }
    return slot
  }

  const outcomeOf = (key: bigint): RowOutcome | undefined => {
    const slot = slotOf(key)
    const code = keys[slot] === 0n ? 0 : codes[slot]! & OUTCOME
    return code === 0 ? undefined : ROW_OUTCOMES[code - 1]
  }

  return {
    get size() {
      return size
    },
    set(key, outcome, line) {
      const earlier = outcomeOf(key)
      if (outcome === 'invalid' && earlier !== undefined && earlier !== 'invalid') return
      const slot = claim(key)
      if (earlier === undefined) size += 1
      codes[slot] = (ROW_OUTCOMES.indexOf(outcome) + 1) | (codes[slot]! & ~OUTCOME)
      offsets[slot] = line?.offset ?? 0
      lengths[slot] = line?.length ?? 0
    },
    get: outcomeOf,
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
        if (keys[slot] === 0n || codes[slot]! & MATCHED || (codes[slot]! & OUTCOME) === 0) continue
        const outcome = ROW_OUTCOMES[(codes[slot]! & OUTCOME) - 1]!
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
      }
      return counts
    },
    met(key) {
      const slot = slotOf(key)
      if (keys[slot] === 0n) return undefined
      return codes[slot]! & MET_SENT ? 'sent' : codes[slot]! & MET_INVALID ? 'invalid' : undefined
    },
    meet(key, how) {
      const slot = claim(key)
      codes[slot]! |= how === 'sent' ? MET_SENT : MET_INVALID
    },
  }
}
