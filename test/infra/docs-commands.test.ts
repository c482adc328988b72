/**
 * The commands the README and docs/ give a newcomer work as written: a bare `node` in a shell is the
 * system's Node (20 on these machines), which cannot run our `.ts` files, so the docs give npm
 * scripts (which run on the Node 24 that `npm ci` installs), and every script they name exists.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DOCS = ['README.md', ...readdirSync(`${ROOT}docs`).map((name) => `docs/${name}`)].filter((path) =>
  path.endsWith('.md'),
)

/** `node file.ts`, `node --test x.test.ts`, `FOO=1 node ...ts`; not `npx node`, `node -e ''`, `exec node ...`. */
const BARE_NODE_TS = /(?<![\w./-])(?<!npx )(?<!exec )node(?:\s+-[-\w=]+)*\s+[^\s`'"]+\.ts\b/g

function commandsIn(pattern: RegExp) {
  return DOCS.flatMap((path) =>
    [...readFileSync(`${ROOT}${path}`, 'utf8').matchAll(pattern)].map((match) => `${path}: ${match[0]}`),
  )
}

describe('commands in README.md and docs/', () => {
  it('run .ts files through npm scripts, never a bare node', () => {
    assert.deepEqual(commandsIn(BARE_NODE_TS), [])
  })

  it('name only npm scripts that exist', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts)
    // npm's own options may stand before the script's name: `npm run --silent cli -- ...`.
    const named = commandsIn(/npm run (?:--?[\w-]+ )*([\w:][\w:-]*)/g).map(
      (found) => /npm run (?:--?[\w-]+ )*([\w:][\w:-]*)/.exec(found)![1]!,
    )
    assert.ok(named.length > 0)
    assert.deepEqual(
      named.filter((name) => !scripts.includes(name)),
      [],
    )
  })

  it('finds a bare node wherever a command stands (so the check above can fail)', () => {
    const found = (text: string) => [...text.matchAll(BARE_NODE_TS)].map((match) => match[0])
    assert.deepEqual(found('```sh\nnode --test test/load/queue.test.ts   # x\n```'), [
      'node --test test/load/queue.test.ts',
    ])
    assert.deepEqual(found('run `LOAD_SEED=7 node test/x.ts`'), ['node test/x.ts'])
    assert.deepEqual(found("`npx node test/x.ts`, `node -e ''`, `exec node infra/local/sandbox.ts`"), [])
  })
})
