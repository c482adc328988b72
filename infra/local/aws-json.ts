/**
 * The awsJson1_1 protocol's answers, as the AWS stand-ins (Secrets Manager, EventBridge) send them,
 * so that the real AWS SDK reads them exactly as it reads the service's.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'

export const AWS_JSON = 'application/x-amz-json-1.1'

/** An error by AWS's name (`ThrottlingException`, ...), with the status the service answers it with. */
export class AwsError extends Error {
  readonly type: string
  readonly status: number
  constructor(type: string, message: string, status = 400) {
    super(message)
    this.type = type
    this.status = status
  }
}

/** Errors go out the way awsJson1_1 services send them: `__type` in the body and `x-amzn-ErrorType`. */
export function reply(response: ServerResponse, result: object): void {
  const headers: Record<string, string> = { 'content-type': AWS_JSON, 'x-amzn-RequestId': randomUUID() }
  if (result instanceof AwsError) {
    headers['x-amzn-ErrorType'] = result.type
    response
      .writeHead(result.status, headers)
      .end(JSON.stringify({ __type: result.type, message: result.message }))
    return
  }
  response.writeHead(200, headers).end(JSON.stringify(result))
}
