/**
 * A local HTTP server speaking STS's GetCallerIdentity as the SDK asks it (the awsQuery protocol: a
 * form-encoded POST of Action=GetCallerIdentity, an XML answer). The account is the one `accounts`
 * gives for the request's access key id (read from its SigV4 Credential, never printed), so two
 * "accounts" can be simulated with two key ids; an unknown key id is refused as AWS refuses one.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeSts {
  url: string
  /** Every request received, GetCallerIdentity or not. */
  requests: () => number
  close(): Promise<void>
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/'

const identity = (account: string) =>
  `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult><Arn>arn:aws:iam::${account}:user/op</Arn><UserId>AIDAFAKE${account}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake-sts-0</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

const refusal = (code: string, message: string) =>
  `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fake-sts-0</RequestId></ErrorResponse>`

export async function startFakeSts(accounts: Record<string, string>): Promise<FakeSts> {
  let requests = 0
  const server = createServer(async (request, response) => {
    requests += 1
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString())
    const xml = (status: number, body: string) =>
      response.writeHead(status, { 'content-type': 'text/xml' }).end(body)
    if (
      request.method !== 'POST' ||
      !request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ||
      form.get('Action') !== 'GetCallerIdentity' ||
      form.get('Version') !== '2011-06-15'
    ) {
      xml(400, refusal('InvalidAction', 'not a GetCallerIdentity of the awsQuery protocol'))
      return
    }
    const keyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1]
    const account = keyId === undefined ? undefined : accounts[keyId]
    if (account === undefined) {
      xml(403, refusal('InvalidClientTokenId', 'The security token included in the request is invalid.'))
      return
    }
    xml(200, identity(account))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
