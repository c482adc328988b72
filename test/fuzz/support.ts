import assert from 'node:assert/strict'
import type { WechatPaySimulator } from '../../infra/local/wechatpay-simulator.ts'
import { readSent, type SentRequest } from '../helpers/wechatpay-requests.ts'
import { identificationOf, type Mode, wechatFields } from './oracle.ts'

/** One request WeChat Pay received, as the fuzz reads it. */
export type Sent = SentRequest

/** The requests the simulator received after index `since`. */
export function sentSince(simulator: WechatPaySimulator, since: number): Sent[] {
  return simulator.requests.slice(since).map(readSent)
}

/**
 * Checks that every request names the input's authorization, in the container's mode, with exactly
 * the fields the contract derives from the input; and that it sent something.
 */
export function assertSentFor(sent: readonly Sent[], input: Record<string, unknown>, mode: Mode) {
  assert.ok(sent.length >= 1, 'a valid request must reach WeChat Pay')
  const named = identificationOf(input)
  for (const request of sent) {
    assert.deepEqual(keyOf(request), keyOf(named), 'only the named authorization is sent')
    assert.equal(request.mode, mode, `${mode} mode paths only`)
    assert.deepEqual(
      request.fields,
      wechatFields(input, mode, request.endpoint),
      `${request.endpoint} fields`,
    )
  }
}

/** `by:name`, to compare what was sent with what was asked. */
export const keyOf = ({ by, name }: { by: string; name: string }) => `${by}:${name}`

/** Collects unhandled rejections for the whole file; a fuzz run must leave none. */
export function trackUnhandledRejections() {
  const reasons: unknown[] = []
  const listener = (reason: unknown) => {
    reasons.push(reason)
  }
  process.on('unhandledRejection', listener)
  return {
    reasons,
    assertNone() {
      assert.deepEqual(reasons.map(String), [], 'unhandled rejections')
    },
    stop() {
      process.off('unhandledRejection', listener)
    },
  }
}

/**
 * The codes and openids inputs named (valid or not), for the leak scan's known values. A value an
 * input also gave where logs show it plainly (an appid, an id) is left out: fast-check likes names
 * such as `constructor` for every field.
 */
export function createUsedNames() {
  const codes = new Set<string>()
  const openids = new Set<string>()
  const plain = new Set<string>()
  const strings = (record: Record<string, unknown>, fields: readonly string[]) =>
    fields.map((field) => record[field]).filter((value): value is string => typeof value === 'string')
  return {
    add(input: unknown) {
      if (typeof input !== 'object' || input === null) return
      const record = input as Record<string, unknown>
      for (const code of strings(record, ['authorization_code'])) codes.add(code)
      for (const openid of strings(record, ['openid', 'sub_openid'])) openids.add(openid)
      for (const value of strings(record, ['service_id', 'appid', 'sub_mchid', 'sub_appid'])) plain.add(value)
    },
    known() {
      const masked = (values: Set<string>) => [...values].filter((value) => !plain.has(value))
      return { codes: masked(codes), openids: masked(openids) }
    },
  }
}
