import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import type { Fault } from '../../infra/local/wechatpay-simulator.ts'
import { MAGIC_CODES, MAGIC_STATES } from '../../infra/local/wechatpay-simulator.ts'
import { pemBodyLines, signaturesOf } from '../leaks/scanner.ts'
import type { ContainerReport } from './container.ts'
import { type Harness, runRow, startHarness } from './harness.ts'
import { FAULT_MATRIX, type FaultRow, isolated, SHARED_ENV } from './matrix.ts'
import { assertDocStates, DOC_URL, docClaims } from './render.ts'

let h: Harness
const childCodes: string[] = []
const childSecrets: string[] = []
/** What docs/FAULTS.md states each row does: checked against what it did. */
const documented = docClaims(readFileSync(DOC_URL, 'utf8'))

before(async () => {
  h = await startHarness(SHARED_ENV)
})
after(() => h.close())

const CONFIG_VARIABLES =
  /^(MERCHANT_SECRET_ID|SECRET_TTL_SECONDS|WECHATPAY_\w+|DEADLINE_MARGIN_MS|QUEUE_CONCURRENCY|AWS_ENDPOINT_URL\w*|POWERTOOLS_\w+)$/

/** Runs a row in a forked process (a fresh container) and passes its logs on to this one's output. */
async function inOwnContainer(row: FaultRow) {
  // A fresh container: none of this process's configuration (startStack sets the stand-ins' own).
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.test(name)),
  ) as NodeJS.ProcessEnv
  const child = fork(new URL('./container.ts', import.meta.url), [row.id], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...env, ...row.container?.env },
  })
  // Through this process's streams: the watch here and the leak reporter both see the lines.
  child.stdout?.setEncoding('utf8').on('data', (text: string) => process.stdout.write(text))
  child.stderr?.setEncoding('utf8').on('data', (text: string) => process.stderr.write(text))
  let report: ContainerReport | undefined
  child.on('message', (message) => {
    report = message as ContainerReport
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  assert.ok(report, `the container for ${row.id} exited ${code} without a report`)
  childCodes.push(...report.codes)
  childSecrets.push(...report.secrets)
  assert.ok(report.ok, report.error)
  return report.observation!
}

function rowTest(row: FaultRow) {
  const sent = `${JSON.stringify(row.sent.terminate)} terminate, ${JSON.stringify(row.sent.query)} query`
  it(`${row.id}: ${row.fault} -> ${row.status} ${row.outcome} (${sent})`, async () => {
    const observation = row.container ? await inOwnContainer(row) : await runRow(row, h)
    assertDocStates(documented, row.id, observation)
  })
}

// WeChat Pay faults are injected per code: those rows run together. The rest change what every call
// sees (the secret, the keys WeChat trusts) or measure time, and run one at a time.
describe('fault matrix: WeChat Pay, one row per test', { concurrency: true }, () => {
  for (const row of FAULT_MATRIX.filter(isolated)) rowTest(row)
})
describe('fault matrix: Secrets Manager, Lambda, key rotation, one row per test', () => {
  for (const row of FAULT_MATRIX.filter((row) => !isolated(row))) rowTest(row)
})

describe('fault matrix: coverage', () => {
  it('has unique ids', () => {
    const ids = FAULT_MATRIX.map((row) => row.id)
    assert.equal(new Set(ids).size, ids.length)
  })

  it('injects every simulator fault programmatically', () => {
    // A Record over the Fault union: the typechecker fails when a fault is added and not listed here.
    const faults: Record<Fault, true> = {
      rate_limited: true,
      server_error: true,
      unavailable: true,
      slow: true,
      reset: true,
      unsigned: true,
      bad_signature: true,
      signtest: true,
      skewed_timestamp: true,
      unknown_serial: true,
      unfinished_orders: true,
      order_not_exist: true,
      no_auth: true,
      sign_error: true,
      altered_answer: true,
    }
    const injected = FAULT_MATRIX.filter((row) => row.source === 'WeChat Pay')
      .map((row) => row.injected)
      .join('\n')
    for (const fault of Object.keys(faults)) assert.ok(injected.includes(`fault: '${fault}'`), fault)
  })

  it('has a row for every sandbox magic code and state', () => {
    const rows = new Set(FAULT_MATRIX.map((row) => row.id))
    for (const prefix of [...Object.keys(MAGIC_CODES), ...Object.keys(MAGIC_STATES)]) {
      assert.ok(rows.has(`magic-${prefix}`), prefix)
    }
  })

  it('covers the Secrets Manager faults, key rotation and the deadline', () => {
    const ids = FAULT_MATRIX.map((row) => row.id).join(' ')
    for (const wanted of [
      'secrets-ResourceNotFoundException',
      'secrets-AccessDeniedException',
      'secrets-ThrottlingException',
      'secret-not-json',
      'secret-missing-private-key',
      'secret-ec-private-key',
      'rotation-mid-run',
      'lambda-deadline-spent',
    ]) {
      assert.ok(ids.includes(wanted), wanted)
    }
  })
})

describe('fault matrix: logs', () => {
  it('leak no key, signature, secret or unmasked code, under any fault', () => {
    const secrets = [
      ...signaturesOf(h.stack.simulator.requests.map((request) => request.headers.authorization)),
      ...pemBodyLines(h.stack.merchant.secret.merchant_private_key),
      ...childSecrets,
    ]
    assert.ok(secrets.length > 50)
    const lines = h.output.assertNoLeaks({ codes: [...h.codes, ...childCodes], secrets })
    assert.ok(lines > FAULT_MATRIX.length)
  })
})
