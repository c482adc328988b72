/**
 * The input rows' identities (their values as written: InputRow.values), and the survey before a
 * run: the row count and the check that RESULTS.csv belongs to this input.
 */
import { UsageError } from '../usage.ts'
import { dataRecords, type Fill, inputRow } from './input-file.ts'
import { type RowBook, rowKey } from './row-book.ts'

/** Each input row's identity, in input order (InputRow.values). */
export async function* inputKeys(input: string, header: string[], fill: Fill): AsyncGenerator<bigint> {
  for await (const record of dataRecords(input)) yield rowKey(inputRow(header, record, fill).values)
}

/**
 * Counts the rows (for the ETA) and checks the whole file parses before anything is sent. With
 * earlier results, also checks that each of them belongs to a row of this input.
 */
export async function survey(
  files: { input: string; output: string },
  header: string[],
  fill: Fill,
  book: RowBook,
): Promise<number> {
  const { input, output } = files
  let rows = 0
  if (book.size === 0) {
    // Nothing to match: count the rows, and hash none.
    for await (const _record of dataRecords(input)) rows += 1
    return rows
  }
  for await (const key of inputKeys(input, header, fill)) {
    rows += 1
    book.mark(key)
  }
  // Rows that were invalid may have been corrected in the input since; any other must be there.
  const strangers = [...book.unmarked()].filter(([outcome]) => outcome !== 'invalid')
  if (strangers.length > 0) {
    const count = strangers.reduce((sum, [, n]) => sum + n, 0)
    throw new UsageError(
      `${output} has results for ${count} rows that are not in ${input}: was it written for another input? Use another --output`,
    )
  }
  return rows
}
