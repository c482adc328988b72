/**
 * One matrix row in a process of its own: a fresh Lambda container (cold start, its own secret
 * cache and environment). Forked by matrix.test.ts with the row id; reports over IPC, and leaves its
 * logs on stdout/stderr for the parent to pass on to the leak scan.
 */
import { pemBodyLines, signaturesOf } from '../leaks/scanner.ts'
import { type Observation, runRow, startHarness } from './harness.ts'
import { FAULT_MATRIX } from './matrix.ts'

export interface ContainerReport {
  ok: boolean
  error?: string
  observation?: Pick<Observation, 'status' | 'outcome' | 'attempts' | 'terminate' | 'query'>
  /** Values the parent's leak scan must not find: the codes used and the signatures sent. */
  codes: string[]
  secrets: string[]
}

const row = FAULT_MATRIX.find((candidate) => candidate.id === process.argv[2])
if (!row?.container) throw new Error(`no row ${process.argv[2]} with its own container`)
const h = await startHarness(row.container.env)
let report: ContainerReport
try {
  const { status, outcome, attempts, terminate, query } = await runRow(row, h)
  report = { ok: true, observation: { status, outcome, attempts, terminate, query }, codes: [], secrets: [] }
} catch (error) {
  report = {
    ok: false,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    codes: [],
    secrets: [],
  }
}
report.codes = [...h.codes]
report.secrets = [
  ...signaturesOf(h.stack.simulator.requests.map((request) => request.headers.authorization)),
  ...pemBodyLines(h.stack.merchant.secret.merchant_private_key),
]
await h.close()
process.send?.(report, () => process.disconnect())
