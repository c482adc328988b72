/**
 * Finds secrets in log output: key material, signatures, Authorization headers, secret JSON fields
 * and authorization codes that were not masked. Used by the node:test reporter (every line every
 * test file prints) and in-process by the tests that also know the exact values they used.
 */

export type LeakRule =
  /** PEM armor of any key or certificate: `-----BEGIN ...` / `-----END ...`. */
  | 'pem-armor'
  /**
   * A PEM label's words, with or without the dashes and BEGIN/END (`"BEGIN PUBLIC KEY"`, `RSA
   * PRIVATE KEY`, `CERTIFICATE`): a line that names the armor is one edit away from printing it.
   * Upper case only, as labels are: prose (`merchant private key must be ...`) passes.
   */
  | 'pem-label'
  /** 200 or more base64 / base64url characters in a row: an RSA signature is 344, a key far more. */
  | 'base64-run'
  /** The APIv3 Authorization scheme, i.e. a request's Authorization header. */
  | 'authorization-header'
  /** A `signature="..."` item of an Authorization header. */
  | 'signature-item'
  /** The merchant secret's private key or APIv3 key field with a value: the secret JSON itself. */
  | 'secret-field'
  /** A log field `authorization_code` whose value is not masked the way maskCode masks. */
  | 'unmasked-code'
  /** A code shaped like the tests' freshCode(): `code_<pid>_<n>`, `SIM_..._<pid>_<n>`. */
  | 'test-code'
  /** One of the exact values the caller said must never appear (codes, signatures, key lines). */
  | 'known-value'

export interface Finding {
  rule: LeakRule
  /** A short, redacted excerpt: enough to find the line, never the secret itself. */
  excerpt: string
}

export interface KnownValues {
  /**
   * Authorization codes a test used. A code is found where it stands alone (between characters no
   * code can hold: quotes, spaces, slashes of a URL); only valid codes that are long and not all
   * digits are looked for, so that ids and timestamps cannot match by chance.
   */
  codes?: Iterable<string>
  /** Exact secret values (signatures, private key base64 lines, secret strings). */
  secrets?: Iterable<string>
}

const PATTERNS: Array<[LeakRule, RegExp]> = [
  ['pem-armor', /-----(?:BEGIN|END)\b/],
  [
    'pem-label',
    /\b(?:PRIVATE +KEY|PUBLIC +KEY|CERTIFICATE|X509 +CRL)\b|\b(?:BEGIN|END) +(?:PKCS7|CMS|[A-Z]+ +PARAMETERS)\b/,
  ],
  ['authorization-header', /WECHATPAY2-SHA256-RSA2048/i],
  ['signature-item', /\bsignature\s*=\s*\\*["']/i],
  // `"merchant_private_key": "..."`, `merchant_private_key: '...'`, `merchant_private_key=...` (and
  // the same of `apiv3_key`); not the field's name in a message (`merchant_private_key: must be ...`)
  // or as a value (`"field": "..."`).
  [
    'secret-field',
    /(?:merchant_private_key|apiv3_key)\\*["']?\s*(?::\s*\\*["'](?!\\*["'])|=\s*\\*["']?(?![\s"'\\,&}]|$))/,
  ],
  ['test-code', /\b(?:code|SIM_[A-Z0-9_]+)_\d+_\d+\b/],
]

const BASE64_RUN = /[A-Za-z0-9+/_-]{200,}/g

/** A run of base64 characters that looks random (many distinct characters), not a ruler of dashes. */
function base64Run(line: string): RegExpExecArray | undefined {
  for (const match of line.matchAll(BASE64_RUN)) {
    if (new Set(match[0]).size >= 16) return match
  }
  return undefined
}

/** What maskCode leaves: at most four characters at each end, at least half the code in `*`. */
export function isMasked(value: string): boolean {
  if (value === '' || value === '[not a string]') return true
  const stars = [...value].filter((char) => char === '*').length
  return stars * 2 >= value.length && value.length - stars <= 8
}

const CODE_TOKEN = /[0-9A-Za-z_*-]+/g

/** Codes long enough, and not all digits, so that finding one cannot be a coincidence (ids are digits). */
export function isDistinctive(code: string): boolean {
  return /^[0-9A-Za-z_*-]{10,}$/.test(code) && /[A-Za-z_-]/.test(code)
}

function distinctive(codes: Iterable<string> | undefined): ReadonlySet<string> {
  return new Set([...(codes ?? [])].filter(isDistinctive))
}

function* codeFields(value: unknown, depth = 0): Generator<string> {
  if (depth > 20 || typeof value !== 'object' || value === null) return
  for (const [key, item] of Object.entries(value)) {
    if (key === 'authorization_code' && typeof item === 'string') yield item
    else yield* codeFields(item, depth + 1)
  }
}

const CODE_FIELD_TEXT = /\\*["']?authorization_code\\*["']?\s*[:=]\s*\\*["']([^"'\\]*)/g

function unmaskedCodes(line: string): string[] {
  const trimmed = line.trim()
  if (trimmed.startsWith('{')) {
    try {
      return [...codeFields(JSON.parse(trimmed))].filter((code) => !isMasked(code))
    } catch {
      // not JSON after all: read it as text below
    }
  }
  return [...line.matchAll(CODE_FIELD_TEXT)].map((match) => match[1]!).filter((code) => !isMasked(code))
}

/**
 * Shows where a finding is without repeating it: a quarter of the match at most (as maskCode does),
 * and context in which anything that could be key material (tokens with digits or capitals) is cut.
 */
export function redact(line: string, start: number, length: number): string {
  const before = line
    .slice(Math.max(0, start - 24), start)
    .replace(/[A-Za-z0-9+/=_-]{6,}/g, (token) => (/[0-9A-Z]/.test(token) ? `${token.slice(0, 2)}…` : token))
  const shown = line.slice(start, start + Math.min(4, Math.floor(length / 4)))
  return `…${before}${shown}${'*'.repeat(Math.min(12, Math.max(1, length - shown.length)))}… (${length} chars)`
}

export function scanLine(line: string, known: KnownValues = {}): Finding[] {
  return scan(line, distinctive(known.codes), [...(known.secrets ?? [])])
}

function scan(line: string, codes: ReadonlySet<string>, secrets: readonly string[]): Finding[] {
  const findings: Finding[] = []
  for (const [rule, pattern] of PATTERNS) {
    const match = pattern.exec(line)
    if (match) findings.push({ rule, excerpt: redact(line, match.index, match[0].length) })
  }
  const run = base64Run(line)
  if (run) findings.push({ rule: 'base64-run', excerpt: redact(line, run.index, run[0].length) })
  for (const code of unmaskedCodes(line)) {
    findings.push({ rule: 'unmasked-code', excerpt: `authorization_code ${redact(code, 0, code.length)}` })
  }
  if (codes.size > 0) {
    for (const token of line.matchAll(CODE_TOKEN)) {
      if (codes.has(token[0])) {
        findings.push({ rule: 'known-value', excerpt: `code ${redact(line, token.index, token[0].length)}` })
      }
    }
  }
  for (const secret of secrets) {
    const at = secret.length >= 16 ? line.indexOf(secret) : -1
    if (at !== -1)
      findings.push({ rule: 'known-value', excerpt: `secret ${redact(line, at, secret.length)}` })
  }
  return findings
}

export function scanLines(lines: Iterable<string>, known: KnownValues = {}): Finding[] {
  const codes = distinctive(known.codes)
  const secrets = [...(known.secrets ?? [])]
  const findings: Finding[] = []
  for (const line of lines) findings.push(...scan(line, codes, secrets))
  return findings
}

/** The values a signed request exposes: its signature. Feed these as `secrets` to prove none was logged. */
export function signaturesOf(authorizationHeaders: Iterable<string | string[] | undefined>): string[] {
  const signatures: string[] = []
  for (const header of authorizationHeaders) {
    for (const value of [header ?? []].flat()) {
      const signature = /signature="([^"]+)"/.exec(value)?.[1]
      if (signature) signatures.push(signature)
    }
  }
  return signatures
}

/** The base64 lines of a PEM: any one of them in a log is key material. */
export function pemBodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('-----'))
}
