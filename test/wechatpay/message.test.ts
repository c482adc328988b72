import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  authorizationHeader,
  parseAuthorizationHeader,
  requestMessage,
  responseMessage,
} from '../../functions/wechatpay/message.ts'

describe('requestMessage', () => {
  it('is five lines, each ending in \\n (the documented GET example)', () => {
    assert.equal(
      requestMessage('GET', '/v3/certificates', '1624523846', 'A1B2C3D4E5F6G7', ''),
      'GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n',
    )
  })

  it('keeps the body bytes and adds one more \\n even when the body ends in one', () => {
    assert.equal(requestMessage('POST', '/p?a=1', '1', 'n', '{"a":1}\n'), 'POST\n/p?a=1\n1\nn\n{"a":1}\n\n')
  })
})

describe('responseMessage', () => {
  it('verifies a 204 against timestamp\\nnonce\\n\\n', () => {
    assert.equal(
      responseMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', ''),
      '1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n\n',
    )
  })
})

describe('authorizationHeader', () => {
  it('writes the schema and the five items', () => {
    assert.equal(
      authorizationHeader({
        mchid: '1900000001',
        nonce: 'N',
        signature: 'S+/=',
        timestamp: '1554208460',
        serialNo: '1DDE',
      }),
      'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="N",signature="S+/=",timestamp="1554208460",serial_no="1DDE"',
    )
  })

  it('round-trips through parseAuthorizationHeader for any field values without quotes or commas', () => {
    const value = fc.string({
      unit: fc.constantFrom(...'0123456789ABCDEFabcdef+/=_-'),
      minLength: 1,
      maxLength: 40,
    })
    fc.assert(
      fc.property(
        fc.record({ mchid: value, nonce: value, signature: value, timestamp: value, serialNo: value }),
        (fields) => {
          assert.deepEqual(parseAuthorizationHeader(authorizationHeader(fields)), { ...fields })
        },
      ),
      { seed: 20261124, numRuns: 500 },
    )
  })
})

describe('parseAuthorizationHeader', () => {
  it('accepts the items in any order', () => {
    const parsed = parseAuthorizationHeader(
      'WECHATPAY2-SHA256-RSA2048 serial_no="S",timestamp="1",signature="G",nonce_str="N",mchid="1"',
    )
    assert.deepEqual(parsed, { mchid: '1', nonce: 'N', signature: 'G', timestamp: '1', serialNo: 'S' })
  })

  for (const [name, header] of [
    ['another schema', 'Bearer mchid="1",nonce_str="N",signature="G",timestamp="1",serial_no="S"'],
    ['a missing item', 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",signature="G",timestamp="1"'],
    [
      'a repeated item',
      'WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="N",signature="G",timestamp="1"',
    ],
    [
      'an unknown item',
      'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",signature="G",timestamp="1",serial_no="S",x="y"',
    ],
    [
      'an unquoted value',
      'WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="N",signature="G",timestamp="1",serial_no="S"',
    ],
  ] as const) {
    it(`rejects ${name}`, () => assert.equal(parseAuthorizationHeader(header), undefined))
  }

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseAuthorizationHeader(`WECHATPAY2-SHA256-RSA2048 ${text}`)
        assert.ok(parsed === undefined || typeof parsed.mchid === 'string')
      }),
      { seed: 7, numRuns: 2000 },
    )
  })
})
