#!/usr/bin/env node
// The `payscore-terminate` bin. A bin runs on whichever `node` comes first on PATH, and the CLI is
// TypeScript that Node 24 runs directly (type stripping), like the rest of the project. An older
// Node is told how to run it instead of failing on the first `.ts` import. Plain JavaScript that
// any Node can parse, on purpose.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `payscore-terminate needs Node 24 or later, and this is Node ${process.versions.node}.\n` +
      'In the project folder (after npm ci, which brings Node 24), run it as:\n' +
      '  npm run cli -- <command> [options]\n' +
      '  npx payscore-terminate <command> [options]\n',
  )
  process.exit(2)
}
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv)
