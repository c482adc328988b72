// First: WeChat Pay's connection starts while the rest of the bundle loads (connect-ahead.ts).
import './runtime/connect-ahead.ts'
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { InvalidRequestError, parseQueryInput, parseTerminateInput } from './authorizations/request.ts'
import type { EntryDeps } from './runtime/entry.ts'
import {
  INTERNAL_ERROR,
  invalidRequestResponse,
  queryResponse,
  readHttpInput,
  terminationResponse,
} from './runtime/http.ts'
import { defaultObservability } from './runtime/observability.ts'
import { observed } from './runtime/observed.ts'
import { defaultService, type Service, warmUp } from './runtime/service.ts'

interface Route {
  /** Where the input is: the JSON body, or the query string. */
  from: 'body' | 'query'
  /** The path names the authorization code. */
  codeInPath: boolean
  run(
    input: Record<string, unknown>,
    service: Service,
    lambda: LambdaTime,
  ): Promise<APIGatewayProxyStructuredResultV2>
}

type LambdaTime = { getRemainingTimeInMillis(): number }

const terminate = (codeInPath: boolean): Route => ({
  from: 'body',
  codeInPath,
  async run(input, service, lambda) {
    const parsed = parseTerminateInput(input, service.config.mode)
    const termination = await service.terminate(parsed, service.deadline(lambda))
    // The answer is the outcome whatever EventBridge does: a failed put is logged, counted and alarmed.
    const from = { entryPoint: 'http' } as const
    await service.publish([{ outcome: termination.outcome, from }], service.publishDeadline(lambda))
    return terminationResponse(termination)
  },
})

const query = (codeInPath: boolean): Route => ({
  from: 'query',
  codeInPath,
  run: async (input, service, lambda) =>
    queryResponse(await service.query(parseQueryInput(input, service.config.mode), service.deadline(lambda))),
})

/** The HTTP API's routes (README, "HTTP API"), all served by this one function. */
export const ROUTES: Record<string, Route> = {
  'POST /v1/authorizations/{authorization_code}/terminate': terminate(true),
  'POST /v1/authorizations/terminate': terminate(false),
  'GET /v1/authorizations/{authorization_code}': query(true),
  'GET /v1/authorizations': query(false),
}

/** API Gateway HTTP API (payload 2.0), IAM-authorized when deployed. */
export function createHttpHandler({
  service = defaultService,
  observability = defaultObservability(),
}: EntryDeps = {}) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observed(observability))
    .use(observability.unhandledErrors(INTERNAL_ERROR))
    .handler(async (event, context) => {
      const route = ROUTES[event.routeKey]
      if (!route) throw new Error(`no route ${event.routeKey}: serverless.yml and ROUTES disagree`)
      const container = service()
      let input: Record<string, unknown> = { ...event.pathParameters }
      try {
        input = readHttpInput(event, route)
        return await route.run(input, container, context)
      } catch (error) {
        if (!(error instanceof InvalidRequestError)) throw error
        observability.reportInvalid(error, input)
        return invalidRequestResponse(error)
      }
    })
}

export const handler = createHttpHandler()
// Lambda's initialization: the secret's fetch and WeChat Pay's handshakes start now (service.ts).
warmUp()
