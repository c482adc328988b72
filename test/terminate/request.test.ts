import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { InvalidRequestError, parseTerminateInput } from '../../functions/terminate/request.ts'

const valid = {
  authorization_code: 'abc_DEF-12*3',
  service_id: '500001',
  sub_mchid: '1900000109',
  reason: '用户取消服务',
}

function issuesOf(input: unknown) {
  try {
    parseTerminateInput(input)
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError)
    assert.equal(error.name, 'InvalidRequestError')
    return error.issues
  }
  assert.fail('expected InvalidRequestError')
}

describe('parseTerminateInput', () => {
  it('accepts valid input and drops unknown fields', () => {
    assert.deepEqual(parseTerminateInput({ ...valid, trace: 'x' }), valid)
  })

  it('accepts the boundaries: 32-char code and ids, 50-char reason of 3-byte characters', () => {
    const input = {
      authorization_code: 'a'.repeat(32),
      service_id: '1'.repeat(32),
      sub_mchid: '2'.repeat(32),
      reason: '解'.repeat(50),
    }
    assert.deepEqual(parseTerminateInput(input), input)
  })

  it('lists every bad field, one issue each, with its path', () => {
    const issues = issuesOf({ authorization_code: '../x', service_id: 500001, sub_mchid: '', reason: '😀' })
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['authorization_code', 'service_id', 'sub_mchid', 'reason'],
    )
    for (const issue of issues) assert.match(issue.message, new RegExp(issue.path))
  })

  it('names each missing field', () => {
    assert.deepEqual(issuesOf({}), [
      { path: 'authorization_code', message: 'authorization_code is required' },
      { path: 'service_id', message: 'service_id is required' },
      { path: 'sub_mchid', message: 'sub_mchid is required' },
      { path: 'reason', message: 'reason is required' },
    ])
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
    ['reason', 'null', null, /string/],
  ]
  for (const [field, name, value, message] of cases) {
    it(`rejects ${field} with ${name}`, () => {
      const issues = issuesOf({ ...valid, [field]: value })
      assert.equal(issues.length, 1)
      assert.equal(issues[0]!.path, field)
      assert.match(issues[0]!.message, message)
    })
  }

  it('either returns exactly the four checked strings or throws InvalidRequestError (fuzzed)', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.integer(),
      fc.constant(null),
      fc.anything(),
    )
    fc.assert(
      fc.property(
        fc.record(
          { authorization_code: field, service_id: field, sub_mchid: field, reason: field },
          { requiredKeys: [] },
        ),
        (input) => {
          try {
            const output = parseTerminateInput(input)
            assert.match(output.authorization_code, /^[0-9A-Za-z_*-]{1,32}$/)
            assert.match(output.service_id, /^\d{1,32}$/)
            assert.ok([...output.reason].length <= 50 && !/[\u{10000}-\u{10FFFF}]/u.test(output.reason))
          } catch (error) {
            assert.ok(error instanceof InvalidRequestError, String(error))
            assert.ok(error.issues.length >= 1 && error.issues.length <= 4)
          }
        },
      ),
      { seed: 42, numRuns: 2000 },
    )
  })
})
