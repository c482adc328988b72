import { randomUUID } from 'node:crypto'
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda'

/** A Lambda context whose remaining time runs down from `remainingMs`. */
export function lambdaContext(remainingMs = 15_000, functionName = 'payscore-terminate-test'): Context {
  const end = Date.now() + remainingMs
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/24/[$LATEST]test',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }
}

/** API Gateway HTTP API payload 2.0 for POST /v1/authorizations/{authorization_code}/terminate. */
export function httpEvent(
  code: string | undefined,
  body: unknown,
  options: { base64?: boolean; raw?: boolean } = {},
): APIGatewayProxyEventV2 {
  const text = options.raw ? String(body) : JSON.stringify(body)
  const rawPath = `/v1/authorizations/${code ?? ''}/terminate`
  return {
    version: '2.0',
    routeKey: 'POST /v1/authorizations/{authorization_code}/terminate',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'test',
      },
      requestId: randomUUID(),
      routeKey: 'POST /v1/authorizations/{authorization_code}/terminate',
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(code === undefined ? {} : { pathParameters: { authorization_code: code } }),
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
  }
}

/** API Gateway HTTP API payload 2.0 for any route of functions/http.ts, as API Gateway builds it. */
export function routeEvent(
  routeKey: string,
  options: { path?: Record<string, string>; body?: unknown; query?: string } = {},
): APIGatewayProxyEventV2 {
  const [method, template] = routeKey.split(' ') as [string, string]
  const rawPath = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(options.path?.[name] ?? ''),
  )
  const event = httpEvent(undefined, options.body ?? {})
  return {
    ...event,
    routeKey,
    rawPath,
    rawQueryString: options.query ?? '',
    requestContext: {
      ...event.requestContext,
      routeKey,
      http: { ...event.requestContext.http, method, path: rawPath },
    },
    ...(options.path ? { pathParameters: options.path } : {}),
    ...(method === 'GET' ? { body: undefined, isBase64Encoded: false } : {}),
  }
}

export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: `handle-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:payscore-terminate-cancellations',
    awsRegion: 'us-east-1',
  }
}

export function sqsEvent(bodies: string[]): SQSEvent {
  return { Records: bodies.map((body) => sqsRecord(body)) }
}

/** What an EventBridge rule targeting SQS puts in the message body. */
export function eventBridgeEnvelope(detail: unknown, detailType = 'UserCancelledPayScore') {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'com.example.payscore',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  })
}
