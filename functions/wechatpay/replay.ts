/**
 * The nonces of answers this container has verified, so that a verified answer sent again (a
 * replay) is refused while its timestamp would still pass the clock check. In memory only: a
 * replay into another container is not seen (the clock check still bounds it to 300 s).
 */
export interface NonceRecord {
  /** Whether `nonce` was recorded and is still kept at `now` (epoch ms). */
  seen(nonce: string, now: number): boolean
  /** Keeps `nonce` until `until` (epoch ms). Call only for answers whose signature verified. */
  record(nonce: string, until: number, now: number): void
  /** Nonces held now, expired ones not yet evicted included. */
  readonly size: number
}

/**
 * Room for 160 verified answers a second, sustained over the 301 s a nonce is kept: far more than one
 * container's calls get. An attacker cannot fill it: only answers that WeChat signed are recorded.
 * About 100 bytes an entry, so 5 MB at most.
 */
export const DEFAULT_MAX_NONCES = 50_000

/**
 * Entries leave when their time is up, oldest first (they are checked from the oldest recorded
 * while they have expired, on every `record`). At the cap, the oldest entry is dropped to make room:
 * memory stays bounded, and what is lost is the replay check of the oldest answer, whose timestamp
 * has most likely left the 300 s window already. Refusing new answers instead would stop the service.
 */
export function createNonceRecord({ maxEntries = DEFAULT_MAX_NONCES } = {}): NonceRecord {
  // Insertion order is the order answers were verified in: the first entries are the oldest.
  const until = new Map<string, number>()
  return {
    seen(nonce, now) {
      const kept = until.get(nonce)
      return kept !== undefined && now < kept
    },
    record(nonce, expires, now) {
      for (const [oldest, kept] of until) {
        if (now < kept) break
        until.delete(oldest)
      }
      until.delete(nonce)
      if (until.size >= maxEntries) until.delete(until.keys().next().value as string)
      until.set(nonce, expires)
    },
    get size() {
      return until.size
    },
  }
}

/** The container's record, shared by every verifier that is not given its own. */
export const containerNonces: NonceRecord = createNonceRecord()
