/**
 * docs/FAULTS.md's table of fault-matrix rows: written from test/faults/matrix.ts between the doc's
 * markers by
 *
 *   npm run docs:faults
 *
 * and read back: `docClaims` gives what the doc states each row does (outcome, HTTP status,
 * requests sent), which matrix.test.ts checks against what the service did when it ran the row.
 * docs.test.ts checks that the doc lists exactly the rows that run, and is the current rendering
 * (cell by cell, so padding the table by hand or by a formatter does not matter).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Observation } from './harness.ts'
import { type Count, DOC_END, DOC_START, type FaultRow, formatSent, renderFaultTable } from './matrix.ts'
import { NO_STATUS } from './rows.ts'

export { DOC_END, DOC_START }

export const DOC_URL = new URL('../../docs/FAULTS.md', import.meta.url)

function markers(doc: string) {
  const start = doc.indexOf(DOC_START)
  const end = doc.indexOf(DOC_END)
  if (start === -1 || end < start)
    throw new Error(`docs/FAULTS.md needs the markers ${DOC_START} and ${DOC_END}`)
  return { start: start + DOC_START.length, end }
}

/** The doc's text with the table between the markers replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const { start, end } = markers(doc)
  return `${doc.slice(0, start)}\n${table}\n${doc.slice(end)}`
}

/** The table between the markers as rows of trimmed cells, however it is padded. */
export function tableCells(doc: string): string[][] {
  const { start, end } = markers(doc)
  return doc
    .slice(start, end)
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    )
    .filter((cells) => !cells.every((cell) => /^:?-+:?$/.test(cell)))
}

/** What the doc states a row does: the Outcome, HTTP, "Sent to WeChat Pay" and Events columns. */
export interface DocClaim {
  outcome: string
  /** null where the doc says `—`: no HTTP answer (a queue record). */
  status: number | null
  sent: FaultRow['sent']
  events: number
}

/** The doc's claims by row id, read from its table by column name. */
export function docClaims(doc: string): Map<string, DocClaim> {
  const [header = [], ...rows] = tableCells(doc)
  const column = (name: string) => {
    const index = header.indexOf(name)
    if (index === -1) throw new Error(`docs/FAULTS.md's table has no column "${name}"`)
    return index
  }
  const [id, outcome, status, sent, events] = ['Row', 'Outcome', 'HTTP', 'Sent to WeChat Pay', 'Events'].map(
    column,
  ) as [number, number, number, number, number]
  return new Map(
    rows.map((cells) => [
      cells[id]!.replace(/^`|`$/g, ''),
      {
        outcome: cells[outcome]!,
        status: cells[status] === NO_STATUS ? null : Number(cells[status]),
        sent: parseSent(cells[sent]!),
        events: Number(cells[events]),
      },
    ]),
  )
}

/** The inverse of formatSent: "3 terminate + 1 query", "1–2 terminate", "nothing". */
export function parseSent(text: string): FaultRow['sent'] {
  const sent: { terminate: Count; query: Count } = { terminate: 0, query: 0 }
  if (text === 'nothing') return sent
  for (const part of text.split(' + ')) {
    const match = /^(\d+)(?:–(\d+))? (terminate|query)$/.exec(part)
    if (!match) throw new Error(`docs/FAULTS.md: cannot read "${text}" as requests sent`)
    const [, low, high, endpoint] = match as unknown as [
      string,
      string,
      string | undefined,
      'terminate' | 'query',
    ]
    sent[endpoint] = high === undefined ? Number(low) : [Number(low), Number(high)]
  }
  return sent
}

const within = (count: number, expected: Count) =>
  typeof expected === 'number' ? count === expected : count >= expected[0] && count <= expected[1]

/** Throws, saying both, unless what the service did for row `id` is what the doc states. */
export function assertDocStates(
  claims: ReadonlyMap<string, DocClaim>,
  id: string,
  observed: Pick<Observation, 'status' | 'outcome' | 'terminate' | 'query' | 'events'>,
) {
  const claim = claims.get(id)
  if (!claim) throw new Error(`docs/FAULTS.md has no row ${id}: run npm run docs:faults`)
  if (
    claim.status === observed.status &&
    claim.outcome === observed.outcome &&
    within(observed.terminate, claim.sent.terminate) &&
    within(observed.query, claim.sent.query) &&
    claim.events === observed.events
  )
    return
  const sent = formatSent({ terminate: observed.terminate, query: observed.query })
  throw new Error(
    `docs/FAULTS.md says ${id} answers ${claim.status} ${claim.outcome} after ${formatSent(claim.sent)}, ${claim.events} events; ` +
      `the service answered ${observed.status} ${observed.outcome} after ${sent}, ${observed.events} events`,
  )
}

if (import.meta.main) {
  const path = fileURLToPath(DOC_URL)
  writeFileSync(path, withTable(readFileSync(path, 'utf8'), renderFaultTable()))
  console.log(`wrote ${path}`)
}
