import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { AuthorizationRef, Mode } from '../../functions/authorizations/reference.ts'
import {
  InvalidRequestError,
  parseQueryInput,
  parseTerminateInput,
} from '../../functions/authorizations/request.ts'

const valid = {
  authorization_code: 'abc_DEF-12*3',
  service_id: '500001',
  sub_mchid: '1900000109',
  reason: '用户取消服务',
}

/** A reference with every field null but those given. */
function ref(mode: Mode, fields: Partial<AuthorizationRef>): AuthorizationRef {
  return {
    mode,
    service_id: '500001',
    sub_mchid: null,
    authorization_code: null,
    openid: null,
    sub_openid: null,
    appid: null,
    sub_appid: null,
    ...fields,
  }
}

function issuesOf(
  input: unknown,
  mode: Mode = 'partner',
  parse: (input: unknown, mode: Mode) => unknown = parseTerminateInput,
) {
  try {
    parse(input, mode)
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError)
    assert.equal(error.name, 'InvalidRequestError')
    return error.issues
  }
  assert.fail('expected InvalidRequestError')
}

const paths = (issues: ReadonlyArray<{ path: string }>) => issues.map((issue) => issue.path).sort()

describe('parseTerminateInput: partner mode, by authorization code (the original contract)', () => {
  it('accepts valid input and drops unknown fields', () => {
    assert.deepEqual(parseTerminateInput({ ...valid, trace: 'x' }, 'partner'), {
      ref: ref('partner', { authorization_code: valid.authorization_code, sub_mchid: valid.sub_mchid }),
      reason: valid.reason,
    })
  })

  it('accepts the boundaries: 32-char code and ids, 50-char reason of 3-byte characters', () => {
    const input = {
      authorization_code: 'a'.repeat(32),
      service_id: '1'.repeat(32),
      sub_mchid: '2'.repeat(32),
      reason: '解'.repeat(50),
    }
    const { ref: parsed, reason } = parseTerminateInput(input, 'partner')
    assert.deepEqual(
      [parsed.authorization_code, parsed.service_id, parsed.sub_mchid, reason],
      [input.authorization_code, input.service_id, input.sub_mchid, input.reason],
    )
  })

  it('lists every bad field, one issue each, with its path', () => {
    const issues = issuesOf({ authorization_code: '../x', service_id: 500001, sub_mchid: '', reason: '😀' })
    assert.deepEqual(paths(issues), ['authorization_code', 'reason', 'service_id', 'sub_mchid'])
    for (const issue of issues) assert.match(issue.message, new RegExp(issue.path))
  })

  it('names each missing field, and every way to name the authorization', () => {
    const issues = issuesOf({})
    assert.deepEqual(paths(issues), [
      'authorization_code',
      'openid',
      'reason',
      'service_id',
      'sub_mchid',
      'sub_openid',
    ])
    assert.ok(issues.find((issue) => issue.path === 'service_id')?.message.includes('required'))
  })

  for (const input of [null, [], 'text', 42, undefined]) {
    it(`rejects ${JSON.stringify(input) ?? 'undefined'} as not an object`, () => {
      assert.deepEqual(issuesOf(input), [{ path: '', message: 'the request must be a JSON object' }])
    })
  }

  const cases: Array<[string, string, unknown, RegExp]> = [
    ['authorization_code', 'empty', '', /1 to 32/],
    ['authorization_code', '33 characters', 'a'.repeat(33), /1 to 32/],
    ['authorization_code', 'a slash', 'a/b', /1 to 32/],
    ['authorization_code', 'dot dot', '..', /1 to 32/],
    ['authorization_code', 'a percent-encoded slash', 'a%2Fb', /1 to 32/],
    ['authorization_code', 'a question mark', 'a?b', /1 to 32/],
    ['authorization_code', 'non-ASCII letters', 'abé', /1 to 32/],
    ['service_id', 'letters', '50a', /digits/],
    ['service_id', '33 digits', '1'.repeat(33), /digits/],
    ['service_id', 'a number', 500001, /string/],
    ['sub_mchid', 'a leading space', ' 19', /digits/],
    ['reason', 'an empty string', '', /empty/],
    ['reason', '51 characters', 'a'.repeat(51), /at most 50/],
    ['reason', 'an emoji', 'bye 👋', /4-byte/],
    ['reason', 'a rare CJK character outside the BMP', '𠀀', /4-byte/],
    ['reason', 'a lone surrogate', 'a\ud800', /4-byte/],
    ['reason', 'a newline', 'a\nb', /control/],
    ['reason', 'a NUL', 'a\u0000', /control/],
    ['reason', 'a C1 control', 'a\u0085', /control/],
    ['reason', 'only spaces', '   ', /blank/],
    ['reason', 'null', null, /required/],
  ]
  for (const [field, name, value, message] of cases) {
    it(`rejects ${field} with ${name}`, () => {
      const issues = issuesOf({ ...valid, [field]: value })
      assert.equal(issues.length, 1)
      assert.equal(issues[0]!.path, field)
      assert.match(issues[0]!.message, message)
    })
  }

  it('either returns exactly the checked strings or throws InvalidRequestError (fuzzed)', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.integer(),
      fc.constant(null),
      fc.anything(),
    )
    // Besides random records, records built to pass (one identification, what it needs, the
    // mode's fields) with up to two fields dropped or replaced, so that both branches below run.
    const digits = fc.stringMatching(/^\d{1,32}$/)
    const name = fc.stringMatching(/^[0-9A-Za-z_-]{1,32}$/)
    const app = fc.constantFrom('wxd678efh567hg6787', 'wx0000000000000001')
    let parsedCount = 0
    const keys = [
      'authorization_code',
      'openid',
      'sub_openid',
      'appid',
      'sub_appid',
      'service_id',
      'sub_mchid',
      'reason',
    ]
    const random = fc.record(Object.fromEntries(keys.map((key) => [key, junk])), { requiredKeys: [] })
    const built = fc
      .record({
        by: fc.constantFrom('authorization_code', 'openid', 'sub_openid'),
        direct: fc.boolean(),
        id: name,
        service_id: digits,
        sub_mchid: digits,
        appid: app,
        sub_appid: app,
        reason: fc.string({ minLength: 1, maxLength: 50 }),
        changed: fc.array(fc.tuple(fc.constantFrom(...keys), fc.option(junk)), { maxLength: 2 }),
      })
      .map(({ by, direct, id, changed, ...values }) => {
        const input: Record<string, unknown> = {
          [by]: id,
          service_id: values.service_id,
          reason: values.reason,
          ...(by === 'authorization_code' ? {} : { appid: values.appid }),
          ...(by === 'sub_openid' ? { sub_appid: values.sub_appid } : {}),
          ...(direct ? {} : { sub_mchid: values.sub_mchid }),
        }
        for (const [key, value] of changed) {
          if (value === null) delete input[key]
          else input[key] = value
        }
        return input
      })
    fc.assert(
      fc.property(fc.oneof(random, built), fc.constantFrom<Mode>('partner', 'direct'), (input, mode) => {
        try {
          const { ref: parsed, reason } = parseTerminateInput(input, mode)
          const named = [parsed.authorization_code, parsed.openid, parsed.sub_openid].filter(
            (v) => v !== null,
          )
          assert.equal(named.length, 1, 'exactly one identification')
          assert.match(parsed.service_id, /^\d{1,32}$/)
          if (mode === 'direct')
            assert.deepEqual([parsed.sub_mchid, parsed.sub_appid, parsed.sub_openid], [null, null, null])
          else assert.match(String(parsed.sub_mchid), /^\d{1,32}$/)
          if (parsed.openid !== null || parsed.sub_openid !== null) assert.ok(parsed.appid)
          if (parsed.sub_openid !== null) assert.ok(parsed.sub_appid)
          assert.ok([...reason].length <= 50 && !/[\u{10000}-\u{10FFFF}]/u.test(reason))
          parsedCount += 1
        } catch (error) {
          assert.ok(error instanceof InvalidRequestError, String(error))
          assert.ok(error.issues.length >= 1)
          for (const issue of error.issues)
            assert.ok(keys.includes(issue.path) || issue.path === '', issue.path)
        }
      }),
      { seed: 42, numRuns: 2000 },
    )
    assert.ok(
      parsedCount >= 100,
      `only ${parsedCount} of 2000 inputs parsed: the accepting branch barely ran`,
    )
  })
})

describe('parseTerminateInput: by openid or sub_openid (partner mode)', () => {
  const base = { service_id: '500001', sub_mchid: '1900000109', reason: '用户取消服务' }

  it('takes an openid with its appid, and an optional sub_appid', () => {
    assert.deepEqual(
      parseTerminateInput(
        { ...base, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', appid: 'wxd678efh567hg6787' },
        'partner',
      ).ref,
      ref('partner', {
        sub_mchid: base.sub_mchid,
        openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
        appid: 'wxd678efh567hg6787',
      }),
    )
    const withSub = parseTerminateInput(
      { ...base, openid: 'o1', appid: 'wx1', sub_appid: 'wx2' },
      'partner',
    ).ref
    assert.equal(withSub.sub_appid, 'wx2')
  })

  it('takes a sub_openid with its appid and sub_appid', () => {
    const parsed = parseTerminateInput(
      { ...base, sub_openid: 'o2', appid: 'wx1', sub_appid: 'wx2' },
      'partner',
    ).ref
    assert.deepEqual(
      [parsed.sub_openid, parsed.appid, parsed.sub_appid, parsed.openid],
      ['o2', 'wx1', 'wx2', null],
    )
  })

  it('needs the appid with an openid, and the sub_appid with a sub_openid, naming each', () => {
    assert.deepEqual(paths(issuesOf({ ...base, openid: 'o1' })), ['appid'])
    assert.deepEqual(paths(issuesOf({ ...base, sub_openid: 'o1', appid: 'wx1' })), ['sub_appid'])
    assert.deepEqual(paths(issuesOf({ ...base, sub_openid: 'o1' })), ['appid', 'sub_appid'])
  })

  it('refuses several identifications, naming each one given', () => {
    assert.deepEqual(paths(issuesOf({ ...base, authorization_code: 'c1', openid: 'o1', appid: 'wx1' })), [
      'authorization_code',
      'openid',
    ])
    assert.deepEqual(
      paths(issuesOf({ ...base, openid: 'o1', sub_openid: 'o2', appid: 'wx1', sub_appid: 'wx2' })),
      ['openid', 'sub_openid'],
    )
  })

  const rules: Array<[string, unknown, RegExp]> = [
    ['openid', '', /1 to 128/],
    ['openid', 'o'.repeat(129), /1 to 128/],
    ['openid', 'o*1', /1 to 128/],
    ['openid', 'o/../x', /1 to 128/],
    ['appid', 'wx'.repeat(17), /1 to 32/],
    ['appid', 'wx 1', /1 to 32/],
    ['sub_appid', 'wx.1', /1 to 32/],
    ['openid', 7, /string/],
  ]
  for (const [field, value, message] of rules) {
    it(`refuses ${field} ${JSON.stringify(value).slice(0, 20)}`, () => {
      const issues = issuesOf({ ...base, openid: 'o1', appid: 'wx1', [field]: value })
      assert.deepEqual(paths(issues), [field])
      assert.match(issues[0]!.message, message)
    })
  }

  it('accepts the boundaries: a 128-character openid, a 32-character appid', () => {
    const parsed = parseTerminateInput(
      { ...base, openid: 'o'.repeat(128), appid: 'a'.repeat(32) },
      'partner',
    ).ref
    assert.equal(parsed.openid?.length, 128)
  })
})

describe('parseTerminateInput: direct mode', () => {
  const base = { service_id: '500001', reason: '用户取消服务' }

  it('takes a code, or an openid with its appid; no sub_mchid', () => {
    assert.deepEqual(
      parseTerminateInput({ ...base, authorization_code: 'c1' }, 'direct').ref,
      ref('direct', { authorization_code: 'c1' }),
    )
    assert.deepEqual(
      parseTerminateInput({ ...base, openid: 'o1', appid: 'wx1' }, 'direct').ref,
      ref('direct', { openid: 'o1', appid: 'wx1' }),
    )
  })

  for (const field of ['sub_mchid', 'sub_appid', 'sub_openid']) {
    it(`refuses ${field}, naming it (partner mode only)`, () => {
      const value = field === 'sub_mchid' ? '1900000109' : 'x1'
      const issues = issuesOf({ ...base, openid: 'o1', appid: 'wx1', [field]: value }, 'direct')
      assert.deepEqual(paths(issues), [field])
      assert.match(issues[0]!.message, /partner/)
    })
  }

  it('names the two ways when neither is given', () => {
    assert.deepEqual(paths(issuesOf(base, 'direct')), ['authorization_code', 'openid'])
  })
})

describe('parseQueryInput', () => {
  it('needs no reason and ignores one', () => {
    const query = { authorization_code: 'c1', service_id: '500001', sub_mchid: '1900000109' }
    assert.deepEqual(
      parseQueryInput(query, 'partner'),
      ref('partner', { authorization_code: 'c1', sub_mchid: '1900000109' }),
    )
    assert.deepEqual(parseQueryInput({ ...query, reason: '😀' }, 'partner').authorization_code, 'c1')
  })

  it('has the same identification rules', () => {
    assert.deepEqual(
      paths(issuesOf({ service_id: '500001', sub_mchid: '1', openid: 'o1' }, 'partner', parseQueryInput)),
      ['appid'],
    )
    assert.deepEqual(
      paths(
        issuesOf(
          { service_id: '500001', authorization_code: 'c', sub_mchid: '1' },
          'direct',
          parseQueryInput,
        ),
      ),
      ['sub_mchid'],
    )
  })
})
