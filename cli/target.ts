/**
 * Which deployed stage the command talks to, and the AWS SDK clients for it. The operator's own AWS
 * credentials sign every call (CloudTrail records who did what); `--stage local` is the sandbox
 * (`npm start`), which needs none.
 */
import { LambdaClient } from '@aws-sdk/client-lambda'
import { SQSClient } from '@aws-sdk/client-sqs'
import { sandboxPorts } from '../infra/local/ports.ts'
import { UsageError } from './usage.ts'

export interface TargetOptions {
  stage?: string | undefined
  function?: string | undefined
  region?: string | undefined
}

const SERVICE = 'payscore-terminate'
/** serverless-offline's Lambda invoke API as `npm start` runs it (custom.serverless-offline.lambdaPort). */
/** The sandbox's Lambda invoke API, where `npm start` put it (SANDBOX_PORTS, as for npm start). */
/** The sandbox's invoke API, where SANDBOX_PORTS puts it (a bad value is a usage error, exit 2). */
function localLambdaEndpoint(): string {
  try {
    return `http://127.0.0.1:${sandboxPorts().lambda}`
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}
const LOCAL_REGION = 'us-east-1'
/** The sandbox checks no signature; the SDK still wants something to sign with. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }
const NAME = /^[A-Za-z0-9_-]{1,64}$/
/** A Lambda invocation of the invoke function lasts 30 s at most; this leaves room for the network. */
const REQUEST_TIMEOUT_MS = 60_000
/** GetCallerIdentity answers at once; a few retries of a silent endpoint stay under a minute. */
const STS_TIMEOUT_MS = 15_000

const isLocal = (options: TargetOptions) => options.stage === 'local'

/** `--function NAME`, or `payscore-terminate-STAGE-invoke` for `--stage STAGE`. */
export function functionName(options: TargetOptions): string {
  if (options.stage !== undefined && options.function !== undefined) {
    throw new UsageError('give --stage or --function, not both')
  }
  if (options.function !== undefined) {
    if (!NAME.test(options.function)) throw new UsageError('--function must be a Lambda function name')
    return options.function
  }
  return `${SERVICE}-${stage(options)}-invoke`
}

/** The stage of `--stage`, required where names derive from it (the dlq helpers). */
export function stage(options: TargetOptions): string {
  if (options.stage === undefined) {
    throw new UsageError(
      options.function === undefined
        ? 'name the target: --stage STAGE or --function NAME'
        : 'the dlq commands need --stage STAGE: the queues are named after it (--function names only the invoke function)',
    )
  }
  if (!NAME.test(options.stage)) throw new UsageError('--stage must be letters, digits, - or _')
  return options.stage
}

export const queueNames = (stageName: string) => ({
  work: `${SERVICE}-${stageName}-terminate`,
  dlq: `${SERVICE}-${stageName}-terminate-dlq`,
})

/**
 * An explicit endpoint would override AWS_ENDPOINT_URL_<SERVICE> (the SDK prefers configuration to
 * environment), so the sandbox's address is set only when the environment names none: tests reach
 * a sandbox on free ports with `--stage local` and AWS_ENDPOINT_URL_LAMBDA.
 */
function localEndpoint(variable: string, fallback: string | undefined) {
  return process.env[variable] || process.env.AWS_ENDPOINT_URL ? undefined : fallback
}

/** Lambda's client; `sockets` calls can be in flight at once (the SDK's default is 50). */
export function lambdaClient(options: TargetOptions, sockets = 50): LambdaClient {
  const requestHandler = { requestTimeout: REQUEST_TIMEOUT_MS, httpAgent: { maxSockets: sockets } }
  if (!isLocal(options)) return new LambdaClient({ region: options.region, requestHandler })
  return new LambdaClient({
    region: options.region ?? LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: localEndpoint('AWS_ENDPOINT_URL_LAMBDA', localLambdaEndpoint()),
    requestHandler,
  })
}

/**
 * The AWS account the Lambda client's credentials belong to, from STS GetCallerIdentity (which needs
 * no IAM permission), in the client's region with its credentials; the endpoint is the SDK's for
 * that region, or AWS_ENDPOINT_URL_STS. Without an answer (expired credentials, no network) the
 * account is unknown: an error naming STS and why.
 */
export async function callerAccount(client: LambdaClient): Promise<string> {
  // Loaded here (3-4 ms beside the Lambda and SQS clients): only bulk-terminate against AWS asks.
  const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts')
  const sts = new STSClient({
    region: client.config.region,
    credentials: client.config.credentials,
    requestHandler: { requestTimeout: STS_TIMEOUT_MS },
  })
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}))
    if (!Account) throw new Error('the answer names no account')
    return Account
  } catch (error) {
    throw new Error(
      `cannot tell the AWS account of these credentials (STS GetCallerIdentity): ${error instanceof Error ? error.message : String(error)}`,
    )
  } finally {
    sts.destroy()
  }
}

/** What to add to "cannot reach the Lambda endpoint" for this target. */
export const unreachableHint = (options: TargetOptions) =>
  isLocal(options)
    ? ' (--stage local: is the sandbox running? npm start; one started with SANDBOX_PORTS is found with the same SANDBOX_PORTS)'
    : ''

/**
 * SQS's client. The sandbox has no queues: locally, AWS_ENDPOINT_URL_SQS must name an emulator.
 * Queue URLs come from GetQueueUrl on the endpoint in use, so that endpoint serves them too (an
 * emulator's URLs may name a host that does not resolve, e.g. sqs.us-east-1.localhost).
 */
export function sqsClient(options: TargetOptions): SQSClient {
  const common = { useQueueUrlAsEndpoint: false }
  if (!isLocal(options)) return new SQSClient({ ...common, region: options.region })
  if (!process.env.AWS_ENDPOINT_URL_SQS && !process.env.AWS_ENDPOINT_URL) {
    throw new UsageError('the sandbox has no SQS queues: set AWS_ENDPOINT_URL_SQS to an SQS emulator')
  }
  return new SQSClient({ ...common, region: options.region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
}

/**
 * Settles region and credentials before anything is sent, so a missing one is one clear message
 * instead of an error on every row.
 */
export async function checkClient(client: LambdaClient | SQSClient): Promise<void> {
  try {
    await client.config.region()
  } catch {
    throw new UsageError('no AWS region: pass --region or set AWS_REGION')
  }
  try {
    await client.config.credentials()
  } catch (error) {
    throw new Error(`no AWS credentials: ${error instanceof Error ? error.message : String(error)}`)
  }
}
