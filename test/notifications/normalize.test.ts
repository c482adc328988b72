import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Envelope, readEnvelope } from '../../functions/notifications/envelope.ts'
import { NotificationError } from '../../functions/notifications/errors.ts'
import { chinaTimeToIso, normalize } from '../../functions/notifications/normalize.ts'

const RESOURCE = {
  algorithm: 'AEAD_AES_256_GCM',
  ciphertext: 'AAAAAAAAAAAAAAAAAAAAAA==',
  nonce: 'q1w2e3r4t5y6',
  associated_data: 'payscore',
  original_type: 'payscore',
}
const ENVELOPE = {
  id: 'EV-2018022511223320873',
  create_time: '2026-11-30T11:22:34+08:00',
  resource_type: 'encrypt-resource',
  event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
  summary: '用户解除授权',
  resource: RESOURCE,
}
const envelope = (changes: Partial<Envelope> = {}) =>
  readEnvelope(JSON.stringify({ ...ENVELOPE, ...changes }))
const plain = (value: unknown) => Buffer.from(JSON.stringify(value))

function refused(work: () => unknown, code: string, field: string) {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof NotificationError)
    assert.equal(error.code, code)
    assert.equal(error.field, field)
    return true
  })
}

describe('normalize: authorization events', () => {
  const partner = {
    appid: 'wxd678efh567hg6787',
    mchid: '1230000109',
    sub_appid: 'wxd678efh567hg6786',
    sub_mchid: '1900000109',
    service_id: '500001',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    user_service_status: 'USER_CLOSE_SERVICE',
    openorclose_time: '20261130112233',
    authorization_code: 'demo_0001',
  }
  const expected = {
    notification_id: ENVELOPE.id,
    event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
    create_time: ENVELOPE.create_time,
    summary: ENVELOPE.summary,
    mchid: '1230000109',
    sub_mchid: '1900000109',
    appid: 'wxd678efh567hg6787',
    sub_appid: 'wxd678efh567hg6786',
    service_id: '500001',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    sub_openid: null,
    authorization_code: 'demo_0001',
    user_service_status: 'USER_CLOSE_SERVICE',
    out_request_no: null,
    openorclose_time: '2026-11-30T11:22:33+08:00',
  }

  it('a close event: every Detail key, in order, null where absent, the time in ISO 8601 +08:00', () => {
    const event = normalize(envelope(), plain(partner))
    assert.equal(event.detailType, 'PayScore Authorization Closed')
    assert.deepEqual(Object.entries(event.detail), Object.entries(expected))
  })

  it('an open event, mch_id / sub_mch_id spelled the APIv2 way, sub_openid and out_request_no', () => {
    const { mchid, sub_mchid, openid, ...rest } = partner
    const resource = {
      ...rest,
      mch_id: mchid,
      sub_mch_id: sub_mchid,
      sub_openid: 'o-sub',
      out_request_no: 'R1',
    }
    const event = normalize(envelope({ event_type: 'PAYSCORE.USER_OPEN_SERVICE' }), plain(resource))
    assert.equal(event.detailType, 'PayScore Authorization Opened')
    assert.deepEqual(event.detail, {
      ...expected,
      event_type: 'PAYSCORE.USER_OPEN_SERVICE',
      openid: null,
      sub_openid: 'o-sub',
      out_request_no: 'R1',
    })
  })

  it('mchid wins over mch_id when both are sent; direct mode leaves the sub_ fields null', () => {
    const direct = { mchid: '1230000109', mch_id: '999', service_id: '500001', openid: 'o1' }
    const { detail } = normalize(envelope(), plain(direct))
    assert.equal(detail.notification_id, ENVELOPE.id)
    assert.ok('mchid' in detail)
    assert.deepEqual([detail.mchid, detail.sub_mchid, detail.sub_appid], ['1230000109', null, null])
    assert.equal(detail.openorclose_time, null)
  })

  it('publishes a field that is not a string as its JSON text, and a time in another form as WeChat wrote it', () => {
    const event = normalize(
      envelope(),
      plain({ ...partner, mchid: 1230000109, openid: ['o'], openorclose_time: '2026-11-30T11:22:33+08:00' }),
    )
    assert.equal(event.detailType, 'PayScore Authorization Closed')
    const detail = event.detail as Record<string, unknown>
    assert.deepEqual([detail.mchid, detail.openid], ['1230000109', '["o"]'])
    assert.equal(detail.openorclose_time, '2026-11-30T11:22:33+08:00')
    for (const time of ['2026113011223', '20261130112260', '20230229000000']) {
      const kept = normalize(envelope(), plain({ ...partner, openorclose_time: time }))
      assert.equal(
        (kept.detail as Record<string, unknown>).openorclose_time,
        time,
        'not a real time: kept as sent',
      )
    }
  })

  it('publishes an authorization event whose resource is not an object as a PayScore Notification carrying it', () => {
    for (const [plaintext, resource] of [
      [plain([partner]), [partner]],
      [Buffer.from('{"mchid":'), '{"mchid":'],
    ] as const) {
      const event = normalize(envelope(), plaintext)
      assert.equal(event.detailType, 'PayScore Notification')
      assert.deepEqual((event.detail as { resource: unknown }).resource, resource)
    }
  })

  it('refuses only a plaintext that is not UTF-8, naming the resource and never a value', () => {
    refused(() => normalize(envelope(), Buffer.from([0x22, 0xff, 0x22])), 'MALFORMED_RESOURCE', 'resource')
  })
})

describe('normalize: other event types', () => {
  for (const resource of [{ out_order_no: '1234', state: 'DONE' }, ['a'], 'text', 42]) {
    it(`keeps the decrypted resource as it is (${JSON.stringify(resource)})`, () => {
      const event = normalize(envelope({ event_type: 'PAYSCORE.USER_PAID' }), plain(resource))
      assert.equal(event.detailType, 'PayScore Notification')
      assert.deepEqual(event.detail, {
        notification_id: ENVELOPE.id,
        event_type: 'PAYSCORE.USER_PAID',
        create_time: ENVELOPE.create_time,
        summary: ENVELOPE.summary,
        resource,
      })
    })
  }
})

describe('normalize: event types named like what every object has', () => {
  for (const eventType of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    it(`${eventType} is another event type: PayScore Notification with the resource as it is`, () => {
      const resource = ['a']
      const event = normalize(envelope({ event_type: eventType }), plain(resource))
      assert.equal(event.detailType, 'PayScore Notification')
      assert.deepEqual((event.detail as { resource: unknown }).resource, resource)
    })
  }
})

describe('chinaTimeToIso', () => {
  it('reads yyyyMMddHHmmss as China time', () => {
    const iso = chinaTimeToIso('20261130112233')
    assert.equal(iso, '2026-11-30T11:22:33+08:00')
    assert.equal(Date.parse(iso!), Date.UTC(2026, 10, 30, 3, 22, 33))
    assert.equal(chinaTimeToIso('20240229235959'), '2024-02-29T23:59:59+08:00')
    assert.equal(chinaTimeToIso('00010101000000'), '0001-01-01T00:00:00+08:00')
  })

  for (const value of [
    '20231301000000',
    '20230230000000',
    '20230101240000',
    '20230101006000',
    ' 20230101000000',
    '２０２３0101000000',
  ]) {
    it(`refuses ${value}`, () => assert.equal(chinaTimeToIso(value), undefined))
  }
})

describe('readEnvelope', () => {
  it('reads every field; absent optional fields become null, absent associated_data empty', () => {
    const { associated_data: _, original_type: __, ...resource } = RESOURCE
    const { summary: ___, create_time: ____, ...rest } = ENVELOPE
    const read = readEnvelope(JSON.stringify({ ...rest, resource }))
    assert.deepEqual(read, {
      id: ENVELOPE.id,
      create_time: null,
      event_type: ENVELOPE.event_type,
      summary: null,
      resource_type: 'encrypt-resource',
      resource: { ...resource, associated_data: '', original_type: null },
    })
  })

  const cases: Array<[string, string, string, string]> = [
    ['not JSON', '{"id":', 'MALFORMED_ENVELOPE', 'body'],
    ['a JSON array', '[]', 'MALFORMED_ENVELOPE', 'body'],
    ['JSON null', 'null', 'MALFORMED_ENVELOPE', 'body'],
    ['no resource', JSON.stringify({ ...ENVELOPE, resource: undefined }), 'MALFORMED_ENVELOPE', 'resource'],
    ['a string resource', JSON.stringify({ ...ENVELOPE, resource: 'x' }), 'MALFORMED_ENVELOPE', 'resource'],
    ['no id', JSON.stringify({ ...ENVELOPE, id: undefined }), 'MALFORMED_ENVELOPE', 'id'],
    ['a numeric id', JSON.stringify({ ...ENVELOPE, id: 7 }), 'MALFORMED_ENVELOPE', 'id'],
    [
      'an empty event_type',
      JSON.stringify({ ...ENVELOPE, event_type: '' }),
      'MALFORMED_ENVELOPE',
      'event_type',
    ],
    ['a numeric summary', JSON.stringify({ ...ENVELOPE, summary: 1 }), 'MALFORMED_ENVELOPE', 'summary'],
    [
      'an object create_time',
      JSON.stringify({ ...ENVELOPE, create_time: {} }),
      'MALFORMED_ENVELOPE',
      'create_time',
    ],
  ]
  for (const [key, value] of [
    ['ciphertext', undefined],
    ['ciphertext', 5],
    ['nonce', ''],
    ['nonce', null],
    ['associated_data', 1],
    ['original_type', false],
    ['algorithm', undefined],
  ] as const) {
    const body = JSON.stringify({ ...ENVELOPE, resource: { ...RESOURCE, [key]: value } })
    cases.push([`resource.${key} ${JSON.stringify(value)}`, body, 'MALFORMED_ENVELOPE', `resource.${key}`])
  }
  for (const algorithm of ['AEAD_AES_128_GCM', 'aead_aes_256_gcm', 'AEAD_SM4_GCM']) {
    const body = JSON.stringify({ ...ENVELOPE, resource: { ...RESOURCE, algorithm } })
    cases.push([`algorithm ${algorithm}`, body, 'UNSUPPORTED_ALGORITHM', 'resource.algorithm'])
  }
  for (const [label, body, code, field] of cases) {
    it(`refuses ${label}: ${code} naming ${field}`, () => refused(() => readEnvelope(body), code, field))
  }

  it('classes envelope and resource failures as malformed, verification and decryption as unauthenticated', () => {
    const classOf = (code: ConstructorParameters<typeof NotificationError>[0]) =>
      new NotificationError(code, 'x').errorClass
    assert.deepEqual(
      [
        'UNVERIFIED',
        'UNDECRYPTABLE',
        'MALFORMED_ENVELOPE',
        'UNSUPPORTED_ALGORITHM',
        'MALFORMED_RESOURCE',
      ].map((code) => classOf(code as 'UNVERIFIED')),
      ['unauthenticated', 'unauthenticated', 'malformed', 'malformed', 'malformed'],
    )
  })
})
