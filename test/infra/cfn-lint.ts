/**
 * Runs the real `cfn-lint` command (AWS's CloudFormation linter, Python, 1.51 or a later 1.x) on
 * packaged templates. A machine without it fails the test that asks, with how to install it: the
 * template test never passes without having linted.
 */
import { spawn } from 'node:child_process'

export const CFN_LINT_REQUIRED =
  'cfn-lint 1.51 or a later 1.x (the Python command) is needed to lint the packaged templates. ' +
  "Install it with `pip install 'cfn-lint>=1.51,<2'` (or `pipx install cfn-lint`) and make sure " +
  '`cfn-lint --version` works in this shell. The npm package named cfn-lint is a different tool.'

export interface Finding {
  rule: string
  level: string
  message: string
  file: string
  /** Where in the template, e.g. ['Resources', 'HttpLambdaFunction', 'DependsOn', 0]. */
  path: (string | number)[]
}

/** One entry of `cfn-lint --format json`. */
interface RawFinding {
  Rule?: { Id?: string }
  Level?: string
  Message?: string
  Filename?: string
  Location?: { Path?: (string | number)[] }
}

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('cfn-lint', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(error.code === 'ENOENT' ? new Error(`${CFN_LINT_REQUIRED} (${error.message})`) : error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

let installed: Promise<string> | undefined
/**
 * The installed version, e.g. '1.51.0', checked once per process: rejects with CFN_LINT_REQUIRED
 * when the command is missing or is not 1.51 or a later 1.x.
 */
export function cfnLintInstalled(): Promise<string> {
  installed ??= run(['--version'], process.cwd()).then(({ code, stdout, stderr }) => {
    const match = /cfn-lint (\d+)\.(\d+)\.(\d+)/.exec(stdout + stderr)
    const [major, minor] = (match?.slice(1) ?? []).map(Number)
    if (code !== 0 || major !== 1 || minor! < 51) {
      throw new Error(`${CFN_LINT_REQUIRED} (\`cfn-lint --version\` said: ${(stdout + stderr).trim()})`)
    }
    return match!.slice(1).join('.')
  })
  return installed
}

/**
 * Lints `templates` with the config file `config` (`--config-file`), or with none: run from `cwd`
 * where there is no .cfnlintrc. Returns the exit code and the findings (JSON output).
 */
export async function cfnLint(
  templates: string[],
  options: { config?: string; cwd: string },
): Promise<{ code: number | null; findings: Finding[]; stderr: string }> {
  await cfnLintInstalled()
  const args = [
    '--format',
    'json',
    ...(options.config ? ['--config-file', options.config] : []),
    '--',
    ...templates,
  ]
  const { code, stdout, stderr } = await run(args, options.cwd)
  let parsed: unknown
  try {
    parsed = JSON.parse(stdout)
  } catch {
    throw new Error(`cfn-lint exited ${code} without JSON findings:\n${stdout}\n${stderr}`)
  }
  const findings = (parsed as RawFinding[]).map((finding) => ({
    rule: String(finding.Rule?.Id),
    level: String(finding.Level),
    message: String(finding.Message),
    file: String(finding.Filename),
    path: finding.Location?.Path ?? [],
  }))
  return { code, findings, stderr }
}
