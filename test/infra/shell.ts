import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** What `npm start` was given, which another terminal does not have. */
const SANDBOX_VARIABLES = ['SANDBOX_PORTS', 'WECHATPAY_MODE', 'SANDBOX_LAMBDA_URL', 'SANDBOX_WECHATPAY_URL']

export interface ShellRun {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * A command line as a user types or pastes it into another terminal: `sh -c` in the repository,
 * with none of the sandbox's variables unless `env` gives them.
 */
export function shell(command: string, env: Record<string, string> = {}): Promise<ShellRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !SANDBOX_VARIABLES.includes(name)),
  )
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: ROOT,
      env: { ...inherited, FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The banner's ready-to-paste `npm run sandbox:...` lines, variables in front included. */
export function pastedCommands(banner: string, script: 'sandbox:event' | 'sandbox:notify'): string[] {
  return [...banner.matchAll(/^ *((?:[A-Z_]+=\S+ )*npm run (\S+) -- .+)$/gm)]
    .filter((match) => match[2] === script)
    .map((match) => match[1]!)
}
