import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { maskIdsInPaths } from '../../infra/local/offline.ts'
import { scanLine } from '../leaks/scanner.ts'

describe("serverless-offline's request lines, as the sandbox prints them", () => {
  it('mask the authorization code in a request path the way maskCode does', () => {
    assert.equal(
      maskIdsInPaths('POST /v1/authorizations/demo_secret_0001/terminate (λ: http)'),
      'POST /v1/authorizations/demo********0001/terminate (λ: http)',
    )
  })

  it('mask openids and WeChat-style code paths too, every one on the line', () => {
    const line = maskIdsInPaths(
      'GET /v1/openid/oUpF8uMuAJO_M2pxb1Q9zNjWeS6o/authorizations/code_abcdef12 and /authorization-code/xyz123456789/terminate',
    )
    assert.equal(
      line,
      'GET /v1/openid/oUpF********************eS6o/authorizations/cod*******f12 and /authorization-code/xyz******789/terminate',
    )
  })

  it('mask ids in query strings too', () => {
    assert.equal(
      maskIdsInPaths(
        'GET /v1/authorizations?service_id=500001&openid=oUpF8uMuAJO_M2pxb1Q9zNjWeS6o&appid=wx1',
      ),
      'GET /v1/authorizations?service_id=500001&openid=oUpF********************eS6o&appid=wx1',
    )
  })

  it('leave route templates, the route words and other paths alone', () => {
    for (const line of [
      'POST /v1/authorizations/terminate (λ: http)',
      'POST | http://127.0.0.1:3000/v1/authorizations/terminate',
      'POST | http://127.0.0.1:3000/v1/authorizations/{authorization_code}/terminate',
      'POST | http://127.0.0.1:3000/2015-03-31/functions/http/invocations',
      'Server ready: http://127.0.0.1:3000 🚀',
    ]) {
      assert.equal(maskIdsInPaths(line), line)
    }
  })

  it('a masked line passes the leak scanner with the code it hid', () => {
    const code = 'reqline_code_0042'
    assert.deepEqual(
      scanLine(maskIdsInPaths(`POST /v1/authorizations/${code}/terminate`), { codes: [code] }),
      [],
    )
  })
})
