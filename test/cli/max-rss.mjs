// Preloaded (`node --import`) into the CLI process by test/cli/memory.ts: writes the process's
// peak resident set size (kB) to MAX_RSS_FILE when it exits. Nothing else changes.
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  if (process.env.MAX_RSS_FILE)
    writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS))
})
