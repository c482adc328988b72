/**
 * Writes the fault matrix into docs/FAULTS.md, between its markers:
 *
 *   node test/faults/render.ts
 *
 * docs.test.ts fails while the doc's table and test/faults/matrix.ts differ (cell by cell, so
 * padding the table by hand or by a formatter does not matter).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DOC_END, DOC_START, renderFaultTable } from './matrix.ts'

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

if (import.meta.main) {
  const path = fileURLToPath(DOC_URL)
  writeFileSync(path, withTable(readFileSync(path, 'utf8'), renderFaultTable()))
  console.log(`wrote ${path}`)
}
