/**
 * The Lambda endpoint cannot be reached (the sandbox is not running, a mistyped
 * AWS_ENDPOINT_URL_LAMBDA): no call can work, so bulk-terminate stops after the calls in flight,
 * like for a missing function, instead of marking every row `retryable`. The real CLI process,
 * against a port nothing listens on (taken with port 0 and released) and a host that does not
 * resolve (.invalid, RFC 6761).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { freePorts, readResults, runCli } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'cli-unreachable-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const FILL = ['--service-id', '500001', '--sub-mchid', '1900000109', '--reason', 'r']
const ROWS = 30

async function bulkAgainst(endpoint: string, name: string) {
  const input = join(dir, `${name}.csv`)
  const output = join(dir, `${name}-results.csv`)
  const codes = Array.from({ length: ROWS }, (_, index) => `unreach_${index}`)
  writeFileSync(input, `authorization_code\n${codes.join('\n')}\n`)
  const run = await runCli(
    [
      '--stage',
      'local',
      'bulk-terminate',
      '--input',
      input,
      '--output',
      output,
      ...FILL,
      '--concurrency',
      '2',
      '--rate',
      '1000',
    ],
    { AWS_ENDPOINT_URL_LAMBDA: endpoint },
  )
  return { run, rows: readResults(output) }
}

describe('the Lambda endpoint cannot be reached', () => {
  it('a refused connection: bulk-terminate stops after the calls in flight, names the endpoint, exit 1', async () => {
    const [port] = await freePorts(1)
    const { run, rows } = await bulkAgainst(`http://127.0.0.1:${port}`, 'refused')
    assert.equal(run.code, 1, run.stderr)
    assert.match(
      run.stdout,
      new RegExp(
        `^stopped: cannot reach the Lambda endpoint 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); nothing was sent \\(--stage local: is the sandbox running\\? npm start; one started with SANDBOX_PORTS is found with the same SANDBOX_PORTS\\)$`,
        'm',
      ),
    )
    assert.ok(rows.length >= 1 && rows.length <= 2, `${rows.length} rows written: the calls in flight only`)
    assert.ok(rows.every((row) => row.outcome === 'retryable' && /ECONNREFUSED/.test(row.error ?? '')))
    assert.match(run.stdout, new RegExp(`^not reached +${ROWS - rows.length}$`, 'm'))
  })

  it('a host that does not resolve: the same', async () => {
    const { run, rows } = await bulkAgainst('http://lambda.invalid:8080', 'unresolved')
    assert.equal(run.code, 1, run.stderr)
    assert.match(
      run.stdout,
      /^stopped: cannot reach the Lambda endpoint lambda\.invalid \((ENOTFOUND|EAI_AGAIN)\)/m,
    )
    assert.ok(rows.length <= 2, `${rows.length} rows written`)
  })

  it('terminate: exit 1, the endpoint named', async () => {
    const [port] = await freePorts(1)
    const run = await runCli(
      ['--stage', 'local', 'terminate', '--authorization-code', 'unreach_single', ...FILL],
      { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}` },
    )
    assert.equal(run.code, 1)
    assert.match(
      run.stderr,
      new RegExp(`cannot reach the Lambda endpoint 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
    )
  })
})
