/**
 * The CLI's commands that call the invoke function, through the real CLI process against the
 * sandbox stack (serverless-offline's Lambda invoke API, the real handlers, the WeChat Pay
 * simulator), started once for all of them: single-cases.ts and bulk-cases.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { bulkTests } from './bulk-cases.ts'
import { type CliSandbox, startCliSandbox } from './helpers.ts'
import { singleTests } from './single-cases.ts'

const context = {} as CliSandbox

before(async () => {
  context.dir = mkdtempSync(join(tmpdir(), 'cli-sandbox-'))
  Object.assign(context, await startCliSandbox())
})
after(async () => {
  await context.sandbox?.stop()
  if (context.dir) rmSync(context.dir, { recursive: true, force: true })
})

singleTests(context)
bulkTests(context)
