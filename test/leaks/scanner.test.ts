import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { maskCode } from '../../functions/runtime/observability.ts'
import { createSigner } from '../../functions/wechatpay/signer.ts'
import { authorizationResource, buildNotification } from '../../infra/local/simulator/notify.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL } from '../helpers/merchant.ts'
import { notifierKey } from '../helpers/notifications.ts'
import {
  isMasked,
  type LeakRule,
  notificationSecrets,
  pemBodyLines,
  scanLine,
  scanLines,
  signaturesOf,
} from './scanner.ts'

const merchant = createTestMerchant()
const signer = createSigner({
  mchid: MCHID,
  serialNo: MERCHANT_SERIAL,
  privateKey: merchant.merchantKeys.privateKey,
})
const authorization = signer.authorize('POST', '/v3/payscore/partner/x/terminate', '{"reason":"r"}')
const signature = signaturesOf([authorization])[0]!
const der = merchant.merchantKeys.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')

const log = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'INFO', message: 'x', service: 'payscore-terminate', ...fields })

/** Shaped like WeChat's openids (28 characters), and one of the longest the contract allows. */
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'
const LONG = `o${'Ab3-_'.repeat(25)}xy`

const rulesOf = (line: string) => new Set(scanLine(line).map((finding) => finding.rule))

describe('leak scanner: each kind of leak is caught', () => {
  const leaks: Array<[string, string, LeakRule]> = [
    ['the private key PEM in a JSON field', log({ key: merchant.merchantKeys.privatePem }), 'pem-armor'],
    ['a PKCS#1 key', log({ key: merchant.merchantKeys.privatePkcs1Pem }), 'pem-label'],
    ['a PEM label alone', 'found BEGIN RSA PRIVATE KEY here', 'pem-label'],
    [
      'a PEM label quoted in a message, without dashes',
      log({ reason: 'wechatpay_public_key must be a PEM "BEGIN PUBLIC KEY" block' }),
      'pem-label',
    ],
    ['a certificate label', log({ error: 'expected BEGIN CERTIFICATE' }), 'pem-label'],
    ['an END line without dashes', 'END EC PRIVATE KEY', 'pem-label'],
    ['a label word alone', log({ got: 'PUBLIC KEY' }), 'pem-label'],
    ['a CRL label', 'BEGIN X509 CRL', 'pem-label'],
    ['a PKCS#7 label', '"END PKCS7"', 'pem-label'],
    ['the key without armor, one base64 run (DER)', log({ key: der }), 'base64-run'],
    ['a base64url run', log({ blob: Buffer.from(der, 'base64').toString('base64url') }), 'base64-run'],
    ['a request signature alone (344 chars)', log({ sig: signature }), 'base64-run'],
    ['a response signature header', log({ headers: { 'wechatpay-signature': signature } }), 'base64-run'],
    ['an Authorization header', log({ authorization }), 'authorization-header'],
    [
      'an Authorization header, lower case',
      `authorization: ${authorization.toLowerCase()}`,
      'authorization-header',
    ],
    ['a signature item alone', 'mchid="1",signature="short"', 'signature-item'],
    ['the secret JSON as a log field', log({ secret: merchant.secretString }), 'secret-field'],
    ['the secret object, util.inspect', inspect(merchant.secret, { breakLength: Infinity }), 'secret-field'],
    ['the secret in a query string', 'mchid=1&merchant_private_key=MIIEvQ', 'secret-field'],
    ['the APIv3 key as a log field', log({ apiv3_key: 'Zr0SvNkhJ8U4Gz6cPqV2xWm5Tb7Lf9Yd' }), 'secret-field'],
    [
      'the APIv3 key, util.inspect',
      inspect({ apiv3_key: 'Zr0SvNkhJ8U4Gz6cPqV2xWm5Tb7Lf9Yd' }),
      'secret-field',
    ],
    ['an unmasked code field', log({ authorization_code: 'abcdef123456' }), 'unmasked-code'],
    ['an unmasked nested code field', log({ input: { authorization_code: 'ab*cd' } }), 'unmasked-code'],
    ['a half-masked code', log({ authorization_code: 'abcd****efgh1234' }), 'unmasked-code'],
    ['a code field outside JSON', "{ authorization_code: 'abcdef123456' }", 'unmasked-code'],
    ['an unmasked openid field', log({ openid: OPENID }), 'unmasked-openid'],
    ['a short unmasked sub_openid, nested', log({ input: { sub_openid: 'o1' } }), 'unmasked-openid'],
    [
      'a 128-character openid, half masked',
      log({ openid: `${'*'.repeat(64)}${LONG.slice(64)}` }),
      'unmasked-openid',
    ],
    ['an openid field outside JSON', `{ sub_openid: '${OPENID}' }`, 'unmasked-openid'],
    [
      'an openid in escaped JSON',
      JSON.stringify({ detail: JSON.stringify({ openid: OPENID }) }),
      'unmasked-openid',
    ],
    [
      'an openid in a query string',
      `GET /v3/payscore/partner/permissions/search?appid=wx1&openid=${OPENID}`,
      'unmasked-openid',
    ],
    ['a freshCode() code in a message', log({ message: 'failed for code_12345_7' }), 'test-code'],
    ['a magic freshCode() code', log({ error: 'SIM_BADSIG_ALL_12345_7 failed' }), 'test-code'],
  ]
  for (const [name, line, rule] of leaks) {
    it(`${rule}: ${name}`, () => {
      assert.ok(
        rulesOf(line).has(rule),
        `expected ${rule}, got ${[...rulesOf(line)].join(', ') || 'nothing'}`,
      )
    })
  }

  it('known values: codes the test used and exact secrets, wherever they appear', () => {
    const known = { codes: ['load_4242_abc'], secrets: [...pemBodyLines(merchant.merchantKeys.privatePem)] }
    assert.deepEqual(
      scanLine('queue said load_4242_abc failed', known).map((finding) => finding.rule),
      ['known-value'],
    )
    const keyLine = pemBodyLines(merchant.merchantKeys.privatePem)[3]!
    assert.deepEqual(
      scanLine(`partial key ${keyLine}`, known).map((finding) => finding.rule),
      ['known-value'],
    )
    // Digits and short codes could be anything (ids, timestamps): they are not checked verbatim.
    assert.deepEqual(scanLine('service_id 1900000109', { codes: ['1900000109', 'ab'] }), [])
  })

  it('known values: openids and sub_openids the test used, up to 128 characters, in paths and messages', () => {
    const known = { openids: [OPENID, LONG] }
    const found = (line: string) => scanLine(line, known).map((finding) => [finding.rule, finding.excerpt])
    const direct = found(`POST /v3/payscore/permissions/openid/${OPENID}/terminate failed`)
    assert.deepEqual(
      direct.map(([rule]) => rule),
      ['unmasked-openid', 'known-value'],
      'a path segment is an openid whether known or not',
    )
    assert.match(direct[1]![1]!, /^openid /)
    for (const [, excerpt] of direct)
      assert.ok(!excerpt!.includes(OPENID.slice(4)), 'no excerpt repeats the openid')
    assert.deepEqual(
      found(`no authorization for ${LONG}`).map(([rule]) => rule),
      ['known-value'],
    )
    // Masked as maskCode masks, whatever the length: not a finding.
    assert.equal(LONG.length, 128)
    assert.deepEqual(scanLine(log({ openid: maskCode(LONG), sub_openid: maskCode(OPENID) }), known), [])
    assert.deepEqual(scanLine(`queried ${maskCode(LONG)}`, known), [])
  })

  it("known values: a notification's ciphertext, plaintext and the APIv3 key, however a line holds them", () => {
    const resource = authorizationResource('close', { authorization_code: 'demo_0001', openid: OPENID })
    const sent = buildNotification({
      eventType: 'PAYSCORE.USER_CLOSE_SERVICE',
      resource,
      apiv3Key: merchant.apiv3Key,
      key: notifierKey(merchant),
    })
    const ciphertext = (JSON.parse(sent.body) as { resource: { ciphertext: string } }).resource.ciphertext
    const plaintext = JSON.stringify(resource)
    const known = {
      codes: ['demo_0001'],
      openids: [OPENID],
      secrets: [merchant.apiv3Key, ...notificationSecrets(ciphertext, plaintext)],
    }
    const leaks: Array<[string, string]> = [
      ['the body', log({ body: sent.body })],
      ['the first 24 characters of the ciphertext', log({ error: `bad ${ciphertext.slice(0, 24)}` })],
      ['the plaintext in a JSON field', log({ resource: plaintext })],
      ['the plaintext, util.inspect', inspect({ plaintext }, { breakLength: Infinity })],
      ['the plaintext in a message', `decrypted ${plaintext}`],
      ['the APIv3 key in a field of another name', log({ key: merchant.apiv3Key })],
    ]
    for (const [name, line] of leaks) {
      const findings = scanLine(line, known)
      assert.ok(
        findings.some((finding) => finding.rule === 'known-value' && finding.excerpt.startsWith('secret ')),
        `${name}: ${findings.map((finding) => finding.excerpt).join(', ') || 'nothing'}`,
      )
    }
    // What the notification function logs of it: its id and kind, merchant ids, ids masked.
    const logged = log({
      message: 'notification finished',
      result: 'published',
      notification_id: sent.id,
      event_type: 'PAYSCORE.USER_CLOSE_SERVICE',
      service_id: resource.service_id,
      mchid: resource.mchid,
      sub_mchid: resource.sub_mchid,
      authorization_code: maskCode('demo_0001'),
      openid: maskCode(OPENID),
    })
    assert.deepEqual(scanLine(logged, known), [])
    // Too short to be looked for (it could match anything): a plaintext `{}`, a ciphertext of a tag alone.
    assert.deepEqual(notificationSecrets('A'.repeat(24), '{}'), ['A'.repeat(24)])
  })

  it('findings are redacted: the excerpt never repeats the secret, nor key material next to it', () => {
    const keyLines = pemBodyLines(merchant.merchantKeys.privatePem)
    const findings = scanLines(
      [
        log({ key: der }),
        log({ sig: signature }),
        authorization,
        log({ code: 'a/b' }),
        JSON.stringify(keyLines),
      ],
      { secrets: keyLines },
    )
    assert.ok(findings.length >= keyLines.length + 3)
    for (const finding of findings) {
      assert.ok(!finding.excerpt.includes(signature.slice(10, 20)), finding.excerpt)
      assert.ok(!finding.excerpt.includes(der.slice(10, 20)), finding.excerpt)
      for (const line of keyLines) assert.ok(!finding.excerpt.includes(line.slice(-8)), finding.excerpt)
    }
    assert.equal(scanLine(log({ authorization_code: 'a/b' }))[0]?.excerpt.includes('a/b'), false)
  })
})

describe('leak scanner: what the service legitimately logs passes', () => {
  const clean: Array<[string, string]> = [
    [
      'termination finished, masked code',
      log({ outcome: 'terminated', authorization_code: maskCode('code_12345_7'), request_id: '08AB12-0' }),
    ],
    ['a short code, all stars', log({ authorization_code: maskCode('abc') })],
    ['an empty code', log({ authorization_code: maskCode('') })],
    ['a code that is not a string', log({ authorization_code: maskCode(42) })],
    [
      'termination finished by sub_openid, masked',
      log({ outcome: 'terminated', sub_openid: maskCode(OPENID), appid: 'wxd678efh567hg6787' }),
    ],
    ['a 128-character openid, masked', log({ openid: maskCode(LONG) })],
    ['a 129-character openid (invalid input), masked', log({ openid: maskCode(`${LONG}x`) })],
    ['an openid that is not a string', log({ openid: maskCode(['o1']) })],
    [
      'the fields named in a message',
      log({ message: 'openid must be 1 to 128 characters', issues: ['openid'] }),
    ],
    ['a route with the fields named', 'GET /v1/authorizations?service_id=&appid=&openid=|sub_openid='],
    ['a masked openid in a query string', `search?appid=wx1&openid=${maskCode(OPENID)}`],
    [
      'a secret problem naming the field',
      log({
        error_code: 'SECRET_INVALID',
        field: 'merchant_private_key',
        reason: 'merchant_private_key: merchant private key must be an RSA private key',
      }),
    ],
    ['the missing field message', log({ reason: 'the merchant secret is missing merchant_private_key' })],
    [
      'an APIv3 key problem naming the field',
      log({ field: 'apiv3_key', reason: 'apiv3_key must be the 32-character APIv3 key (printable ASCII)' }),
    ],
    [
      'a key problem describing the label in lower case',
      log({
        reason:
          'merchant private key must be an RSA key in PEM, PKCS#8 or PKCS#1, got a PEM block labelled public key',
      }),
    ],
    [
      'platform certificates, by field name',
      log({ reason: 'platform_certificates must be a non-empty array of PEM strings' }),
    ],
    ['an error code with a label word in it', log({ wechatpay_code: 'CERTIFICATE_NOT_FOUND' })],
    ['a ruler of dashes', '-'.repeat(300)],
    ['a long path', `at file:///work/main/${'node_modules/@aws-sdk/'.repeat(20)}index.js:1:2`],
    ['an EMF metrics line', JSON.stringify({ _aws: { Timestamp: 1 }, WechatPayLatency: [1.5, 2.25] })],
  ]
  for (const [name, line] of clean) {
    it(name, () => assert.deepEqual(scanLine(line), []))
  }

  it('whatever maskCode leaves is accepted as masked, and a code it would mask is not (fuzzed)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (code) => {
        assert.ok(isMasked(maskCode(code)), maskCode(code))
        if (code.length >= 2 && !code.includes('*')) assert.ok(!isMasked(code))
      }),
      { seed: 5, numRuns: 2000 },
    )
  })

  it('an openid of any valid length, masked, passes; unmasked, it is found (fuzzed)', () => {
    const unit = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-')
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 129 }), (openid) => {
        const known = { openids: [openid] }
        assert.deepEqual(scanLine(log({ openid: maskCode(openid) }), known), [], maskCode(openid))
        const rules = scanLine(log({ sub_openid: openid }), known).map((finding) => finding.rule)
        assert.ok(rules.includes('unmasked-openid'), openid)
        assert.equal(rules.includes('known-value'), openid.length >= 10 && /[A-Za-z_-]/.test(openid))
      }),
      { seed: 9, numRuns: 2000 },
    )
  })
})

describe('leak reporter: a run whose output leaks fails, whatever its tests say', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const run = (fixture: string) => {
    const env = { ...process.env }
    // Without this the nested runner would think it is one of our child processes.
    delete env.NODE_TEST_CONTEXT
    return spawnSync(
      process.execPath,
      [
        '--test',
        '--test-reporter=./test/leaks/reporter.ts',
        '--test-reporter-destination=stdout',
        `test/leaks/fixtures/${fixture}`,
      ],
      { cwd: root, env, encoding: 'utf8', timeout: 30_000 },
    )
  }

  it('exits non-zero and names every rule, redacted, for a file whose tests pass but whose logs leak', () => {
    const result = run('leaky.ts')
    assert.equal(result.status, 1)
    const report = result.stdout
    // 8 lines, one rule each, but the armored certificate line also names its label: 9.
    assert.match(report, /9 findings/)
    for (const rule of [
      'pem-armor',
      'pem-label',
      'base64-run',
      'authorization-header',
      'signature-item',
      'secret-field',
      'unmasked-code',
      'test-code',
    ]) {
      assert.match(report, new RegExp(`${rule} in test/leaks/fixtures/leaky.ts`))
    }
    assert.ok(!report.includes('abcdef123456'), 'the report does not repeat the code')
  })

  it('exits 0 for a clean file', () => {
    const result = run('clean.ts')
    assert.equal(result.status, 0)
    assert.match(result.stdout, /leak scan: 2 output lines from 1 test files, 0 findings/)
  })
})

describe('leak scanner: personal ids in a URL path', () => {
  // The sandbox masks exactly these path segments in serverless-offline's request lines
  // (infra/local/offline.ts, ID_IN_PATH): an id in a path is as personal as one in a field. A ky
  // HTTPError's message names the request URL, so one logged error.message puts it there. The
  // reporter knows no values, and test openids (`ouser_<pid>_<n>`, `ouser-<pid>-<n>`, `o_<...>`) do
  // not have the freshCode() shape, so nothing else would find them.
  const cases: Array<[string, string, LeakRule]> = [
    [
      "an openid in WeChat's direct-mode terminate path",
      log({
        error: `Request failed: POST https://api.mch.weixin.qq.com/v3/payscore/permissions/openid/${OPENID}/terminate`,
      }),
      'unmasked-openid',
    ],
    [
      "a code in WeChat's partner terminate path",
      log({
        error:
          'Request failed: POST https://api.mch.weixin.qq.com/v3/payscore/partner/permissions/authorization-code/abcdef123456/terminate',
      }),
      'unmasked-code',
    ],
    ['a code in our own route', log({ path: '/v1/authorizations/abcdef123456/terminate' }), 'unmasked-code'],
  ]
  for (const [name, line, rule] of cases) {
    it(`${rule}: ${name}`, () => {
      assert.ok(
        rulesOf(line).has(rule),
        `expected ${rule}, got ${[...rulesOf(line)].join(', ') || 'nothing'}`,
      )
    })
  }
})
