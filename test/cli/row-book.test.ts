import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRowBook, rowKey } from '../../cli/bulk/row-book.ts'

describe('the row book (earlier results by input row)', () => {
  it('knows a row by its values in order; the latest outcome wins', () => {
    const book = createRowBook()
    book.set(rowKey(['c1', 'u1']), 'retryable')
    book.set(rowKey(['c2', 'u2']), 'terminated')
    book.set(rowKey(['c1', 'u1']), 'already_terminated')
    assert.equal(book.size, 2)
    assert.equal(book.get(rowKey(['c1', 'u1'])), 'already_terminated')
    assert.equal(book.get(rowKey(['u1', 'c1'])), undefined)
    // JSON keeps the boundaries: these are different rows
    assert.notEqual(rowKey(['a,b', 'c']), rowKey(['a', 'b,c']))
  })

  it('grows past its first capacity without losing a row', () => {
    const book = createRowBook(4)
    for (let index = 0; index < 5_000; index += 1) {
      book.set(rowKey([`code_${index}`]), index % 2 === 0 ? 'terminated' : 'failed')
    }
    assert.equal(book.size, 5_000)
    for (let index = 0; index < 5_000; index += 1) {
      assert.equal(book.get(rowKey([`code_${index}`])), index % 2 === 0 ? 'terminated' : 'failed')
    }
  })

  it('counts the rows no input row marked, by outcome; a mark survives a later outcome', () => {
    const book = createRowBook()
    book.set(rowKey(['a']), 'terminated')
    book.set(rowKey(['b']), 'invalid')
    book.set(rowKey(['c']), 'retryable')
    book.mark(rowKey(['a']))
    book.mark(rowKey(['not there']))
    book.set(rowKey(['a']), 'rejected')
    assert.deepEqual(
      book.unmarked(),
      new Map([
        ['invalid', 1],
        ['retryable', 1],
      ]),
    )
  })
  it('an invalid record never replaces the result of a call; a row this run met has no result until one is set', () => {
    const book = createRowBook()
    book.set(rowKey(['a']), 'retryable')
    book.set(rowKey(['a']), 'invalid')
    book.set(rowKey(['b']), 'invalid')
    book.set(rowKey(['b']), 'terminated')
    assert.deepEqual([book.get(rowKey(['a'])), book.get(rowKey(['b']))], ['retryable', 'terminated'])
    book.meet(rowKey(['c']), 'invalid')
    book.meet(rowKey(['a']), 'sent')
    assert.deepEqual(
      [book.size, book.get(rowKey(['c'])), book.met(rowKey(['c'])), book.met(rowKey(['a']))],
      [2, undefined, 'invalid', 'sent'],
    )
    assert.equal(book.met(rowKey(['b'])), undefined)
    assert.deepEqual(
      book.unmarked(),
      new Map([
        ['retryable', 1],
        ['terminated', 1],
      ]),
    )
  })
})
