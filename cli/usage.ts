/** A usage error or invalid input: the command exits 2 and nothing was sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Exit statuses of every command (issue 11, "The contract"). */
export const EXIT = { done: 0, notDone: 1, usage: 2 } as const
