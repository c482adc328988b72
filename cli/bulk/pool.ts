/**
 * At most `limit` tasks at once. Tasks must not reject (each handles its own errors), so that
 * nothing is left unobserved while the caller is busy elsewhere.
 */
export function createPool(limit: number) {
  const running = new Set<Promise<void>>()
  return {
    /** Resolves when another task may start. */
    async free(): Promise<void> {
      while (running.size >= limit) await Promise.race(running)
    },
    add(task: Promise<void>): void {
      const tracked = task.finally(() => running.delete(tracked))
      running.add(tracked)
    },
    /** Resolves when every task started so far has ended. */
    async drain(): Promise<void> {
      await Promise.allSettled(running)
    },
  }
}
