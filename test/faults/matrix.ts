/**
 * THE fault matrix: every fault the stand-ins can produce -> what the service answers. Each row is a
 * test (matrix.test.ts) and a line of docs/FAULTS.md (rendered by renderFaultTable; `npm run
 * docs:faults` rewrites the doc; matrix.test.ts checks what the doc states against what each row did).
 *
 * Rows run through the real HTTP handler against the simulator and the Secrets Manager stand-in in
 * one warm container whose secret cache is always expired (SECRET_TTL_SECONDS=0, so every call reads
 * the secret), unless a row asks for its own container (a fresh process: a cold start).
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import type { SecretsManagerErrorName } from '../../infra/local/secrets-manager.ts'
import type { Fault } from '../../infra/local/wechatpay-simulator.ts'
import { MAGIC_CODES, MAGIC_STATES } from '../../infra/local/wechatpay-simulator.ts'
import { createTestMerchant, MCHID, MERCHANT_SERIAL } from '../helpers/merchant.ts'
import { SECRET_ID } from '../helpers/stack.ts'
import { EVENT_ROWS } from './events.ts'
import type { Observation } from './harness.ts'
import { NOTIFICATION_ROWS } from './notifications.ts'
import { NOTIFY_ENVIRONMENT_ROWS } from './notify-environment.ts'
import { QUERY_ROWS } from './queries.ts'
import {
  type Count,
  callLabel,
  expectedEvents,
  type FaultRow,
  type InjectOptions,
  injected,
  NO_STATUS,
} from './rows.ts'
import { SHAPE_ROWS } from './shapes.ts'

export type { Count, FaultRow }

/** The warm container's environment (the stack's defaults otherwise: 1 s attempt timeout, 500 ms margin). */
export const SHARED_ENV = { SECRET_TTL_SECONDS: '0' }

/** Rows that touch only their own code, so they may run at the same time as each other. */
export const isolated = (row: FaultRow) =>
  !row.container && (row.source === 'WeChat Pay' || row.source === 'WeChat Pay sandbox code')

// ---- WeChat Pay faults, injected for one code ----------------------------------------------

function wechat(
  row: Omit<FaultRow, 'source' | 'injected' | 'run' | 'id'> & { id?: string },
  fault: Fault,
  options: InjectOptions = {},
): FaultRow {
  const suffix = [
    options.endpoint && options.endpoint !== 'terminate' ? options.endpoint : '',
    options.times ? `x${options.times}` : '',
  ]
    .filter(Boolean)
    .join('-')
  return {
    id: row.id ?? `wechat-${fault.replaceAll('_', '-')}${suffix ? `-${suffix}` : ''}`,
    source: 'WeChat Pay',
    injected: injected(fault, options),
    ...row,
    async run(h) {
      const code = h.code()
      if (options.also) h.stack.simulator.inject({ ...options.also, code })
      h.stack.simulator.inject({
        fault,
        code,
        endpoint: options.endpoint ?? 'terminate',
        ...(options.times ? { times: options.times } : {}),
        ...(options.patch ? { patch: options.patch } : {}),
      })
      return h.post(code)
    },
  }
}

// ---- sandbox magic codes -------------------------------------------------------------------

type Magic = keyof typeof MAGIC_CODES | keyof typeof MAGIC_STATES

function magic(prefix: Magic, row: Pick<FaultRow, 'outcome' | 'status' | 'sent' | 'notes'>): FaultRow {
  const description =
    prefix in MAGIC_CODES
      ? MAGIC_CODES[prefix as keyof typeof MAGIC_CODES].description
      : `authorization starts ${MAGIC_STATES[prefix as keyof typeof MAGIC_STATES]}`
  return {
    id: `magic-${prefix}`,
    source: 'WeChat Pay sandbox code',
    fault: description,
    injected: `code \`${prefix}_…\``,
    ...row,
    run: (h) => h.post(h.code(prefix)),
  }
}

// ---- Secrets Manager -----------------------------------------------------------------------

function loggedProblem(observation: Observation) {
  return observation.logs.find((line) => line.message === 'merchant secret unusable')
}

function secretError(
  error: SecretsManagerErrorName,
  row: Pick<FaultRow, 'outcome' | 'status' | 'notes' | 'fault'> & { cold?: boolean; logged?: string },
): FaultRow {
  return {
    id: `secrets-${error}${row.cold ? '-cold' : ''}`,
    source: 'Secrets Manager',
    injected: `\`fail({ error: '${error}' })\``,
    sent: row.status === 200 ? { terminate: 1, query: 0 } : { terminate: 0, query: 0 },
    ...(row.cold ? { container: { env: {} } } : {}),
    fault: row.fault,
    outcome: row.outcome,
    status: row.status,
    notes: row.notes,
    async run(h) {
      h.stack.secretsManager.fail({ error, operation: 'GetSecretValue' })
      try {
        return await h.post(h.code())
      } finally {
        h.stack.secretsManager.clearFaults()
      }
    },
    check(observation) {
      if (row.logged) assert.equal(loggedProblem(observation)?.error_code, row.logged)
      if (row.status === 200) {
        assert.ok(
          observation.logs.some(
            (line) => line.message === 'serving the cached merchant secret: refresh failed',
          ),
          'the stale secret is served, and said so',
        )
      }
    },
  }
}

function badSecret(
  id: string,
  fault: string,
  secret: () => string,
  expected: { code: 'SECRET_MALFORMED' | 'SECRET_INVALID'; field?: string },
  notes: string,
): FaultRow {
  return {
    id: `secret-${id}`,
    source: 'Secrets Manager',
    fault,
    injected: '`putSecret()` of a new version',
    outcome: 'failed',
    status: 500,
    sent: { terminate: 0, query: 0 },
    notes,
    async run(h) {
      h.stack.secretsManager.putSecret(SECRET_ID, secret())
      try {
        return await h.post(h.code())
      } finally {
        h.stack.secretsManager.putSecret(SECRET_ID, h.stack.merchant.secretString)
      }
    },
    check(observation, h) {
      const line = loggedProblem(observation)
      assert.equal(line?.error_code, expected.code)
      assert.equal(line?.field, expected.field)
      assert.deepEqual(observation.body, { error: { code: 'INTERNAL_ERROR', message: 'internal error' } })
      // The next call reads the restored version and works again.
      return h.post(h.code()).then((next) => assert.equal(next.outcome, 'terminated'))
    },
  }
}

const goodSecret = () => createTestMerchant().secret
const withKey = (key: string) => JSON.stringify({ ...goodSecret(), merchant_private_key: key })
const pem = (
  key: { export(options: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer },
  type: 'pkcs8' | 'spki',
) => key.export({ type, format: 'pem' }).toString()

// ---- Lambda --------------------------------------------------------------------------------

const deadlineNotes =
  'remaining time less DEADLINE_MARGIN_MS (500 ms) is the deadline; no attempt starts with under 500 ms left'

// ---- the matrix ----------------------------------------------------------------------------

export const FAULT_MATRIX: readonly FaultRow[] = [
  wechat(
    {
      fault: '429 FREQUENCY_LIMITED, every time',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 3, query: 0 },
      notes: 'retried with backoff, 3 attempts; `Retry-After: 5`',
    },
    'rate_limited',
  ),
  wechat(
    {
      fault: '429 FREQUENCY_LIMITED once',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 2, query: 0 },
      notes: 'the retry, signed afresh, succeeds',
    },
    'rate_limited',
    { times: 1 },
  ),
  wechat(
    {
      fault: '500 SYSTEM_ERROR, every time',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 3, query: 0 },
      notes: '3 attempts',
    },
    'server_error',
  ),
  wechat(
    {
      fault: '500 SYSTEM_ERROR twice',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 3, query: 0 },
      notes: 'the third attempt succeeds',
    },
    'server_error',
    { times: 2 },
  ),
  wechat(
    {
      fault: '503 SYSTEM_ERROR, every time',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 3, query: 0 },
      notes: '3 attempts',
    },
    'unavailable',
  ),
  wechat(
    {
      fault: 'connection reset, every time',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 3, query: 1 },
      notes: 'nothing processed; the query shows the authorization still AVAILABLE',
    },
    'reset',
  ),
  wechat(
    {
      fault: 'connection reset once',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 2, query: 0 },
      notes: 'retried (a reset POST was never processed)',
    },
    'reset',
    { times: 1 },
  ),
  wechat(
    {
      fault: 'connection reset once, after WeChat terminated',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 2, query: 1 },
      notes:
        'the resent POST is refused as already terminated; our own first request did it: the query (UNAVAILABLE) settles terminated, not already_terminated',
    },
    'reset_after_processing',
    { times: 1 },
  ),
  {
    ...wechat(
      {
        fault: 'answer slower than the attempt timeout',
        outcome: 'retryable',
        status: 503,
        sent: { terminate: 1, query: 1 },
        notes:
          'a POST that timed out is not resent; the query still shows AVAILABLE; WeChat completes it later and the retry answers already_terminated',
      },
      'slow',
      { times: 1 },
    ),
    async check(observation, h) {
      const code = String(observation.body.authorization_code)
      // The simulator applies the slow termination 1.5 s after it arrived.
      for (let waited = 0; h.stack.simulator.state(code) !== 'UNAVAILABLE' && waited < 3_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const retry = await h.post(code)
      assert.equal(retry.outcome, 'already_terminated')
      assert.equal(retry.status, 200)
    },
  },
  wechat(
    {
      fault: 'terminate refused (unfinished orders), query slower than the attempt timeout once',
      outcome: 'rejected',
      status: 422,
      sent: { terminate: 1, query: 2 },
      notes: 'a GET that timed out is retried',
    },
    'slow',
    { endpoint: 'query', times: 1, also: { fault: 'unfinished_orders' } },
  ),
  wechat(
    {
      fault: 'terminate refused (unfinished orders), query answers 500 every time',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 1, query: 3 },
      notes: 'the refusal cannot be settled without the query',
    },
    'server_error',
    { endpoint: 'query', also: { fault: 'unfinished_orders' } },
  ),
  wechat(
    {
      fault: '204 without Wechatpay-* signature headers',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 1, query: 1 },
      notes: 'never trusted unverified: the verified query shows UNAVAILABLE',
    },
    'unsigned',
  ),
  wechat(
    {
      fault: '204 with a signature that does not verify',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 1, query: 1 },
      notes: 'settled by the verified query',
    },
    'bad_signature',
  ),
  wechat(
    {
      fault: 'no answer ever verifies (terminate and query)',
      outcome: 'failed',
      status: 502,
      sent: { terminate: 1, query: 1 },
      notes: 'our verification keys are wrong: never reported terminated, although WeChat did terminate',
    },
    'bad_signature',
    { endpoint: 'any' },
  ),
  wechat(
    {
      id: 'wechat-unbound-query-sub-mchid',
      fault: '204 that does not verify, then a verified query answer about another sub_mchid',
      outcome: 'failed',
      status: 502,
      sent: { terminate: 1, query: 1 },
      notes: 'a signed answer counts only if it is about what was asked: never terminated from it',
    },
    'altered_answer',
    { endpoint: 'query', patch: { sub_mchid: '1900000999' }, also: { fault: 'bad_signature' } },
  ),
  wechat(
    {
      id: 'wechat-unbound-query-no-code',
      fault: '204 that does not verify, then a verified query answer naming no authorization_code',
      outcome: 'failed',
      status: 502,
      sent: { terminate: 1, query: 1 },
      notes: 'authorization_code is always in a query-by-code answer: its absence is untrusted',
    },
    'altered_answer',
    { endpoint: 'query', patch: { authorization_code: undefined }, also: { fault: 'bad_signature' } },
  ),
  wechat(
    {
      id: 'wechat-unbound-query-after-refusal',
      fault: 'business refusal, then a verified query answer about another service_id',
      outcome: 'retryable',
      status: 503,
      sent: { terminate: 1, query: 1 },
      notes: 'the refusal is not settled by an answer about something else',
    },
    'altered_answer',
    { endpoint: 'query', patch: { service_id: '999999' }, also: { fault: 'unfinished_orders' } },
  ),
  wechat(
    {
      fault: '204 with a WECHATPAY/SIGNTEST/ probe signature',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 1, query: 1 },
      notes: 'the probe fails verification; the query settles it',
    },
    'signtest',
  ),
  wechat(
    {
      fault: '204 signed 10 minutes ago',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 1, query: 1 },
      notes: 'outside the 300 s skew: settled by the query',
    },
    'skewed_timestamp',
  ),
  wechat(
    {
      fault: '204 signed with an unknown Wechatpay-Serial',
      outcome: 'terminated',
      status: 200,
      sent: { terminate: 1, query: 1 },
      notes: 'settled by the query',
    },
    'unknown_serial',
  ),
  wechat(
    {
      fault: '400 INVALID_REQUEST: unfinished Pay Score orders',
      outcome: 'rejected',
      status: 422,
      sent: { terminate: 1, query: 1 },
      notes: 'the query shows AVAILABLE: refused, not already terminated',
    },
    'unfinished_orders',
  ),
  wechat(
    {
      fault: '404 ORDER_NOT_EXIST',
      outcome: 'rejected',
      status: 422,
      sent: { terminate: 1, query: 0 },
      notes: 'not retried',
    },
    'order_not_exist',
  ),
  wechat(
    {
      fault: '403 NO_AUTH',
      outcome: 'failed',
      status: 502,
      sent: { terminate: 1, query: 0 },
      notes: 'our configuration (permissions) is wrong',
    },
    'no_auth',
  ),
  wechat(
    {
      fault: '401 SIGN_ERROR, secret unchanged',
      outcome: 'failed',
      status: 502,
      sent: { terminate: 1, query: 0 },
      notes: 'the secret is read again once; the same version means no second terminate',
    },
    'sign_error',
  ),
  {
    id: 'wechat-state-unavailable',
    source: 'WeChat Pay',
    fault: 'authorization already terminated',
    injected: "`setState(code, 'UNAVAILABLE')`",
    outcome: 'already_terminated',
    status: 200,
    sent: { terminate: 1, query: 1 },
    notes: 'terminate refuses (400); the query shows UNAVAILABLE',
    run(h) {
      const code = h.code()
      h.stack.simulator.setState(code, 'UNAVAILABLE')
      return h.post(code)
    },
  },
  {
    id: 'wechat-state-unbound',
    source: 'WeChat Pay',
    fault: 'authorization never bound to a user',
    injected: "`setState(code, 'UNBINDUSER')`",
    outcome: 'rejected',
    status: 422,
    sent: { terminate: 1, query: 1 },
    notes: 'nothing was ended: the event stays unfinished (the user may still bind the code)',
    run(h) {
      const code = h.code()
      h.stack.simulator.setState(code, 'UNBINDUSER')
      return h.post(code)
    },
  },

  magic('SIM_429', { outcome: 'retryable', status: 503, sent: { terminate: 3, query: 0 }, notes: '' }),
  magic('SIM_500', { outcome: 'retryable', status: 503, sent: { terminate: 3, query: 0 }, notes: '' }),
  magic('SIM_503', { outcome: 'retryable', status: 503, sent: { terminate: 3, query: 0 }, notes: '' }),
  magic('SIM_FLAKY2', { outcome: 'terminated', status: 200, sent: { terminate: 3, query: 0 }, notes: '' }),
  magic('SIM_SLOW', {
    outcome: 'retryable',
    status: 503,
    sent: { terminate: 1, query: 1 },
    notes: 'the simulator terminates after 1.5 s (slowDelayMs)',
  }),
  magic('SIM_RESET', { outcome: 'retryable', status: 503, sent: { terminate: 3, query: 1 }, notes: '' }),
  magic('SIM_UNSIGNED', { outcome: 'terminated', status: 200, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_BADSIG', { outcome: 'terminated', status: 200, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_BADSIG_ALL', { outcome: 'failed', status: 502, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_SIGNTEST', { outcome: 'terminated', status: 200, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_SKEW', { outcome: 'terminated', status: 200, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_SERIAL', { outcome: 'terminated', status: 200, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_ORDERS', { outcome: 'rejected', status: 422, sent: { terminate: 1, query: 1 }, notes: '' }),
  magic('SIM_NOTEXIST', { outcome: 'rejected', status: 422, sent: { terminate: 1, query: 0 }, notes: '' }),
  magic('SIM_NOAUTH', { outcome: 'failed', status: 502, sent: { terminate: 1, query: 0 }, notes: '' }),
  magic('SIM_SIGNERR', { outcome: 'failed', status: 502, sent: { terminate: 1, query: 0 }, notes: '' }),
  magic('SIM_TERMINATED', {
    outcome: 'already_terminated',
    status: 200,
    sent: { terminate: 1, query: 1 },
    notes: '',
  }),
  magic('SIM_UNBOUND', {
    outcome: 'rejected',
    status: 422,
    sent: { terminate: 1, query: 1 },
    notes: '',
  }),

  ...SHAPE_ROWS,
  ...QUERY_ROWS,

  secretError('ResourceNotFoundException', {
    fault: 'secret not found',
    outcome: 'failed',
    status: 500,
    logged: 'SECRET_NOT_FOUND',
    notes: '`INTERNAL_ERROR`, no detail; logged naming the problem; never retried by the SDK',
  }),
  secretError('AccessDeniedException', {
    fault: 'access denied (IAM)',
    outcome: 'failed',
    status: 500,
    logged: 'SECRET_ACCESS_DENIED',
    notes: '`INTERNAL_ERROR`; a cached version is not served: access was revoked',
  }),
  secretError('DecryptionFailure', {
    fault: 'KMS cannot decrypt the secret',
    outcome: 'failed',
    status: 500,
    logged: 'SECRET_ACCESS_DENIED',
    notes: '`INTERNAL_ERROR`',
  }),
  secretError('ThrottlingException', {
    fault: 'throttled, a version cached',
    outcome: 'terminated',
    status: 200,
    notes: 'the cached version is served (stale) and a warning logged',
  }),
  secretError('InternalServiceError', {
    fault: 'Secrets Manager failing, a version cached',
    outcome: 'terminated',
    status: 200,
    notes: 'stale version served',
  }),
  secretError('ThrottlingException', {
    fault: 'throttled on a cold start (nothing cached)',
    cold: true,
    outcome: 'retryable',
    status: 503,
    logged: 'SECRET_UNAVAILABLE',
    notes: 'attempts 0: nothing sent; the SDK retried once (maxAttempts 2)',
  }),
  secretError('InternalServiceError', {
    fault: 'Secrets Manager failing on a cold start',
    cold: true,
    outcome: 'retryable',
    status: 503,
    logged: 'SECRET_UNAVAILABLE',
    notes: 'attempts 0',
  }),
  badSecret(
    'not-json',
    'SecretString is not JSON',
    () => '{"mchid": ',
    { code: 'SECRET_MALFORMED' },
    '`INTERNAL_ERROR`; a bad new version is never served',
  ),
  badSecret('not-an-object', 'SecretString is a JSON array', () => '[1]', { code: 'SECRET_MALFORMED' }, ''),
  badSecret(
    'missing-private-key',
    'merchant_private_key missing',
    () => JSON.stringify({ ...goodSecret(), merchant_private_key: undefined }),
    { code: 'SECRET_INVALID', field: 'merchant_private_key' },
    'the field is named, its value never',
  ),
  badSecret(
    'missing-mchid',
    'mchid missing',
    () => JSON.stringify({ ...goodSecret(), mchid: undefined }),
    { code: 'SECRET_INVALID', field: 'mchid' },
    '',
  ),
  badSecret(
    'no-verification-key',
    'no WeChat Pay public key nor platform certificate',
    () =>
      JSON.stringify({
        ...goodSecret(),
        wechatpay_public_key: undefined,
        wechatpay_public_key_id: undefined,
      }),
    { code: 'SECRET_INVALID', field: 'wechatpay_public_key' },
    '',
  ),
  badSecret(
    'ec-private-key',
    'wrong key type: EC P-256 private key',
    () => withKey(pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'pkcs8')),
    { code: 'SECRET_INVALID', field: 'merchant_private_key' },
    '',
  ),
  badSecret(
    'rsa-1024',
    'wrong key type: RSA-1024 private key',
    () => withKey(pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs8')),
    { code: 'SECRET_INVALID', field: 'merchant_private_key' },
    'RSA-2048 or longer required',
  ),
  badSecret(
    'public-key-as-private',
    'wrong key type: a public key PEM as merchant_private_key',
    () => withKey(createTestMerchant().merchantKeys.publicPem),
    { code: 'SECRET_INVALID', field: 'merchant_private_key' },
    '',
  ),
  badSecret(
    'private-key-as-public',
    'wrong key type: the private key PEM as wechatpay_public_key',
    () => {
      const secret = goodSecret()
      return JSON.stringify({ ...secret, wechatpay_public_key: secret.merchant_private_key })
    },
    { code: 'SECRET_INVALID', field: 'wechatpay_public_key' },
    'the private key pasted in the wrong field is not echoed',
  ),

  {
    id: 'lambda-deadline-spent',
    source: 'Lambda',
    fault: 'nearly spent deadline: 600 ms left',
    injected: '`lambdaContext(600)`',
    outcome: 'retryable',
    status: 503,
    sent: { terminate: 0, query: 0 },
    notes: `attempts 0, answered at once; ${deadlineNotes}`,
    run: (h) => h.post(h.code(), { remainingMs: 600 }),
    check(observation) {
      assert.equal(observation.attempts, 0)
      assert.ok(observation.elapsedMs < 600, `${observation.elapsedMs} ms`)
    },
  },
  {
    id: 'lambda-deadline-short-500',
    source: 'Lambda',
    fault: 'deadline too short for every retry: 1.2 s left, 500 every time',
    injected: "`lambdaContext(1200)` + `inject({ fault: 'server_error' })`",
    outcome: 'retryable',
    status: 503,
    sent: { terminate: [1, 2], query: 0 },
    notes: 'no retry starts that the deadline cannot hold; answered before Lambda’s deadline',
    run(h) {
      const code = h.code()
      h.stack.simulator.inject({ fault: 'server_error', code })
      return h.post(code, { remainingMs: 1_200 })
    },
    check(observation) {
      assert.ok(observation.elapsedMs < 1_200 - 300, `${observation.elapsedMs} ms`)
    },
  },
  {
    id: 'lambda-deadline-slow',
    source: 'Lambda',
    fault: 'slow answer with 1.8 s left',
    injected: "`lambdaContext(1800)` + `inject({ fault: 'slow' })`",
    outcome: 'retryable',
    status: 503,
    sent: { terminate: 1, query: 0 },
    notes: 'the POST times out (1 s); no time is left for the query',
    run(h) {
      const code = h.code()
      h.stack.simulator.inject({ fault: 'slow', code })
      return h.post(code, { remainingMs: 1_800 })
    },
    check(observation) {
      assert.ok(observation.elapsedMs < 1_800 - 300, `${observation.elapsedMs} ms`)
    },
  },

  {
    id: 'rotation-mid-run',
    source: 'Key rotation',
    fault: 'merchant key rotated mid-run: new secret version and WeChat trusts only the new key',
    injected: '`putSecret()` + `trustMerchant()` after 6 of 12 terminations, 3 at a time',
    outcome: 'terminated',
    status: 200,
    sent: { terminate: [13, 24], query: 0 },
    events: 12,
    notes:
      'secret cached (default TTL): in-flight and later calls meet SIGN_ERROR, one refresh reads the new version, each retries once; all 12 terminated',
    container: { env: {} },
    async run(h) {
      const codes = Array.from({ length: 12 }, () => h.code('rotation'))
      const rotated = createTestMerchant()
      const observations: Observation[] = []
      let next = 0
      const worker = async () => {
        while (next < codes.length) {
          const code = codes[next++]!
          observations.push(await h.post(code))
          if (observations.length === 6) {
            h.stack.secretsManager.putSecret(
              SECRET_ID,
              JSON.stringify({
                ...rotated.secret,
                wechatpay_public_key: h.stack.merchant.secret.wechatpay_public_key,
              }),
            )
            h.stack.simulator.trustMerchant({
              mchid: MCHID,
              serialNo: MERCHANT_SERIAL,
              publicKey: rotated.merchantKeys.publicKey,
            })
          }
        }
      }
      await Promise.all([worker(), worker(), worker()])
      for (const code of codes) assert.equal(h.stack.simulator.state(code), 'UNAVAILABLE', `${code} lost`)
      assert.deepEqual(
        observations.map((observation) => observation.outcome),
        codes.map(() => 'terminated'),
      )
      assert.ok(
        observations.some((observation) => observation.attempts === 2),
        'some call met SIGN_ERROR and retried',
      )
      assert.equal(h.secretReads(), 2, 'one read at the cold start, one refresh shared by every caller')
      const sum = (key: 'terminate' | 'query' | 'events') =>
        observations.reduce((total, observation) => total + observation[key], 0)
      return {
        ...observations.at(-1)!,
        terminate: sum('terminate'),
        query: sum('query'),
        events: sum('events'),
      }
    },
  },
  {
    id: 'rotation-wechat-first',
    source: 'Key rotation',
    fault: 'WeChat trusts the new key before the secret holds it',
    injected: '`trustMerchant()` only',
    outcome: 'failed',
    status: 502,
    sent: { terminate: 1, query: 0 },
    notes:
      'SIGN_ERROR, and a refresh finds the same version: failed (the queue keeps the record to retry); update the secret first',
    async run(h) {
      const rotated = createTestMerchant()
      const trusted = {
        mchid: MCHID,
        serialNo: MERCHANT_SERIAL,
        publicKey: h.stack.merchant.merchantKeys.publicKey,
      }
      h.stack.simulator.trustMerchant({ ...trusted, publicKey: rotated.merchantKeys.publicKey })
      try {
        return await h.post(h.code())
      } finally {
        h.stack.simulator.trustMerchant(trusted)
      }
    },
  },

  ...EVENT_ROWS,
  ...NOTIFICATION_ROWS,
  ...NOTIFY_ENVIRONMENT_ROWS,
]

// ---- the doc -------------------------------------------------------------------------------

export function formatCount(count: Count, what: string): string {
  if (count === 0) return ''
  return `${typeof count === 'number' ? count : `${count[0]}–${count[1]}`} ${what}`
}

export function formatSent(sent: FaultRow['sent']): string {
  return (
    [formatCount(sent.terminate, 'terminate'), formatCount(sent.query, 'query')]
      .filter(Boolean)
      .join(' + ') || 'nothing'
  )
}

/** The rows above call POST /v1/authorizations/{code}/terminate in partner mode. */
const DEFAULT_CALL = callLabel({})

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** The markdown table docs/FAULTS.md holds between its fault-matrix markers. */
export function renderFaultTable(rows: readonly FaultRow[] = FAULT_MATRIX): string {
  const header = [
    '| Row | Source | Call | Fault | Injected with | Outcome | HTTP | Sent to WeChat Pay | Events | Notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  const lines = rows.map(
    (row) =>
      `| \`${row.id}\` | ${cell(row.source)}${row.container ? ' (own container)' : ''} | ${cell(row.call ?? DEFAULT_CALL)} | ${cell(row.fault)} | ${cell(row.injected)} | ${row.outcome} | ${row.status ?? NO_STATUS} | ${formatSent(row.sent)} | ${expectedEvents(row)} | ${cell(row.notes)} |`,
  )
  return [...header, ...lines].join('\n')
}

export const DOC_START =
  '<!-- fault-matrix:start (rendered from test/faults/matrix.ts by `npm run docs:faults`) -->'
export const DOC_END = '<!-- fault-matrix:end -->'
