import type { Mode } from '../authorizations/reference.ts'
import { DEFAULT_BACKUP_URL, DEFAULT_BASE_URL, origin } from '../wechatpay/origins.ts'

/** Everything the functions read from the environment, checked once. Documented in the README. */
export interface Config {
  /** partner: a service provider acting for sub-merchants (sub_mchid); direct: a merchant for itself. */
  mode: Mode
  merchantSecretId: string
  secretTtlMs: number
  wechatpayBaseUrl: string
  /** null: failover disabled (WECHATPAY_BACKUP_URL set to the empty string). */
  wechatpayBackupUrl: string | null
  maxAttempts: number
  attemptTimeoutMs: number
  /** Kept back from Lambda's remaining time so the function can answer before it is killed. */
  deadlineMarginMs: number
  queueConcurrency: number
  /** The EventBridge bus (name or ARN) for everything the service publishes; null: no outcome events. */
  eventBus: string | null
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly variable: string

  constructor(variable: string, message: string) {
    super(message)
    this.variable = variable
  }
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const merchantSecretId = env.MERCHANT_SECRET_ID?.trim()
  if (!merchantSecretId) {
    throw new ConfigError(
      'MERCHANT_SECRET_ID',
      'MERCHANT_SECRET_ID must name the merchant secret (name or ARN)',
    )
  }
  const backup = env.WECHATPAY_BACKUP_URL
  const wechatpayBaseUrl = originOf(env, 'WECHATPAY_BASE_URL') ?? DEFAULT_BASE_URL
  return {
    mode: mode(env),
    merchantSecretId,
    secretTtlMs: integer(env, 'SECRET_TTL_SECONDS', 300, 0, 86_400) * 1000,
    wechatpayBaseUrl,
    wechatpayBackupUrl:
      backup === undefined ? DEFAULT_BACKUP_URL : (originOf(env, 'WECHATPAY_BACKUP_URL') ?? null),
    maxAttempts: integer(env, 'WECHATPAY_MAX_ATTEMPTS', 3, 1, 10),
    attemptTimeoutMs: integer(env, 'WECHATPAY_ATTEMPT_TIMEOUT_MS', 5_000, 100, 60_000),
    deadlineMarginMs: integer(env, 'DEADLINE_MARGIN_MS', 1_000, 0, 60_000),
    queueConcurrency: integer(env, 'QUEUE_CONCURRENCY', 10, 1, 10),
    eventBus: env.EVENT_BUS?.trim() || null,
  }
}

const mode = (env: Record<string, string | undefined>): Mode => parseMode(env.WECHATPAY_MODE)

/**
 * THE reading of WECHATPAY_MODE, for the functions, the sandbox and the CLI alike: partner or
 * direct, spaces around ignored, unset or empty meaning partner.
 */
export function parseMode(value: string | undefined): Mode {
  const text = value?.trim()
  if (!text) return 'partner'
  if (text === 'partner' || text === 'direct') return text
  throw new ConfigError('WECHATPAY_MODE', `WECHATPAY_MODE must be partner or direct, got "${text}"`)
}

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `${name} must be an integer from ${min} to ${max}, got "${text}"`)
  }
  return value
}

/** A WeChat Pay origin (no path: the path is what gets signed), or undefined when unset or empty. */
function originOf(env: Record<string, string | undefined>, name: string): string | undefined {
  const text = env[name]?.trim()
  if (!text) return undefined
  try {
    return origin(text, name)
  } catch {
    throw new ConfigError(
      name,
      `${name} must be an http(s) origin with no path, e.g. https://api.mch.weixin.qq.com`,
    )
  }
}
