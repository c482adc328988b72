/**
 * The deployable template, checked offline: runs the real `serverless package` (osls +
 * serverless-esbuild + the local plugins in infra/plugins/) three times, in parallel, each in its own
 * copy of the service (serverless-esbuild builds in the service folder, which `npm start` and other
 * tests use), and reads what it wrote:
 *
 * - prod: the params `npm run package` passes (the merchant secret ARN only);
 * - prod + every optional param (KMS key, alarm topic, another maximum concurrency, direct mode, a
 *   publishing bus given by ARN, other notification throttling);
 * - local: the stage `npm start` runs offline, which must still resolve.
 *
 * Then asserts the resources and policies issue 4 asks for, that every value with a CloudFormation
 * Parameter reaches the code and IAM through it (issue 8), validates every resource type and
 * property name (recursively, through nested property types) against the CloudFormation resource
 * specification in @aws-cdk/aws-service-spec (offline), runs the real `cfn-lint` over every
 * variant, and lists the zips.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec'
import { ROUTES } from '../../functions/http.ts'
import { NOTIFICATION_ROUTE } from '../../functions/notify.ts'
import { NOTIFICATION_BUDGET_MS } from '../../functions/runtime/notifications.ts'
import type { NotificationResult } from '../../functions/runtime/observability.ts'
import { cfnLint, cfnLintInstalled, type Finding } from './cfn-lint.ts'
import { deployedWith } from './conditions.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:payscore-terminate-prod-AbCdEf'
const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:payscore-alarms'
const BUS_ARN = 'arn:aws:events:us-east-1:000000000000:event-bus/payscore-outcomes'
/** WeChat's notifications (issue 10): public, to the notify function; every other route is AWS_IAM. */
const FUNCTIONS = ['http', 'queue', 'invoke', 'notify'] as const
const LOGICAL = {
  http: 'HttpLambdaFunction',
  queue: 'QueueLambdaFunction',
  invoke: 'InvokeLambdaFunction',
  notify: 'NotifyLambdaFunction',
}
const OUTCOMES = ['terminated', 'already_terminated', 'rejected', 'failed', 'retryable']
/** Every NotificationResult (the `result` dimension of `Notification`): tsc fails if one is missing. */
const NOTIFICATION_RESULTS = Object.keys({
  published: true,
  not_published: true,
  unauthenticated: true,
  malformed: true,
  too_large: true,
  secret_unusable: true,
} satisfies Record<NotificationResult, true>)

type Obj = Record<string, unknown>
interface Resource {
  Type: string
  Properties?: Obj
  [attribute: string]: unknown
}
interface Template {
  Parameters?: Record<string, Obj>
  Conditions?: Obj
  Resources: Record<string, Resource>
  Outputs?: Obj
}
interface Packaged {
  dir: string
  out: string
  template: Template
  /** The service as serverless resolved it (serverless-state.json): serverless.yml, params applied. */
  service: Obj
}

// ---------------------------------------------------------------------------------------------------
// Packaging

function run(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Nothing here may reach AWS: no credentials are needed to package, and no metadata probe.
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', FORCE_COLOR: '0' },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`serverless ${args.slice(1).join(' ')} exited ${code ?? signal}:\n${output}`))
    })
  })
}

async function packageStage(stage: string, params: Record<string, string>): Promise<Packaged> {
  const dir = await mkdtemp(join(tmpdir(), `payscore-template-${stage}-`))
  for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'infra']) {
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true })
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const out = join(dir, 'out')
  await run(
    [
      join(ROOT, 'node_modules/serverless/bin/serverless.js'),
      'package',
      '--stage',
      stage,
      '--package',
      out,
      ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`),
    ],
    dir,
  )
  const template = JSON.parse(
    await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template
  const state = JSON.parse(await readFile(join(out, 'serverless-state.json'), 'utf8')) as { service: Obj }
  return { dir, out, template, service: state.service }
}

let prod: Packaged
let full: Packaged
let local: Packaged

before(async () => {
  ;[prod, full, local] = await Promise.all([
    packageStage('prod', { merchantSecretArn: SECRET_ARN }),
    packageStage('prod', {
      merchantSecretArn: SECRET_ARN,
      merchantSecretKmsKeyArn: KMS_KEY_ARN,
      alarmTopicArn: TOPIC_ARN,
      queueMaxConcurrency: '3',
      wechatpayMode: 'direct',
      publishEventBusName: BUS_ARN,
      notificationThrottleRateLimit: '5',
      notificationThrottleBurstLimit: '7',
    }),
    packageStage('local', {}),
  ])
})

after(async () => {
  for (const packaged of [prod, full, local]) {
    if (packaged) await rm(packaged.dir, { recursive: true, force: true })
  }
})

// ---------------------------------------------------------------------------------------------------
// Small helpers over the template JSON

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `value` at `path`, or undefined; numbers index arrays. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value
  for (const key of path) {
    if (typeof key === 'number' ? !Array.isArray(current) : !isObj(current)) return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}

function resource(template: Template, id: string): Resource {
  const found = template.Resources[id]
  assert.ok(found, `resource ${id} is in the template`)
  return found
}

function ofType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type)
}

const ref = (id: string) => ({ Ref: id })
/** An Fn::Sub placeholder, `${id}` or `${id.Attribute}`. */
const sub = (name: string) => `\${${name}}`
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] })
/** The ARN IAM gets for a bus given by name: built in the stack's partition, region and account. */
const BUS_ARN_FROM_NAME = {
  'Fn::Sub': `arn:${sub('AWS::Partition')}:events:${sub('AWS::Region')}:${sub('AWS::AccountId')}:event-bus/${sub('PublishEventBusName')}`,
}

/** A Ref to a template Parameter becomes its Default (what `serverless deploy` deploys with). */
function resolveParameter(template: Template, value: unknown): unknown {
  const name = at(value, 'Ref')
  if (typeof name === 'string' && template.Parameters?.[name]) return template.Parameters[name].Default
  return value
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}

interface Statement {
  Sid?: string
  Effect: string
  Action: unknown
  Resource: unknown
  Condition?: Obj
}

/** The logical id of the execution role a function runs with (its Role is a GetAtt on it). */
function roleOf(template: Template, name: (typeof FUNCTIONS)[number]): string {
  const role = at(resource(template, LOGICAL[name]), 'Properties', 'Role', 'Fn::GetAtt')
  assert.ok(Array.isArray(role) && role[1] === 'Arn', `${name} runs with a role of this stack`)
  return String(role[0])
}

/** Every statement of one role's inline policies; a role has no managed policies. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const role = resource(template, roleId)
  assert.equal(role.Type, 'AWS::IAM::Role')
  const managed = at(role, 'Properties', 'ManagedPolicyArns')
  assert.ok(managed === undefined || (Array.isArray(managed) && managed.length === 0), 'no managed policies')
  const policies = at(role, 'Properties', 'Policies') as unknown[]
  return policies.flatMap((policy) => list(at(policy, 'PolicyDocument', 'Statement')) as Statement[])
}

/**
 * The statements of the role `name` runs with, once CloudFormation has applied the Conditions for
 * the Parameters' Defaults, `values` taking precedence (a deploy with other values).
 */
function roleStatements(
  template: Template,
  name: (typeof FUNCTIONS)[number],
  values: Record<string, string> = {},
): Statement[] {
  return statementsOf(deployedWith(template, values), roleOf(template, name))
}

function actionsOf(statement: Statement): string[] {
  return list(statement.Action).map(String)
}

// ---------------------------------------------------------------------------------------------------
// Functions, environment, bundles

describe('functions', () => {
  it('are http, queue, invoke and notify: Node 24 on arm64, ESM handlers, memory and timeouts set', () => {
    const functions = ofType(prod.template, 'AWS::Lambda::Function')
    assert.deepEqual(functions.map(([id]) => id).sort(), Object.values(LOGICAL).sort())
    for (const name of FUNCTIONS) {
      const properties = resource(prod.template, LOGICAL[name]).Properties!
      assert.equal(properties.FunctionName, `payscore-terminate-prod-${name}`)
      assert.equal(properties.Handler, `functions/${name}.handler`)
      assert.equal(properties.Runtime, 'nodejs24.x')
      assert.deepEqual(properties.Architectures, ['arm64'])
      // A caller waits on http and notify, cold starts included: more memory, more CPU.
      assert.equal(properties.MemorySize, name === 'http' || name === 'notify' ? 1024 : 512)
      assert.deepEqual(
        properties.Role,
        getAtt(`${LOGICAL[name].replace(/LambdaFunction$/, '')}IamRoleLambdaExecution`, 'Arn'),
      )
    }
    const timeout = (name: (typeof FUNCTIONS)[number]) =>
      at(resource(prod.template, LOGICAL[name]), 'Properties', 'Timeout')
    assert.equal(timeout('http'), 15)
    assert.ok(
      (timeout('http') as number) < 30,
      'the http function answers before the HTTP API gives up (30 s)',
    )
    assert.equal(timeout('queue'), 60)
    assert.equal(timeout('invoke'), 30)
    assert.equal(timeout('notify'), 6)
    assert.ok(
      (timeout('notify') as number) * 1000 > NOTIFICATION_BUDGET_MS,
      'the notify function answers by its own budget (WeChat waits 5 s), never cut off by Lambda first',
    )
  })

  it('get the environment functions/runtime/config.ts reads, from the stage params', () => {
    for (const name of FUNCTIONS) {
      const variables = at(resource(prod.template, LOGICAL[name]), 'Properties', 'Environment', 'Variables')
      assert.equal(resolveParameter(prod.template, at(variables, 'MERCHANT_SECRET_ID')), SECRET_ARN)
      assert.deepEqual(
        { ...(variables as Obj), QUEUE_CONCURRENCY: undefined },
        {
          MERCHANT_SECRET_ID: ref('MerchantSecretArn'),
          WECHATPAY_MODE: 'partner',
          WECHATPAY_BASE_URL: 'https://api.mch.weixin.qq.com',
          WECHATPAY_BACKUP_URL: 'https://api2.mch.weixin.qq.com',
          EVENT_BUS: ref('PublishEventBusName'),
          POWERTOOLS_LOG_LEVEL: 'INFO',
          QUEUE_CONCURRENCY: undefined,
        },
      )
    }
    const queueVariables = at(
      resource(prod.template, 'QueueLambdaFunction'),
      'Properties',
      'Environment',
      'Variables',
    )
    assert.equal(at(queueVariables, 'QUEUE_CONCURRENCY'), '10')
  })

  it('get WECHATPAY_MODE from the wechatpayMode param, every function', () => {
    for (const name of FUNCTIONS) {
      const variables = (packaged: Packaged) =>
        at(resource(packaged.template, LOGICAL[name]), 'Properties', 'Environment', 'Variables')
      assert.equal(at(variables(prod), 'WECHATPAY_MODE'), 'partner', `${name}: partner by default`)
      assert.equal(at(variables(full), 'WECHATPAY_MODE'), 'direct', `${name}: the param reaches it`)
    }
  })

  it("get EVENT_BUS from the publishEventBusName param, by default the stage's eventBusName", () => {
    for (const name of FUNCTIONS) {
      const bus = (packaged: Packaged) =>
        resolveParameter(
          packaged.template,
          at(
            resource(packaged.template, LOGICAL[name]),
            'Properties',
            'Environment',
            'Variables',
            'EVENT_BUS',
          ),
        )
      assert.equal(bus(prod), 'default', `${name}: the cancellation rule's bus by default`)
      assert.equal(bus(full), BUS_ARN, `${name}: the param reaches it`)
      assert.equal(bus(local), 'payscore-local', `${name}: outcome events on in the sandbox`)
    }
  })

  it('stage local still resolves, with the sandbox params (npm start)', () => {
    const variables = at(
      resource(local.template, 'HttpLambdaFunction'),
      'Properties',
      'Environment',
      'Variables',
    )
    assert.deepEqual(at(variables, 'MERCHANT_SECRET_ID'), ref('MerchantSecretArn'))
    assert.equal(at(variables, 'WECHATPAY_BASE_URL'), 'http://127.0.0.1:3010')
    assert.equal(at(variables, 'WECHATPAY_BACKUP_URL'), '')
  })

  it('run offline (npm start) with each Parameter Ref replaced by its Default: the sandbox secret', () => {
    // The real local service config, through infra/plugins/offline-parameters.cjs as `offline start` runs it.
    const service = structuredClone(local.service)
    offlineParameters(['offline', 'start'], service)
    const functions = service.functions as Record<string, { environment?: Obj }>
    for (const name of FUNCTIONS) {
      const environment = {
        ...(at(service, 'provider', 'environment') as Obj),
        ...functions[name]!.environment,
      }
      assert.equal(environment.MERCHANT_SECRET_ID, 'payscore-terminate/local', name)
      assert.equal(environment.WECHATPAY_BASE_URL, 'http://127.0.0.1:3010', name)
      assert.equal(environment.EVENT_BUS, 'payscore-local', name)
      for (const [variable, value] of Object.entries(environment)) {
        assert.equal(typeof value, 'string', `${name}: ${variable} is a string offline`)
      }
    }
  })

  it('leave the Refs alone when packaging, resolve them for invoke local, refuse a Ref to a non-Parameter', () => {
    const packaging = structuredClone(prod.service)
    offlineParameters(['package'], packaging)
    assert.deepEqual(at(packaging, 'provider', 'environment', 'MERCHANT_SECRET_ID'), ref('MerchantSecretArn'))
    const invoking = structuredClone(prod.service)
    offlineParameters(['invoke', 'local'], invoking)
    assert.equal(at(invoking, 'provider', 'environment', 'MERCHANT_SECRET_ID'), SECRET_ARN)
    const broken = structuredClone(prod.service)
    ;(at(broken, 'functions', 'queue') as Obj).environment = { QUEUE_URL: ref('TerminateQueue') }
    assert.throws(
      () => offlineParameters(['offline', 'start'], broken),
      /functions\.queue\.environment\.QUEUE_URL is a Ref to TerminateQueue, which is not a CloudFormation Parameter/,
    )
  })

  it('each zip holds only its own bundle and source map', async () => {
    for (const packaged of [prod, full]) {
      for (const name of FUNCTIONS) {
        const key = at(resource(packaged.template, LOGICAL[name]), 'Properties', 'Code', 'S3Key')
        assert.equal(basename(String(key)), `${name}.zip`)
        const entries = zipEntries(await readFile(join(packaged.out, `${name}.zip`)))
        assert.deepEqual(entries.map((entry) => entry.name).sort(), [
          `functions/${name}.mjs`,
          `functions/${name}.mjs.map`,
        ])
        const bundle = entries.find((entry) => entry.name.endsWith('.mjs'))!
        assert.ok(bundle.size > 10_000 && bundle.size < 2_000_000, `${name}.mjs is ${bundle.size} bytes`)
      }
    }
  })
})

/** Runs infra/plugins/offline-parameters.cjs on a resolved service config, as for `commands`. */
function offlineParameters(commands: string[], service: Obj): void {
  const require = createRequire(import.meta.url)
  const OfflineParameters = require('../../infra/plugins/offline-parameters.cjs') as new (
    serverless: unknown,
  ) => { hooks: { initialize(): void } }
  new OfflineParameters({ processedInput: { commands }, service, classes: { Error } }).hooks.initialize()
}

/** Names and uncompressed sizes from a zip's central directory (what `unzip -l` lists). */
function zipEntries(zip: Buffer): { name: string; size: number }[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  assert.ok(end >= 0, 'a zip end-of-central-directory record')
  const count = zip.readUInt16LE(end + 10)
  let offset = zip.readUInt32LE(end + 16)
  const entries = []
  for (let index = 0; index < count; index++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, 'a central directory header')
    const size = zip.readUInt32LE(offset + 24)
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    entries.push({ name: zip.toString('utf8', offset + 46, offset + 46 + nameLength), size })
    offset += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

// ---------------------------------------------------------------------------------------------------
// HTTP API

describe('HTTP API', () => {
  /** Each route of a template: its key, its authorization, and the function its integration calls. */
  const routesOf = (template: Template) =>
    ofType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const target = at(route, 'Properties', 'Target', 'Fn::Join', 1) as unknown[]
      assert.equal(target[0], 'integrations')
      const integration = resource(template, String(at(target[1], 'Ref')))
      assert.equal(at(integration, 'Properties', 'PayloadFormatVersion'), '2.0')
      assert.equal(at(integration, 'Properties', 'IntegrationType'), 'AWS_PROXY')
      return {
        key: String(at(route, 'Properties', 'RouteKey')),
        // CloudFormation's default when absent is NONE.
        authorization: String(at(route, 'Properties', 'AuthorizationType') ?? 'NONE'),
        function: at(integration, 'Properties', 'IntegrationUri'),
      }
    })

  it('routes exactly the routes functions/http.ts serves to http, each with AWS_IAM authorization', () => {
    for (const { template } of [prod, full, local]) {
      const routes = routesOf(template).filter((route) => route.key !== NOTIFICATION_ROUTE)
      assert.deepEqual(routes.map((route) => route.key).sort(), Object.keys(ROUTES).sort())
      for (const route of routes) {
        assert.equal(route.authorization, 'AWS_IAM', route.key)
        assert.deepEqual(route.function, getAtt('HttpLambdaFunction', 'Arn'), route.key)
      }
    }
  })

  it("routes WeChat's notifications to notify, the one route without AWS_IAM (WeChat signs them itself)", () => {
    for (const { template } of [prod, full, local]) {
      const routes = routesOf(template)
      assert.deepEqual(
        routes.filter((route) => route.authorization !== 'AWS_IAM'),
        [{ key: NOTIFICATION_ROUTE, authorization: 'NONE', function: getAtt('NotifyLambdaFunction', 'Arn') }],
      )
      assert.equal(routes.length, Object.keys(ROUTES).length + 1, 'no other route')
    }
    assert.deepEqual(at(prod.template.Outputs, 'NotificationUrl', 'Value'), {
      'Fn::Sub': `https://${sub('HttpApi')}.execute-api.${sub('AWS::Region')}.${sub('AWS::URLSuffix')}/v1/wechatpay/notifications`,
    })
  })

  it('throttles every route of the stage, and the public notification route on its own, lower limits', () => {
    const stage = resource(prod.template, 'HttpApiStage')
    const settings = at(stage, 'Properties', 'DefaultRouteSettings')
    assert.equal(at(settings, 'ThrottlingRateLimit'), 20)
    assert.equal(at(settings, 'ThrottlingBurstLimit'), 40)
    // RouteSettings is a Json property, written as given: a --param value is a string ("5").
    const limits = (packaged: Packaged) =>
      Object.entries(
        at(
          resource(packaged.template, 'HttpApiStage'),
          'Properties',
          'RouteSettings',
          NOTIFICATION_ROUTE,
        ) as Obj,
      ).map(([name, value]) => [name, typeof value === 'boolean' ? value : Number(value)])
    assert.deepEqual(limits(prod), [
      ['DetailedMetricsEnabled', false],
      ['ThrottlingRateLimit', 10],
      ['ThrottlingBurstLimit', 20],
    ])
    assert.deepEqual(limits(full), [
      ['DetailedMetricsEnabled', false],
      ['ThrottlingRateLimit', 5],
      ['ThrottlingBurstLimit', 7],
    ])
    // RouteSettings for a route the stage does not have yet fail the deploy: the stage waits for it.
    const [routeId] = ofType(prod.template, 'AWS::ApiGatewayV2::Route').find(
      ([, route]) => at(route, 'Properties', 'RouteKey') === NOTIFICATION_ROUTE,
    )!
    assert.ok(list(stage.DependsOn).includes(routeId), `the stage waits for ${routeId}`)
  })

  it('writes a JSON access log line per request to a log group with retention', () => {
    const access = at(resource(prod.template, 'HttpApiStage'), 'Properties', 'AccessLogSettings')
    assert.deepEqual(at(access, 'DestinationArn'), getAtt('HttpApiLogGroup', 'Arn'))
    const format = JSON.parse(String(at(access, 'Format'))) as Obj
    // The path holds the raw authorization code, which logs only ever show masked.
    for (const raw of ['$context.path', '$context.resourcePath']) {
      assert.ok(!String(at(access, 'Format')).includes(`"${raw}"`), `the access log must not log ${raw}`)
    }
    for (const [field, variable] of Object.entries({
      requestId: '$context.requestId',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
      integrationStatus: '$context.integrationStatus',
      routeKey: '$context.routeKey',
      userArn: '$context.identity.userArn',
      error: '$context.error.message',
    })) {
      assert.equal(format[field], variable, field)
    }
    assert.equal(at(resource(prod.template, 'HttpApiLogGroup'), 'Properties', 'RetentionInDays'), 30)
  })
})

// ---------------------------------------------------------------------------------------------------
// Queue, dead-letter queue, event source mapping, EventBridge rule

describe('queue', () => {
  it('has a dead-letter queue: redrive with maxReceiveCount, 14-day retention, both encrypted', () => {
    const queue = resource(prod.template, 'TerminateQueue').Properties!
    const dlq = resource(prod.template, 'TerminateDlq').Properties!
    assert.deepEqual(at(queue, 'RedrivePolicy', 'deadLetterTargetArn'), getAtt('TerminateDlq', 'Arn'))
    assert.equal(at(queue, 'RedrivePolicy', 'maxReceiveCount'), 5)
    assert.equal(dlq.MessageRetentionPeriod, 14 * 24 * 3600)
    assert.ok((dlq.MessageRetentionPeriod as number) > (queue.MessageRetentionPeriod as number))
    for (const properties of [queue, dlq]) {
      assert.ok(
        properties.SqsManagedSseEnabled === true || properties.KmsMasterKeyId,
        'server-side encryption',
      )
    }
  })

  it('hides a message in flight for at least 6x the queue function timeout', () => {
    const visibility = at(
      resource(prod.template, 'TerminateQueue'),
      'Properties',
      'VisibilityTimeout',
    ) as number
    const timeout = at(resource(prod.template, 'QueueLambdaFunction'), 'Properties', 'Timeout') as number
    assert.ok(visibility >= 6 * timeout, `visibility ${visibility} s >= 6 x ${timeout} s`)
  })

  it('feeds the queue function: batches of 10, partial batch failures, bounded concurrency', () => {
    const mappings = ofType(prod.template, 'AWS::Lambda::EventSourceMapping')
    assert.equal(mappings.length, 1)
    const properties = mappings[0]![1].Properties!
    assert.deepEqual(properties.EventSourceArn, getAtt('TerminateQueue', 'Arn'))
    assert.deepEqual(properties.FunctionName, getAtt('QueueLambdaFunction', 'Arn'))
    assert.equal(properties.BatchSize, 10)
    assert.deepEqual(properties.FunctionResponseTypes, ['ReportBatchItemFailures'])
    assert.deepEqual(properties.ScalingConfig, { MaximumConcurrency: 2 })
    const other = ofType(full.template, 'AWS::Lambda::EventSourceMapping')[0]![1]
    assert.deepEqual(at(other, 'Properties', 'ScalingConfig'), { MaximumConcurrency: 3 }, 'from the param')
  })

  it('is fed by an EventBridge rule for the documented cancellation event', () => {
    const rule = resource(prod.template, 'CancellationRule').Properties!
    assert.deepEqual(rule.EventBusName, ref('EventBusName'))
    assert.equal(resolveParameter(prod.template, rule.EventBusName), 'default')
    assert.equal(rule.State, 'ENABLED')
    assert.deepEqual(rule.EventPattern, {
      source: ['com.example.payscore'],
      'detail-type': ['PayScoreAuthorizationCancelled'],
    })
    const targets = rule.Targets as Obj[]
    assert.equal(targets.length, 1)
    assert.deepEqual(targets[0]!.Arn, getAtt('TerminateQueue', 'Arn'))
    assert.deepEqual(at(targets[0], 'DeadLetterConfig', 'Arn'), getAtt('TerminateDlq', 'Arn'))
  })

  it('lets only that rule send to it (queue policy with aws:SourceArn)', () => {
    const policies = ofType(prod.template, 'AWS::SQS::QueuePolicy')
    const forQueue = policies.filter(([, p]) =>
      (at(p, 'Properties', 'Queues') as unknown[]).some(
        (q) => JSON.stringify(q) === JSON.stringify(ref('TerminateQueue')),
      ),
    )
    assert.equal(forQueue.length, 1)
    for (const [, policy] of policies) {
      const statements = list(at(policy, 'Properties', 'PolicyDocument', 'Statement'))
      assert.ok(statements.length > 0)
      for (const statement of statements) {
        assert.equal(at(statement, 'Effect'), 'Allow')
        assert.deepEqual(at(statement, 'Principal'), { Service: 'events.amazonaws.com' })
        assert.deepEqual(list(at(statement, 'Action')), ['sqs:SendMessage'])
        assert.deepEqual(
          at(statement, 'Condition', 'ArnEquals', 'aws:SourceArn'),
          getAtt('CancellationRule', 'Arn'),
        )
      }
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// IAM

describe('IAM', () => {
  const PACKAGED = () => [prod, full, local]

  it('gives each function its own role, and the stack no other role', () => {
    for (const { template } of PACKAGED()) {
      const roles = FUNCTIONS.map((name) => roleOf(template, name))
      assert.equal(new Set(roles).size, FUNCTIONS.length, `one role per function: ${roles.join(', ')}`)
      assert.deepEqual(
        ofType(template, 'AWS::IAM::Role')
          .map(([id]) => id)
          .sort(),
        [...roles].sort(),
        "no role that no function uses (serverless's shared IamRoleLambdaExecution is gone)",
      )
      for (const name of FUNCTIONS) {
        const role = resource(template, roleOf(template, name))
        assert.deepEqual(
          at(role, 'Properties', 'AssumeRolePolicyDocument', 'Statement'),
          [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
          `${name}: only Lambda assumes its role`,
        )
        assert.ok(
          list(resource(template, LOGICAL[name]).DependsOn).includes(roleOf(template, name)),
          `${name} waits for its role`,
        )
      }
    }
    const mapping = ofType(prod.template, 'AWS::Lambda::EventSourceMapping')[0]![1]
    assert.deepEqual(
      list(mapping.DependsOn),
      [roleOf(prod.template, 'queue')],
      'the mapping waits for the role',
    )
  })

  it('grants no wildcard action, and * resources to no one', () => {
    for (const { template } of PACKAGED()) {
      for (const name of FUNCTIONS) {
        for (const statement of roleStatements(template, name)) {
          assert.equal(statement.Effect, 'Allow')
          assert.ok(!('NotAction' in statement) && !('NotResource' in statement), 'no NotAction/NotResource')
          for (const action of actionsOf(statement))
            assert.ok(!action.includes('*'), `${name}: wildcard action ${action}`)
          for (const target of list(statement.Resource)) {
            // Only CloudWatch or X-Ray could need '*'; with EMF metrics and no tracing, nothing does.
            assert.notEqual(target, '*', `${name}: ${actionsOf(statement).join(',')} on *`)
          }
        }
      }
    }
  })

  it('lets every function read exactly the merchant secret, nothing else in Secrets Manager', () => {
    for (const { template } of [prod, full]) {
      for (const name of FUNCTIONS) {
        const statements = roleStatements(template, name).filter((s) =>
          actionsOf(s).some((action) => action.startsWith('secretsmanager:')),
        )
        assert.equal(statements.length, 1, name)
        assert.deepEqual(actionsOf(statements[0]!), ['secretsmanager:GetSecretValue'])
        assert.deepEqual(statements[0]!.Resource, ref('MerchantSecretArn'))
        assert.equal(resolveParameter(template, statements[0]!.Resource), SECRET_ARN)
      }
    }
  })

  it('has a kms statement exactly when the KMS key Parameter is set, whatever the stage params were', () => {
    const kms = (template: Template, name: (typeof FUNCTIONS)[number], values: Record<string, string> = {}) =>
      roleStatements(template, name, values).filter((s) =>
        actionsOf(s).some((action) => action.startsWith('kms:')),
      )
    assert.deepEqual(full.template.Conditions?.HasMerchantSecretKmsKey, {
      'Fn::Not': [{ 'Fn::Equals': [ref('MerchantSecretKmsKeyArn'), ''] }],
    })
    for (const name of FUNCTIONS) {
      // As packaged (the Parameters' Defaults): only the variant given a key has the statement.
      assert.deepEqual(kms(prod.template, name), [], name)
      assert.deepEqual(kms(local.template, name), [], name)
      assert.equal(kms(full.template, name).length, 1, name)
      assert.equal(resolveParameter(full.template, kms(full.template, name)[0]!.Resource), KMS_KEY_ARN)
      // Deployed by other means with another value, each variant follows its Parameter.
      for (const { template } of [prod, full, local]) {
        assert.deepEqual(kms(template, name, { MerchantSecretKmsKeyArn: '' }), [], name)
        const [statement, ...rest] = kms(template, name, { MerchantSecretKmsKeyArn: KMS_KEY_ARN })
        assert.ok(statement, `${name}: kms:Decrypt once the key Parameter is set`)
        assert.deepEqual(rest, [])
        assert.deepEqual(actionsOf(statement), ['kms:Decrypt'])
        assert.deepEqual(statement.Resource, ref('MerchantSecretKmsKeyArn'))
        assert.deepEqual(at(statement.Condition, 'StringEquals'), {
          // Through Secrets Manager in the stack's own region, for this secret only.
          'kms:ViaService': { 'Fn::Sub': `secretsmanager.${sub('AWS::Region')}.amazonaws.com` },
          'kms:EncryptionContext:SecretARN': ref('MerchantSecretArn'),
        })
      }
    }
  })

  it('gives only the queue function SQS permissions, and only to receive from TerminateQueue', () => {
    for (const { template } of PACKAGED()) {
      for (const name of FUNCTIONS) {
        const sqs = roleStatements(template, name).filter((s) =>
          actionsOf(s).some((action) => action.startsWith('sqs:')),
        )
        if (name !== 'queue') {
          assert.deepEqual(sqs, [], `${name} has no SQS permission`)
          continue
        }
        assert.equal(sqs.length, 1)
        assert.deepEqual(actionsOf(sqs[0]!).sort(), [
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ])
        assert.deepEqual(list(sqs[0]!.Resource), [getAtt('TerminateQueue', 'Arn')])
      }
    }
  })

  it('lets each function write logs only to its own log group', () => {
    for (const [{ template }, stage] of [
      [prod, 'prod'],
      [full, 'prod'],
      [local, 'local'],
    ] as const) {
      for (const name of FUNCTIONS) {
        const logs = roleStatements(template, name).filter((s) =>
          actionsOf(s).some((action) => action.startsWith('logs:')),
        )
        assert.ok(logs.length > 0, `${name} can log`)
        assert.ok(
          logs.some((s) => actionsOf(s).includes('logs:PutLogEvents')),
          `${name}: logs:PutLogEvents`,
        )
        for (const statement of logs) {
          for (const target of list(statement.Resource)) {
            // The function's own group (and its streams), not a prefix shared with the others.
            assert.match(
              String(at(target, 'Fn::Sub')),
              new RegExp(`:log-group:/aws/lambda/payscore-terminate-${stage}-${name}:\\*(:\\*)?$`),
              `${name}: ${actionsOf(statement).join(',')} on ${JSON.stringify(target)}`,
            )
          }
        }
      }
    }
  })

  it('lets every function put events on the publishing bus alone, by name or by ARN, and none without one', () => {
    const puts = (
      template: Template,
      name: (typeof FUNCTIONS)[number],
      values: Record<string, string> = {},
    ) =>
      roleStatements(template, name, values).filter((s) =>
        actionsOf(s).some((action) => action.startsWith('events:')),
      )
    const only = (statements: Statement[], resource: unknown, why: string) => {
      assert.equal(statements.length, 1, why)
      assert.deepEqual(actionsOf(statements[0]!), ['events:PutEvents'], why)
      assert.deepEqual(statements[0]!.Resource, resource, why)
    }
    for (const name of FUNCTIONS) {
      // As packaged: a name (prod: the default bus, local: the sandbox's) or an ARN (full).
      only(puts(prod.template, name), BUS_ARN_FROM_NAME, `${name}: the default bus, by its ARN`)
      only(puts(local.template, name), BUS_ARN_FROM_NAME, `${name}: the sandbox's bus`)
      only(puts(full.template, name), ref('PublishEventBusName'), `${name}: the ARN as given`)
      assert.equal(resolveParameter(full.template, puts(full.template, name)[0]!.Resource), BUS_ARN)
      // Deployed by other means with other values, each variant follows its Parameter.
      for (const { template } of PACKAGED()) {
        for (const bus of ['default', 'payscore-outcomes', 'aws.partner/example.com/123/events', 'arn']) {
          only(
            puts(template, name, { PublishEventBusName: bus }),
            BUS_ARN_FROM_NAME,
            `${name}: ${bus} is a name`,
          )
        }
        only(puts(template, name, { PublishEventBusName: BUS_ARN }), ref('PublishEventBusName'), name)
        assert.deepEqual(
          puts(template, name, { PublishEventBusName: '' }),
          [],
          `${name}: no bus, no statement`,
        )
      }
    }
  })

  it('uses only Secrets Manager, logs, EventBridge, KMS (with its param) and SQS (queue only)', () => {
    const services = (template: Template, name: (typeof FUNCTIONS)[number]) =>
      [
        ...new Set(roleStatements(template, name).flatMap((s) => actionsOf(s).map((a) => a.split(':')[0]))),
      ].sort()
    for (const name of FUNCTIONS) {
      const sqs = name === 'queue' ? ['sqs'] : []
      assert.deepEqual(services(prod.template, name), ['events', 'logs', 'secretsmanager', ...sqs], name)
      assert.deepEqual(
        services(full.template, name),
        ['events', 'kms', 'logs', 'secretsmanager', ...sqs],
        name,
      )
    }
  })

  it('fails packaging when a function is left on the shared role (infra/plugins/per-function-roles.cjs)', () => {
    const require = createRequire(import.meta.url)
    const PerFunctionRoles = require('../../infra/plugins/per-function-roles.cjs') as new (
      serverless: unknown,
    ) => { hooks: { 'before:package:finalize'(): void } }
    const finalize = (resources: Record<string, Resource>) =>
      new PerFunctionRoles({
        service: { provider: { compiledCloudFormationTemplate: { Resources: resources } } },
        getProvider: () => ({ naming: { getRoleLogicalId: () => 'IamRoleLambdaExecution' } }),
        classes: { Error },
      }).hooks['before:package:finalize']()
    const shared = { Type: 'AWS::IAM::Role', Properties: {} }
    const onShared = {
      IamRoleLambdaExecution: shared,
      HttpLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: getAtt('IamRoleLambdaExecution', 'Arn') },
        DependsOn: ['IamRoleLambdaExecution'],
      },
    }
    assert.throws(() => finalize(onShared), /HttpLambdaFunction/)
    const unused: Record<string, Resource> = {
      IamRoleLambdaExecution: shared,
      HttpLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: getAtt('HttpIamRoleLambdaExecution', 'Arn') },
      },
    }
    finalize(unused)
    assert.deepEqual(Object.keys(unused), ['HttpLambdaFunction'], 'the unused shared role is dropped')
  })
})

// ---------------------------------------------------------------------------------------------------
// Parameters: the template means what its Parameters say (issue 8)

/** Every Parameter name a template section refers to: Ref, or ${Name} in an Fn::Sub string. */
function referencedNames(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencedNames(item, found)
  else if (isObj(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') found.add(inner)
      if (key === 'Fn::Sub') {
        const text = typeof inner === 'string' ? inner : String(at(inner, 0))
        for (const [, name] of text.matchAll(/\$\{([^!}.][^}.]*)\}/g)) found.add(name!)
      }
      referencedNames(inner, found)
    }
  }
  return found
}

describe('Parameters', () => {
  it('every function reads EVENT_BUS through the PublishEventBusName Parameter, as IAM does', () => {
    for (const { template } of [prod, full, local]) {
      for (const name of FUNCTIONS) {
        assert.deepEqual(
          at(resource(template, LOGICAL[name]), 'Properties', 'Environment', 'Variables', 'EVENT_BUS'),
          ref('PublishEventBusName'),
          `${name}: the code gets the Parameter, not a value fixed at package time`,
        )
        const puts = roleStatements(template, name).filter((s) => actionsOf(s).includes('events:PutEvents'))
        assert.equal(puts.length, 1, name)
        assert.ok(
          referencedNames(puts[0]!.Resource).has('PublishEventBusName'),
          `${name}: IAM grants the same Parameter`,
        )
      }
    }
  })

  it('every function reads MERCHANT_SECRET_ID through the MerchantSecretArn Parameter, as IAM does', () => {
    for (const { template } of [prod, full, local]) {
      for (const name of FUNCTIONS) {
        assert.deepEqual(
          at(
            resource(template, LOGICAL[name]),
            'Properties',
            'Environment',
            'Variables',
            'MERCHANT_SECRET_ID',
          ),
          ref('MerchantSecretArn'),
          `${name}: the code gets the Parameter, not a value fixed at package time`,
        )
        const reads = roleStatements(template, name).filter((s) =>
          actionsOf(s).includes('secretsmanager:GetSecretValue'),
        )
        assert.deepEqual(
          reads.map((s) => s.Resource),
          [ref('MerchantSecretArn')],
          `${name}: IAM grants the same Parameter`,
        )
      }
    }
  })

  it('none is unused: each is referenced by a resource, a condition or an output', () => {
    for (const { template } of [prod, full, local]) {
      const used = referencedNames([template.Resources, template.Conditions ?? {}, template.Outputs ?? {}])
      for (const name of Object.keys(template.Parameters ?? {}))
        assert.ok(used.has(name), `${name} is unused`)
    }
  })

  it("no Parameter's value is copied into the template as a literal, which another value would not change", () => {
    /**
     * `value` in the template's JSON text as a value or a part of one (an ARN, a Sub string), not
     * inside a longer name: `default` is copied in `"default"` or `event-bus/default`, not in the
     * API stage name `$default`.
     */
    const copied = (text: string, value: string) => {
      const escaped = JSON.stringify(value)
        .slice(1, -1)
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      return new RegExp(`(?<![\\w$-])${escaped}(?![\\w-])`).test(text)
    }
    assert.ok(copied('{"EventBusName":"default"}', 'default'))
    assert.ok(copied('"arn:aws:events:us-east-1:1:event-bus/default"', 'default'))
    assert.ok(!copied('{"StageName":"$default"}', 'default'))
    assert.ok(copied(JSON.stringify({ Resource: SECRET_ARN }), SECRET_ARN))
    for (const { template } of [prod, full]) {
      const rest = JSON.stringify([template.Resources, template.Conditions ?? {}, template.Outputs ?? {}])
      for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
        const value = String(parameter.Default ?? '')
        if (value !== '') assert.ok(!copied(rest, value), `${name}'s value ${value} is a literal`)
      }
    }
  })

  it('a Default its AllowedPattern refuses is left out of the template (stage local); a valid one is kept', () => {
    assert.equal(prod.template.Parameters!.MerchantSecretArn!.Default, SECRET_ARN)
    assert.ok(
      !('Default' in local.template.Parameters!.MerchantSecretArn!),
      'no Default CloudFormation would refuse',
    )
    assert.equal(
      local.template.Parameters!.MerchantSecretKmsKeyArn!.Default,
      '',
      'an empty optional one stays',
    )
  })
})

// ---------------------------------------------------------------------------------------------------
// cfn-lint (the Python command) over every packaged variant

/** The template test's resources that serverless.yml declares (infra/resources/*.yml), by id. */
function declaredResources(packaged: Packaged): Set<string> {
  return new Set(Object.keys((at(packaged.service, 'resources', 'Resources') as Obj | undefined) ?? {}))
}

let linting: Promise<{
  configured: Awaited<ReturnType<typeof cfnLint>>
  bare: Awaited<ReturnType<typeof cfnLint>>
}>
/** Both runs, started once by whichever test asks first; a missing cfn-lint fails each test that asks. */
function lintAll() {
  linting ??= (async () => {
    const templates = [prod, full, local].map((p) => join(p.out, 'cloudformation-template-update-stack.json'))
    const [configured, bare] = await Promise.all([
      cfnLint(templates, { config: join(ROOT, '.cfnlintrc'), cwd: ROOT }),
      // From a folder with no .cfnlintrc: what the config file hides.
      cfnLint(templates, { cwd: tmpdir() }),
    ])
    return { configured, bare }
  })()
  return linting
}

const describeFinding = (f: Finding) => `${f.rule} ${f.level} ${f.path.join('/')}: ${f.message} (${f.file})`

describe('cfn-lint', () => {
  it('is installed: cfn-lint 1.51 or a later 1.x (fails, saying how to install it, when missing)', async () => {
    assert.match(await cfnLintInstalled(), /^1\.\d+\.\d+$/)
  })

  it('finds no error and no warning in any packaged variant (prod, prod with every option, local)', async () => {
    const { configured } = await lintAll()
    assert.deepEqual(configured.findings.map(describeFinding), [])
    assert.equal(configured.code, 0, configured.stderr)
  })

  it('is told to ignore (.cfnlintrc) only what serverless generates, nothing declared in infra/resources/', async () => {
    const { bare } = await lintAll()
    for (const finding of bare.findings) {
      const packaged = [prod, full, local].find((p) => finding.file.startsWith(p.out))!
      const [section, id] = finding.path
      assert.ok(
        section === 'Resources' && typeof id === 'string' && !declaredResources(packaged).has(id),
        `only .cfnlintrc hides this finding, on something serverless.yml declares: ${describeFinding(finding)}`,
      )
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// Deploy guard: the merchant secret ARN is required

describe('deploy guard (infra/plugins/require-params.cjs + Parameter AllowedPattern)', () => {
  const require = createRequire(import.meta.url)
  const RequireParams = require('../../infra/plugins/require-params.cjs') as new (
    serverless: unknown,
  ) => { hooks: { initialize(): void } }

  const guard = (command: string, parameters: Record<string, Obj>) =>
    new RequireParams({
      processedInput: { commands: [command] },
      service: { provider: { stage: 'prod' }, resources: { Parameters: parameters } },
      classes: { Error },
    }).hooks.initialize()

  const withSecret = (value: string) => ({
    ...prod.template.Parameters,
    MerchantSecretArn: { ...prod.template.Parameters!.MerchantSecretArn, Default: value },
  })

  it('passes a deploy with the full secret ARN (what npm run package passes)', () => {
    assert.doesNotThrow(() => guard('deploy', prod.template.Parameters!))
    assert.doesNotThrow(() => guard('deploy', full.template.Parameters!))
  })

  it('fails a deploy without the ARN, naming the param to set', () => {
    assert.throws(() => guard('deploy', withSecret('')), /MerchantSecretArn is empty: .*merchantSecretArn/s)
  })

  it('fails a deploy with a name or an ARN without its 6-character suffix', () => {
    assert.throws(() => guard('deploy', withSecret('payscore-terminate/prod')), /MerchantSecretArn/)
    assert.throws(
      () => guard('deploy', withSecret('arn:aws:secretsmanager:us-east-1:000000000000:secret:payscore')),
      /MerchantSecretArn/,
    )
  })

  it('refuses to deploy stage local, and leaves package and offline alone', () => {
    assert.throws(() => guard('deploy', local.template.Parameters!), /MerchantSecretArn/)
    assert.doesNotThrow(() => guard('package', withSecret('')))
    assert.doesNotThrow(() => guard('offline', local.template.Parameters!))
  })

  it('rejects a KMS alias or an SNS name where ARNs are expected', () => {
    const parameters = (name: string, value: string) => ({
      ...prod.template.Parameters,
      [name]: { ...prod.template.Parameters![name], Default: value },
    })
    assert.throws(
      () => guard('deploy', parameters('MerchantSecretKmsKeyArn', 'alias/payscore')),
      /MerchantSecretKmsKeyArn/,
    )
    assert.throws(() => guard('deploy', parameters('AlarmTopicArn', 'ops')), /AlarmTopicArn/)
  })

  it('takes a bus by name or ARN (or none to publish to), and refuses anything else', () => {
    const parameters = (name: string, value: string) => ({
      ...prod.template.Parameters,
      [name]: { ...prod.template.Parameters![name], Default: value },
    })
    for (const bus of ['default', 'payscore-outcomes', 'aws.partner/example.com/123/events', BUS_ARN]) {
      assert.doesNotThrow(() => guard('deploy', parameters('PublishEventBusName', bus)), bus)
      assert.doesNotThrow(() => guard('deploy', parameters('EventBusName', bus)), bus)
    }
    assert.doesNotThrow(() => guard('deploy', parameters('PublishEventBusName', '')), 'no outcome events')
    assert.throws(() => guard('deploy', parameters('EventBusName', '')), /EventBusName is empty/)
    for (const bus of [
      'my bus',
      'arn:aws:sns:us-east-1:000000000000:payscore',
      'arn:aws:events:us-east-1:0:event-bus/x',
    ]) {
      assert.throws(() => guard('deploy', parameters('PublishEventBusName', bus)), /PublishEventBusName/, bus)
      assert.throws(() => guard('deploy', parameters('EventBusName', bus)), /EventBusName/, bus)
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// Alarms, dashboard, log groups

interface AlarmKey {
  namespace: string
  metric: string
  dimensions: Obj
}

const alarmKey = (metric: Obj): AlarmKey => ({
  namespace: String(metric.Namespace),
  metric: String(metric.MetricName),
  dimensions: Object.fromEntries(
    (metric.Dimensions as Obj[]).map((d) => [String(d.Name), JSON.stringify(d.Value)]),
  ),
})

/** The metric an alarm watches, or each metric of its metric math. */
function alarms(template: Template): AlarmKey[] {
  return ofType(template, 'AWS::CloudWatch::Alarm').flatMap(([, alarm]) => {
    const properties = alarm.Properties!
    if (!properties.Metrics) return [alarmKey(properties)]
    return (properties.Metrics as Obj[]).flatMap((query) => {
      const metric = at(query, 'MetricStat', 'Metric')
      return isObj(metric) ? [alarmKey(metric)] : []
    })
  })
}

/**
 * A metric math alarm's value for one period, `values` the data of each metric (by its Id; absent:
 * no data point). Knows what our expressions use: ids, numbers, FILL(id, n), + and -.
 */
function alarmValue(alarm: Resource, values: Record<string, number | undefined>): number | undefined {
  const queries = alarm.Properties!.Metrics as Obj[]
  const returned = queries.filter((query) => query.ReturnData !== false)
  assert.equal(returned.length, 1, 'an alarm returns one time series')
  const expression = String(returned[0]!.Expression)
  const ids = new Set(queries.map((query) => String(query.Id)))
  const term = (text: string): number | undefined => {
    const fill = /^FILL\((\w+),\s*(-?[\d.]+)\)$/.exec(text)
    const id = fill ? fill[1]! : text
    if (/^-?[\d.]+$/.test(text)) return Number(text)
    assert.ok(ids.has(id), `${id} in ${expression} is one of the alarm's metrics`)
    return values[id] ?? (fill ? Number(fill[2]) : undefined)
  }
  let total: number | undefined = 0
  for (const [, sign, text] of expression.matchAll(/([+-]?)\s*(FILL\([^)]*\)|[\w.]+)/g)) {
    const value = term(text!)
    total = total === undefined || value === undefined ? undefined : total + (sign === '-' ? -value : value)
  }
  return total
}

describe('alarms, dashboard and log groups', () => {
  it('alarm on DLQ depth, function errors and throttles, verification failures, events and notifications, API 5xx', () => {
    const all = alarms(prod.template)
    const has = (namespace: string, metric: string, dimensions: Record<string, unknown>) =>
      assert.ok(
        all.some(
          (a) =>
            a.namespace === namespace &&
            a.metric === metric &&
            JSON.stringify(a.dimensions) ===
              JSON.stringify(
                Object.fromEntries(Object.entries(dimensions).map(([k, v]) => [k, JSON.stringify(v)])),
              ),
        ),
        `an alarm on ${namespace} ${metric} ${JSON.stringify(dimensions)}`,
      )
    has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: getAtt('TerminateDlq', 'QueueName') })
    for (const name of FUNCTIONS) {
      has('AWS/Lambda', 'Errors', { FunctionName: ref(LOGICAL[name]) })
      has('AWS/Lambda', 'Throttles', { FunctionName: ref(LOGICAL[name]) })
    }
    has('PayscoreTerminate', 'VerificationFailures', { service: 'payscore-terminate' })
    has('PayscoreTerminate', 'UnhandledErrors', { service: 'payscore-terminate' })
    // Events out and notifications in (issue 10).
    has('PayscoreTerminate', 'OutcomeEventsFailed', { service: 'payscore-terminate' })
    has('PayscoreTerminate', 'NotificationVerificationFailures', { service: 'payscore-terminate' })
    has('PayscoreTerminate', 'Notification', { service: 'payscore-terminate', result: 'not_published' })
    has('PayscoreTerminate', 'Notification', { service: 'payscore-terminate', result: 'secret_unusable' })
    has('AWS/ApiGateway', '5xx', { ApiId: ref('HttpApi') })
    // The invoke function's own failures: Lambda's Errors less what it throws by contract.
    has('PayscoreTerminate', 'ContractErrors', { service: 'payscore-terminate' })
    const dlq = ofType(prod.template, 'AWS::CloudWatch::Alarm').find(
      ([, a]) => at(a, 'Properties', 'MetricName') === 'ApproximateNumberOfMessagesVisible',
    )![1].Properties!
    assert.equal(dlq.Threshold, 0)
    assert.equal(dlq.ComparisonOperator, 'GreaterThanThreshold')
  })

  it("the invoke function's Errors alarm fires on its own failures, not on errors thrown by contract", () => {
    for (const packaged of [prod, full]) {
      const alarm = resource(packaged.template, 'InvokeErrorsAlarm')
      const queries = alarm.Properties!.Metrics as Obj[]
      const idOf = (namespace: string, metric: string) =>
        String(
          queries.find(
            (query) =>
              at(query, 'MetricStat', 'Metric', 'Namespace') === namespace &&
              at(query, 'MetricStat', 'Metric', 'MetricName') === metric,
          )?.Id,
        )
      const errors = idOf('AWS/Lambda', 'Errors')
      const contract = idOf('PayscoreTerminate', 'ContractErrors')
      const errorsQuery = queries.find((query) => query.Id === errors)!
      assert.deepEqual(at(errorsQuery, 'MetricStat', 'Metric', 'Dimensions'), [
        { Name: 'FunctionName', Value: ref('InvokeLambdaFunction') },
      ])
      for (const id of [errors, contract]) {
        const query = queries.find((candidate) => candidate.Id === id)!
        assert.deepEqual([at(query, 'MetricStat', 'Stat'), at(query, 'MetricStat', 'Period')], ['Sum', 300])
      }
      const breaching = (values: Record<string, number | undefined>) => {
        const value = alarmValue(alarm, values)
        return value === undefined ? 'missing' : value > Number(alarm.Properties!.Threshold)
      }
      assert.equal(alarm.Properties!.ComparisonOperator, 'GreaterThanThreshold')
      // Normal queries: every error one thrown by contract.
      assert.equal(breaching({ [errors]: 3, [contract]: 3 }), false)
      // A timeout, an out-of-memory or an init error: no ContractErrors data point at all.
      assert.equal(breaching({ [errors]: 1 }), true)
      assert.equal(breaching({ [errors]: 4, [contract]: 3 }), true)
      // No errors at all (Lambda reports 0 while invoked), or no invocations (no data).
      assert.equal(breaching({ [errors]: 0 }), false)
      assert.equal(breaching({}), false)
    }
  })

  it('notify the alarm topic only when one is set', () => {
    const condition = at(full.template.Conditions, 'HasAlarmTopic')
    assert.deepEqual(condition, { 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmTopicArn'), ''] }] })
    assert.equal(prod.template.Parameters!.AlarmTopicArn!.Default, '')
    assert.equal(full.template.Parameters!.AlarmTopicArn!.Default, TOPIC_ARN)
    for (const [, alarm] of ofType(full.template, 'AWS::CloudWatch::Alarm')) {
      assert.deepEqual(at(alarm, 'Properties', 'AlarmActions'), {
        'Fn::If': ['HasAlarmTopic', [ref('AlarmTopicArn')], ref('AWS::NoValue')],
      })
    }
  })

  it('a dashboard shows outcomes, WeChat latency, retries, queue depth and age of the oldest message', () => {
    const body = String(at(resource(prod.template, 'Dashboard'), 'Properties', 'DashboardBody', 'Fn::Sub'))
    // Fn::Sub placeholders sit inside JSON strings: the body parses as it is.
    const dashboard = JSON.parse(body) as { widgets: Obj[] }
    const metrics = dashboard.widgets.flatMap(
      (widget) => (at(widget, 'properties', 'metrics') as unknown[][]) ?? [],
    )
    const shown = (namespace: string, metric: string, ...dimensions: string[]) =>
      assert.ok(
        metrics.some(
          (m) => m[0] === namespace && m[1] === metric && dimensions.every((d, i) => m[2 + i] === d),
        ),
        `${namespace} ${metric} ${dimensions.join(' ')} on the dashboard`,
      )
    for (const outcome of OUTCOMES)
      shown('PayscoreTerminate', 'Outcome', 'service', 'payscore-terminate', 'outcome', outcome)
    for (const result of NOTIFICATION_RESULTS)
      shown('PayscoreTerminate', 'Notification', 'service', 'payscore-terminate', 'result', result)
    shown('PayscoreTerminate', 'OutcomeEventsFailed', 'service', 'payscore-terminate')
    shown('PayscoreTerminate', 'NotificationVerificationFailures', 'service', 'payscore-terminate')
    shown('PayscoreTerminate', 'ContractErrors', 'service', 'payscore-terminate')
    for (const name of FUNCTIONS) {
      for (const metric of ['Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'])
        shown('AWS/Lambda', metric, 'FunctionName', sub(LOGICAL[name]))
    }
    shown('PayscoreTerminate', 'WechatPayLatency', 'service', 'payscore-terminate')
    shown('PayscoreTerminate', 'Retries', 'service', 'payscore-terminate')
    shown('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', sub('TerminateQueue.QueueName'))
    shown('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', sub('TerminateDlq.QueueName'))
    shown('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', sub('TerminateQueue.QueueName'))
    const alarmWidget = dashboard.widgets.find((widget) => widget.type === 'alarm')
    assert.deepEqual(
      (at(alarmWidget, 'properties', 'alarms') as unknown[]).map(String).sort(),
      ofType(prod.template, 'AWS::CloudWatch::Alarm')
        .map(([id]) => sub(`${id}.Arn`))
        .sort(),
      'every alarm on the dashboard',
    )
  })

  it('every function and the API log to a log group with retention', () => {
    const groups = new Map(
      ofType(prod.template, 'AWS::Logs::LogGroup').map(([, g]) => [
        at(g, 'Properties', 'LogGroupName'),
        at(g, 'Properties', 'RetentionInDays'),
      ]),
    )
    for (const name of FUNCTIONS) {
      assert.equal(groups.get(`/aws/lambda/payscore-terminate-prod-${name}`), 30, name)
    }
    assert.equal(groups.get('/aws/http-api/payscore-terminate-prod'), 30, 'API access log')
    for (const [, group] of ofType(prod.template, 'AWS::Logs::LogGroup')) {
      assert.ok(Number(at(group, 'Properties', 'RetentionInDays')) > 0)
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// Against the CloudFormation resource specification (@aws-cdk/aws-service-spec, offline)

type SpecDb = Awaited<ReturnType<typeof loadAwsServiceSpec>>
interface SpecProperty {
  required?: boolean
  type: SpecType
  previousTypes?: SpecType[]
}
type SpecType =
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'union'; types: SpecType[] }
  | { type: 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
])
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
  'AWS::NotificationARNs',
])

function isIntrinsic(value: unknown): boolean {
  if (!isObj(value)) return false
  const keys = Object.keys(value)
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition')
}

/** Problems of one template against the spec: types, property names (nested), value shapes, references. */
function specProblems(db: SpecDb, template: Template): string[] {
  const problems: string[] = []
  const specOf = (type: string) => db.lookup('resource', 'cloudFormationType', 'equals', type)[0]

  const checkProperties = (where: string, value: unknown, properties: Record<string, SpecProperty>) => {
    if (isIntrinsic(value)) return
    if (!isObj(value)) {
      problems.push(`${where}: expected an object, got ${JSON.stringify(value)}`)
      return
    }
    for (const [name, property] of Object.entries(value)) {
      const spec = properties[name]
      if (!spec) problems.push(`${where}.${name}: no such property`)
      else checkValue(`${where}.${name}`, property, [spec.type, ...(spec.previousTypes ?? [])])
    }
    for (const [name, spec] of Object.entries(properties)) {
      if (spec.required && !(name in value)) problems.push(`${where}.${name}: required, missing`)
    }
  }

  // A value is fine when it fits any of the property's types (current or previous).
  const checkValue = (where: string, value: unknown, types: SpecType[]) => {
    if (isIntrinsic(value)) return
    const attempts = types.map((type) => {
      const before = problems.length
      checkType(where, value, type)
      return problems.splice(before)
    })
    if (attempts.every((found) => found.length > 0)) {
      problems.push(...attempts.reduce((fewest, found) => (found.length < fewest.length ? found : fewest)))
    }
  }

  const checkType = (where: string, value: unknown, type: SpecType) => {
    switch (type.type) {
      case 'ref':
        checkProperties(where, value, db.get('typeDefinition', type.reference.$ref).properties as never)
        return
      case 'array':
        if (!Array.isArray(value)) problems.push(`${where}: expected a list`)
        else
          for (const [index, item] of value.entries()) checkValue(`${where}[${index}]`, item, [type.element])
        return
      case 'map':
        if (!isObj(value)) problems.push(`${where}: expected a map`)
        else
          for (const [key, item] of Object.entries(value)) checkValue(`${where}.${key}`, item, [type.element])
        return
      case 'union':
        checkValue(where, value, type.types)
        return
      case 'string':
      case 'date-time':
        if (!['string', 'number', 'boolean'].includes(typeof value))
          problems.push(`${where}: expected a string`)
        return
      case 'integer':
      case 'number':
        if (
          typeof value !== 'number' &&
          !(typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        )
          problems.push(`${where}: expected a number, got ${JSON.stringify(value)}`)
        return
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
          problems.push(`${where}: expected a boolean`)
        return
      case 'tag':
        checkProperties(where, value, {
          Key: { required: true, type: { type: 'string' } },
          Value: { required: true, type: { type: 'string' } },
        })
        return
      default: // json, null
        return
    }
  }

  // References: Ref to a resource, parameter or pseudo parameter; GetAtt to a spec attribute;
  // Fn::Sub placeholders likewise; Fn::If to a declared condition.
  const checkReferences = (where: string, value: unknown) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) checkReferences(`${where}[${index}]`, item)
      return
    }
    if (!isObj(value)) return
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref') checkRef(where, String(inner))
      else if (key === 'Fn::GetAtt') checkAttribute(where, String(at(inner, 0)), String(at(inner, 1)))
      else if (key === 'Fn::If' && !(String(at(inner, 0)) in (template.Conditions ?? {})))
        problems.push(`${where}: unknown condition ${String(at(inner, 0))}`)
      else if (key === 'Fn::Sub') {
        const text = typeof inner === 'string' ? inner : String(at(inner, 0))
        const names = isObj(at(inner, 1)) ? Object.keys(at(inner, 1) as Obj) : []
        for (const [, placeholder] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          if (names.includes(placeholder!)) continue
          const [id, ...attribute] = placeholder!.split('.')
          if (attribute.length > 0) checkAttribute(where, id!, attribute.join('.'))
          else checkRef(where, id!)
        }
      }
      checkReferences(`${where}.${key}`, inner)
    }
  }
  const checkRef = (where: string, id: string) => {
    if (!(id in template.Resources) && !(id in (template.Parameters ?? {})) && !PSEUDO_PARAMETERS.has(id))
      problems.push(`${where}: Ref to unknown ${id}`)
  }
  const checkAttribute = (where: string, id: string, attribute: string) => {
    const target = template.Resources[id]
    if (!target) problems.push(`${where}: GetAtt on unknown resource ${id}`)
    else if (!(attribute in (specOf(target.Type)?.attributes ?? {})))
      problems.push(`${where}: ${target.Type} has no attribute ${attribute}`)
  }

  for (const [id, definition] of Object.entries(template.Resources)) {
    for (const key of Object.keys(definition)) {
      if (!RESOURCE_ATTRIBUTES.has(key)) problems.push(`${id}: unknown resource attribute ${key}`)
    }
    for (const dependency of list(definition.DependsOn ?? [])) {
      if (!(String(dependency) in template.Resources))
        problems.push(`${id}: DependsOn unknown ${String(dependency)}`)
    }
    const spec = specOf(definition.Type)
    if (!spec) {
      problems.push(`${id}: unknown resource type ${definition.Type}`)
      continue
    }
    checkProperties(`${id} (${definition.Type})`, definition.Properties ?? {}, spec.properties as never)
    checkReferences(id, definition)
  }
  checkReferences('Outputs', template.Outputs ?? {})
  checkReferences('Conditions', template.Conditions ?? {})
  return problems
}

describe('CloudFormation resource specification (@aws-cdk/aws-service-spec)', () => {
  let db: SpecDb
  before(async () => {
    db = await loadAwsServiceSpec()
  })

  it('knows every resource type and property name, nested property types included', () => {
    for (const packaged of [prod, full, local]) {
      assert.deepEqual(specProblems(db, packaged.template), [])
    }
  })

  it('the checker itself catches a misspelled property, a nested one and a bad GetAtt', () => {
    const broken = structuredClone(prod.template)
    broken.Resources.TerminateQueue!.Properties!.VisibilityTimeOut = 1
    ;(
      broken.Resources.QueueEventSourceMappingSQSTerminateQueue!.Properties!.ScalingConfig as Obj
    ).MaxConcurrency = 2
    broken.Resources.DlqNotEmptyAlarm!.Properties!.Dimensions = [
      { Name: 'QueueName', Value: getAtt('TerminateDlq', 'Name') },
    ]
    broken.Resources.Nope = { Type: 'AWS::SQS::Queues' }
    const problems = specProblems(db, broken).join('\n')
    assert.match(problems, /TerminateQueue .*\.VisibilityTimeOut: no such property/)
    assert.match(problems, /ScalingConfig\.MaxConcurrency: no such property/)
    assert.match(problems, /AWS::SQS::Queue has no attribute Name/)
    assert.match(problems, /Nope: unknown resource type AWS::SQS::Queues/)
  })
})
