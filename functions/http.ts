import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { INTERNAL_ERROR, invalidRequestResponse, readHttpInput, terminationResponse } from './runtime/http.ts'
import { logger, metrics, reportInvalid, unhandledErrors } from './runtime/observability.ts'
import { defaultService } from './runtime/service.ts'
import { InvalidRequestError, parseTerminateInput } from './terminate/request.ts'

/** API Gateway HTTP API (payload 2.0): POST /v1/authorizations/{authorization_code}/terminate */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(unhandledErrors(INTERNAL_ERROR))
  .handler(async (event, context) => {
    const service = defaultService()
    try {
      const input = parseTerminateInput(readHttpInput(event))
      return terminationResponse(await service.terminate(input, service.deadline(context)))
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error
      reportInvalid(error, event.pathParameters)
      return invalidRequestResponse(error)
    }
  })
