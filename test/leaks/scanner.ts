/**
 * Finds secrets in log output: key material, signatures, Authorization headers, secret JSON fields
 * and authorization codes or openids (personal data) that were not masked. Used by the node:test reporter (every line every
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
  /** A log field `openid` or `sub_openid` (a user's id: personal data) not masked the way maskCode masks. */
  | 'unmasked-openid'
  /** A code shaped like the tests' freshCode(): `code_<pid>_<n>`, `SIM_..._<pid>_<n>`. */
  | 'test-code'
  /** One of the exact values the caller said must never appear (codes, openids, signatures, key lines). */
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
  /**
   * Openids and sub_openids a test used (1 to 128 characters): found as codes are, and likewise only
   * when distinctive. Personal data, logged masked only.
   */
  openids?: Iterable<string>
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
  // maskCode's forms for what is not a string, and for a value longer than any id (its length only).
  if (value === '' || value === '[not a string]' || /^\[\d+ characters\]$/.test(value)) return true
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

/** The log fields that hold personal ids, and the rule an unmasked value breaks. */
const MASKED_FIELDS: Readonly<Record<string, 'unmasked-code' | 'unmasked-openid'>> = {
  authorization_code: 'unmasked-code',
  openid: 'unmasked-openid',
  sub_openid: 'unmasked-openid',
}

/**
 * The fields of a parsed JSON line, at any depth; a string value is read as text too (a body or an
 * event serialized into a log field).
 */
function* maskedFields(value: unknown, depth = 0): Generator<[field: string, value: string]> {
  if (depth > 20 || typeof value !== 'object' || value === null) return
  for (const [key, item] of Object.entries(value)) {
    if (Object.hasOwn(MASKED_FIELDS, key) && typeof item === 'string') yield [key, item]
    else if (typeof item === 'string') yield* textFields(item)
    else yield* maskedFields(item, depth + 1)
  }
}

/**
 * The same fields outside a JSON line: `authorization_code: '...'` (util.inspect), `\"openid\":\"...\"`
 * (escaped JSON), and `openid=...` as a query string carries it. Not a field's name in a message.
 */
const FIELD_TEXT =
  /(?<![A-Za-z0-9_])(authorization_code|sub_openid|openid)(?:\\*["']?\s*[:=]\s*\\*["']([^"'\\]*)|=([0-9A-Za-z_*-]+))/g

/**
 * And in a URL path, where WeChat's paths and ours put them (`/authorization-code/{code}`,
 * `/openid/{openid}`, `/v1/authorizations/{code}/terminate`), as a logged URL or HTTP error would show
 * them. A route template (`{authorization_code}`) and the route's own word (`/authorizations/terminate`)
 * are not ids. The sandbox masks exactly these segments in what it prints (infra/local/offline.ts).
 */
const PATH_ID =
  /\/(authorization-code|authorizations|openid)\/(?!\{)(?!terminate(?:[/\s?#"'\\]|$))([^/\s?#"'\\]+)/g
const PATH_FIELD: Readonly<Record<string, string>> = {
  'authorization-code': 'authorization_code',
  authorizations: 'authorization_code',
  openid: 'openid',
}

function* textFields(text: string): Generator<[field: string, value: string]> {
  for (const match of text.matchAll(FIELD_TEXT)) yield [match[1]!, match[2] ?? match[3]!]
  for (const match of text.matchAll(PATH_ID)) yield [PATH_FIELD[match[1]!]!, decodeSegment(match[2]!)]
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function unmaskedFields(line: string): Array<[field: string, value: string]> {
  let fields: Iterable<[string, string]> | undefined
  const trimmed = line.trim()
  if (trimmed.startsWith('{')) {
    try {
      fields = [...maskedFields(JSON.parse(trimmed))]
    } catch {
      // not JSON after all: read it as text below
    }
  }
  return [...(fields ?? textFields(line))].filter(([, value]) => !isMasked(value))
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

/** The distinctive personal ids to look for verbatim, each with what it is. */
function personalIds(known: KnownValues): ReadonlyMap<string, 'code' | 'openid'> {
  return new Map([
    ...[...distinctive(known.codes)].map((code): [string, 'code'] => [code, 'code']),
    ...[...distinctive(known.openids)].map((openid): [string, 'openid'] => [openid, 'openid']),
  ])
}

export function scanLine(line: string, known: KnownValues = {}): Finding[] {
  return scan(line, personalIds(known), [...(known.secrets ?? [])])
}

function scan(
  line: string,
  ids: ReadonlyMap<string, 'code' | 'openid'>,
  secrets: readonly string[],
): Finding[] {
  const findings: Finding[] = []
  for (const [rule, pattern] of PATTERNS) {
    const match = pattern.exec(line)
    if (match) findings.push({ rule, excerpt: redact(line, match.index, match[0].length) })
  }
  const run = base64Run(line)
  if (run) findings.push({ rule: 'base64-run', excerpt: redact(line, run.index, run[0].length) })
  for (const [field, value] of unmaskedFields(line)) {
    findings.push({ rule: MASKED_FIELDS[field]!, excerpt: `${field} ${redact(value, 0, value.length)}` })
  }
  if (ids.size > 0) {
    for (const token of line.matchAll(CODE_TOKEN)) {
      const kind = ids.get(token[0])
      if (kind) {
        findings.push({
          rule: 'known-value',
          excerpt: `${kind} ${redact(line, token.index, token[0].length)}`,
        })
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
  const ids = personalIds(known)
  const secrets = [...(known.secrets ?? [])]
  const findings: Finding[] = []
  for (const line of lines) findings.push(...scan(line, ids, secrets))
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

/**
 * What a notification must never leave in a log, besides the codes and openids it carries (known
 * values of their own): its ciphertext, whole and its first 24 characters (a shortened one is as
 * bad), and its decrypted plaintext, as it is and as a JSON string field escapes it. Shorter than
 * 16 characters (a plaintext `{}` or `1`), a value could match anything and is not looked for.
 */
export function notificationSecrets(ciphertext: string, plaintext: string): string[] {
  const escaped = JSON.stringify(plaintext).slice(1, -1)
  return [...new Set([ciphertext, ciphertext.slice(0, 24), plaintext, escaped])].filter(
    (value) => value.length >= 16,
  )
}
