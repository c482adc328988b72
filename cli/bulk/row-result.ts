/** One row's line in RESULTS.csv, from what the call (or the local check) gave. */
import { describeIssues, type InputIssue } from '../input.ts'
import type { InvokeResult } from '../invoke.ts'
import { RESULT_COLUMNS, type RowResult } from './results-file.ts'
import { ROW_OUTCOMES, type RowOutcome } from './row-book.ts'

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value))

function row(outcome: RowOutcome, values: Partial<RowResult>): RowResult {
  const result = Object.fromEntries(RESULT_COLUMNS.map((column) => [column, values[column] ?? '']))
  return { ...result, outcome } as RowResult
}

/** Invalid before any call: the named fields in `error`, no attempt. */
export const invalidRow = (issues: readonly InputIssue[]) =>
  row('invalid', { error: describeIssues(issues), attempts: '0' })

export function resultRow(result: InvokeResult): RowResult {
  switch (result.kind) {
    case 'invalid':
      // The CLI's own check passed it: the deployed function's rules differ (another version). It
      // was a call, so its result replaces the row's earlier one, and the next run tries it again.
      return row('failed', { error: `the function refused the row: ${describeIssues(result.issues)}` })
    case 'not_found':
      return row('failed', { error: result.message })
    case 'error':
      return row(result.retryable ? 'retryable' : 'failed', { error: result.message })
    case 'answer': {
      const outcome = result.body.outcome as RowOutcome
      if (!ROW_OUTCOMES.includes(outcome) || outcome === 'invalid') {
        return row('failed', { error: `the function answered an unknown outcome: ${text(outcome)}` })
      }
      const wechatpay = (result.body.wechatpay ?? {}) as Record<string, unknown>
      return row(outcome, {
        wechatpay_status: text(wechatpay.status),
        wechatpay_code: text(wechatpay.code),
        wechatpay_message: text(wechatpay.message),
        request_id: text(wechatpay.request_id),
        authorization_state: text(wechatpay.authorization_state),
        attempts: text(result.body.attempts),
      })
    }
  }
}
