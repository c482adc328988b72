import { withoutBom } from './http.ts'

/**
 * A queue record's body is the input JSON itself, or the EventBridge event that a rule targeting
 * SQS delivers, whose `detail` is the input. Undefined when the body is not JSON.
 */
export function readQueueInput(body: string): unknown {
  let message: unknown
  try {
    // One leading byte order mark is ignored, as for HTTP bodies.
    message = JSON.parse(withoutBom(body))
  } catch {
    return undefined
  }
  if (isEventBridgeEvent(message)) return message.detail
  return message
}

function isEventBridgeEvent(message: unknown): message is { detail: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    'detail-type' in message &&
    'detail' in message &&
    'source' in message
  )
}

/** Runs `work` over `items` with at most `limit` at once; results keep the items' order. */
export async function settleAll<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      try {
        results[index] = { status: 'fulfilled', value: await work(items[index]!) }
      } catch (reason) {
        results[index] = { status: 'rejected', reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
