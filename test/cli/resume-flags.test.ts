/**
 * Resuming keys an input row by its values in the file, not by what the flags filled in. A run whose
 * --reason (or --service-id, --sub-mchid, --appid, --sub-appid) made every row `invalid` or
 * `rejected` leaves a results file whose rows are "settled": run again with the flag corrected and
 * the same --output, and every row is skipped. The operator's correction never reaches WeChat, and
 * nothing says why (OPERATIONS.md: invalid rows are skipped because "you may have corrected [them]
 * in the input since", which a flag's correction is not).
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from './helpers.ts'

let invocations = 0
const server = createServer(async (request, response) => {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  invocations += 1
  const event = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>
  response.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      outcome: 'terminated',
      ...event,
      wechatpay: { status: 204, code: null, message: null, request_id: '08X-0', authorization_state: null },
      attempts: 1,
    }),
  )
})
const dir = mkdtempSync(join(tmpdir(), 'cli-resume-flags-'))

before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
})
after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('bulk-terminate resumed with a corrected flag', () => {
  it('sends the rows a wrong --reason made invalid, or refuses the results file; never skips them silently', async () => {
    const input = join(dir, 'codes.csv')
    const output = join(dir, 'results.csv')
    writeFileSync(input, 'authorization_code\nflag_code_0001\nflag_code_0002\n')
    const { port } = server.address() as AddressInfo
    const env = { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}` }
    const bulk = (reason: string) =>
      runCli(
        [
          '--stage',
          'local',
          'bulk-terminate',
          '--input',
          input,
          '--output',
          output,
          '--service-id',
          '500001',
          '--sub-mchid',
          '1900000109',
          '--reason',
          reason,
        ],
        env,
      )

    const wrong = await bulk('x'.repeat(51))
    assert.equal(wrong.code, 1, wrong.stderr)
    assert.match(wrong.stdout, /^invalid +2$/m, 'every row invalid: the reason is too long')
    assert.equal(invocations, 0)

    const corrected = await bulk('用户申请解除授权')
    assert.ok(
      invocations > 0 || corrected.code === 2,
      `exit ${corrected.code}, ${invocations} calls:\n${corrected.stdout}`,
    )
  })
})
