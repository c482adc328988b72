import { randomInt, randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { AwsError, reply, serveAwsJson } from './aws-json.ts'

/**
 * A local AWS Secrets Manager for tests and `npm start`. It speaks the real awsJson1_1 wire protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`), so the real `@aws-sdk/client-secrets-manager`
 * talks to it through `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. SigV4 is not verified.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 */

/** The errors our code must tell apart; the SDK surfaces each as an exception with this `name`. */
export type SecretsManagerErrorName =
  | 'ResourceNotFoundException'
  | 'AccessDeniedException'
  | 'ThrottlingException'
  | 'InternalServiceError'
  | 'DecryptionFailure'

export interface Fault {
  /** Only this operation fails, e.g. `GetSecretValue`; any operation when absent. */
  operation?: string
  /** Only requests for this secret (by name or ARN) fail; any secret when absent. */
  secretId?: string
  error: SecretsManagerErrorName
  /** How many requests fail before the fault clears itself; until `clearFaults()` when absent. */
  times?: number
}

export interface RecordedCall {
  operation: string
  secretId: string | undefined
  /** Epoch milliseconds when the request arrived, before any `delayMs`. */
  at: number
  /** The SDK's `amz-sdk-request` header, e.g. `attempt=2; max=3`, which shows its retries. */
  attempt: string | undefined
}

export interface SecretsManagerStandIn {
  url: string
  /** Every request in arrival order; `calls.length = 0` resets it. */
  calls: RecordedCall[]
  /** Added before every reply, so concurrent callers overlap; settable at any time. */
  delayMs: number
  /** Creates the secret, or adds a version that becomes AWSCURRENT (the old one AWSPREVIOUS). */
  putSecret(name: string, secretString: string): { arn: string; versionId: string }
  fail(fault: Fault): void
  clearFaults(): void
  /** Closes the server and every open socket, ending requests still waiting on `delayMs`. */
  close(): Promise<void>
}

const TARGET_PREFIX = 'secretsmanager.'
const ARN_SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Status and message of each injectable error, worded like the real service. */
const ERRORS: Record<SecretsManagerErrorName, { status: number; message: string }> = {
  ResourceNotFoundException: { status: 400, message: "Secrets Manager can't find the specified secret." },
  AccessDeniedException: { status: 400, message: 'User is not authorized to perform this operation.' },
  ThrottlingException: { status: 400, message: 'Rate exceeded' },
  InternalServiceError: { status: 500, message: 'An error occurred on the server side.' },
  DecryptionFailure: {
    status: 400,
    message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
  },
}

/** Named as on the wire, so a version is spread straight into a GetSecretValue reply. */
interface Version {
  VersionId: string
  SecretString: string
  VersionStages: string[]
  /** Epoch seconds: how awsJson1_1 sends timestamps. */
  CreatedDate: number
}

interface Secret {
  name: string
  arn: string
  versions: Version[]
}

const notFound = (message = ERRORS.ResourceNotFoundException.message) =>
  new AwsError('ResourceNotFoundException', message)

export interface SecretsManagerOptions {
  /** 0 (the default) picks a free port; read the result from `url`. */
  port?: number
  host?: string
  region?: string
  accountId?: string
  /** Secrets to start with, name to SecretString, each with one AWSCURRENT version. */
  secrets?: Record<string, string>
}

export async function startSecretsManager(
  options: SecretsManagerOptions = {},
): Promise<SecretsManagerStandIn> {
  const { port = 0, host = '127.0.0.1', region = 'us-east-1', accountId = '000000000000' } = options
  const secrets = new Map<string, Secret>()
  let faults: Fault[] = []
  const closing = new AbortController()

  const find = (secretId: unknown) =>
    [...secrets.values()].find((secret) => secretId === secret.name || secretId === secret.arn)

  function store(name: string, SecretString: string, VersionId: string = randomUUID()) {
    let secret = secrets.get(name)
    if (!secret) {
      const suffix = Array.from({ length: 6 }, () => ARN_SUFFIX_CHARS[randomInt(ARN_SUFFIX_CHARS.length)])
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix.join('')}`
      secret = { name, arn, versions: [] }
      secrets.set(name, secret)
    }
    // Retrying a request with the same ClientRequestToken must not rotate twice.
    if (!secret.versions.some((version) => version.VersionId === VersionId)) {
      for (const version of secret.versions) {
        version.VersionStages = version.VersionStages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : []
      }
      const CreatedDate = Math.floor(Date.now() / 1000)
      secret.versions.push({ VersionId, SecretString, VersionStages: ['AWSCURRENT'], CreatedDate })
    }
    return { secret, versionId: VersionId }
  }

  const operations: Record<string, (input: Record<string, unknown>) => object> = {
    GetSecretValue(input) {
      const secret = find(input.SecretId)
      if (!secret) throw notFound()
      const { VersionId, VersionStage } = input
      const stage = VersionStage ?? (VersionId ? undefined : 'AWSCURRENT')
      const version = secret.versions.find(
        (v) =>
          (!VersionId || v.VersionId === VersionId) && (!stage || v.VersionStages.includes(String(stage))),
      )
      if (!version) {
        const which = VersionId ? `VersionId: ${VersionId}` : `staging label: ${stage}`
        throw notFound(`Secrets Manager can't find the specified secret value for ${which}`)
      }
      return { ARN: secret.arn, Name: secret.name, ...version }
    },
    PutSecretValue(input) {
      const existing = find(input.SecretId)
      if (!existing) throw notFound()
      const { secret, versionId } = store(existing.name, String(input.SecretString), token(input))
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: ['AWSCURRENT'] }
    },
    CreateSecret(input) {
      const name = String(input.Name)
      const exists = `The operation failed because the secret ${name} already exists.`
      if (secrets.has(name)) throw new AwsError('ResourceExistsException', exists)
      const { secret, versionId } = store(name, String(input.SecretString), token(input))
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId }
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId)
      if (!secret) throw notFound()
      const labelled = secret.versions.filter((v) => v.VersionStages.length > 0)
      const stages = labelled.map((v) => [v.VersionId, v.VersionStages])
      return { ARN: secret.arn, Name: secret.name, VersionIdsToStages: Object.fromEntries(stages) }
    },
  }

  /** Consumes one use of the first matching fault. */
  function takeFault(operation: string, secretId: string | undefined): Fault | undefined {
    const fault = faults.find(
      (f) =>
        (f.operation === undefined || f.operation === operation) &&
        (f.secretId === undefined || f.secretId === secretId || f.secretId === find(secretId)?.name),
    )
    if (fault?.times !== undefined && --fault.times <= 0) faults = faults.filter((f) => f !== fault)
    return fault
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = Buffer.concat(await request.toArray()).toString('utf8')
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target
    let input: Record<string, unknown>
    try {
      input = JSON.parse(body || '{}')
    } catch {
      return reply(response, new AwsError('SerializationException', 'Request body is not valid JSON.'))
    }
    const secretId = (input.SecretId ?? input.Name) as string | undefined
    const attempt = request.headers['amz-sdk-request'] as string | undefined
    standIn.calls.push({ operation, secretId, at: Date.now(), attempt })
    if (standIn.delayMs > 0) await sleep(standIn.delayMs, undefined, { signal: closing.signal })

    const fault = takeFault(operation, secretId)
    if (fault) {
      const { status, message } = ERRORS[fault.error]
      return reply(response, new AwsError(fault.error, message, status))
    }
    const run = operations[operation]
    if (!run) return reply(response, new AwsError('UnknownOperationException', `Unknown operation ${target}`))
    try {
      reply(response, run(input))
    } catch (error) {
      if (!(error instanceof AwsError)) throw error
      reply(response, error)
    }
  }

  const server = await serveAwsJson({ port, host, closing, internalError: 'InternalServiceError', handle })

  for (const [name, value] of Object.entries(options.secrets ?? {})) store(name, value)

  const standIn: SecretsManagerStandIn = {
    url: server.url,
    calls: [],
    delayMs: 0,
    putSecret: (name, secretString) => {
      const { secret, versionId } = store(name, secretString)
      return { arn: secret.arn, versionId }
    },
    fail: (fault) => {
      faults.push({ ...fault })
    },
    clearFaults: () => {
      faults = []
    },
    close: server.close,
  }
  return standIn
}

/** The SDK fills ClientRequestToken with a UUID, and the service uses it as the new VersionId. */
function token(input: Record<string, unknown>): string | undefined {
  return typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined
}
