/**
 * One call of the invoke function through Lambda's API, and what came back: the function's JSON
 * (an outcome, or a query's state), the errors it throws by name, or a failure to call it at all.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda'
import type { InputIssue } from './input.ts'

export type InvokeResult =
  | { kind: 'answer'; body: Record<string, unknown> }
  /** InvalidRequestError: the deployed function's rules refused the event (nothing sent to WeChat). */
  | { kind: 'invalid'; issues: InputIssue[] }
  /** AuthorizationNotFoundError: a query for an authorization WeChat does not know. */
  | { kind: 'not_found'; message: string }
  /**
   * The call failed. `retryable` when trying again later may work (throttled, network, a timeout);
   * `fatal` when no other call can work either (no such function, no access, no credentials, an
   * endpoint that cannot be reached: `unreachable`).
   */
  | { kind: 'error'; message: string; retryable: boolean; fatal: boolean; unreachable?: true }

/** Errors about the target or the caller, not about the row: every other call would fail the same way. */
const FATAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'ResourceConflictException',
])

/**
 * The endpoint refused the connection, or its name does not resolve: nothing was sent, and no other
 * call will get further until it is up (the sandbox not started, a mistyped AWS_ENDPOINT_URL_LAMBDA).
 * A connection cut during a call (ECONNRESET, a timeout) may have reached the function: not here.
 */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])

/** The message for an endpoint that cannot be reached, naming it as the system call did. */
function unreachable(error: unknown): string | undefined {
  const { code, address, port, hostname } = (error ?? {}) as NodeJS.ErrnoException & {
    address?: string
    port?: number
    hostname?: string
  }
  if (code === undefined || !UNREACHABLE.has(code)) return undefined
  const where = hostname ?? (port === undefined ? address : `${address}:${port}`)
  return `cannot reach the Lambda endpoint ${where} (${code}); nothing was sent`
}

interface FunctionError {
  errorType?: string
  errorMessage?: string
  issues?: InputIssue[]
}

/** The function's issues when it sent them; otherwise its message (`invalid request: a; b`) split. */
function issuesOf(error: FunctionError): InputIssue[] {
  if (Array.isArray(error.issues)) return error.issues
  const text = (error.errorMessage ?? '').replace(/^invalid request:\s*/, '')
  return text.split('; ').map((message) => ({ path: '', message }))
}

function parsePayload(payload: Uint8Array | undefined): unknown {
  const text = Buffer.from(payload ?? new Uint8Array()).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export async function invoke(
  client: LambdaClient,
  functionName: string,
  event: Record<string, string>,
): Promise<InvokeResult> {
  let answer: InvokeCommandOutput
  try {
    answer = await client.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(event) }),
    )
  } catch (error) {
    const unreached = unreachable(error)
    if (unreached)
      return { kind: 'error', message: unreached, retryable: true, fatal: true, unreachable: true }
    const name = error instanceof Error ? error.name : 'Error'
    const message = `${name}: ${error instanceof Error ? error.message : String(error)}`
    return { kind: 'error', message, retryable: !FATAL.has(name), fatal: FATAL.has(name) }
  }
  const body = parsePayload(answer.Payload)
  if (answer.FunctionError) {
    const error = (body ?? {}) as FunctionError
    // As AWS reports it; the sandbox's invoke proxy restores the name serverless-offline loses.
    const name = error.errorType ?? 'Error'
    if (name === 'InvalidRequestError') return { kind: 'invalid', issues: issuesOf(error) }
    if (name === 'AuthorizationNotFoundError') {
      return { kind: 'not_found', message: error.errorMessage ?? 'authorization not found' }
    }
    const message = `the function failed: ${name}: ${error.errorMessage ?? 'no message'}`
    return { kind: 'error', message, retryable: /timed ?out/i.test(message), fatal: false }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      kind: 'error',
      message: 'the function answered something other than a JSON object',
      retryable: false,
      fatal: false,
    }
  }
  return { kind: 'answer', body: body as Record<string, unknown> }
}
