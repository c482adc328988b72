/**
 * The envelope WeChat Pay POSTs to the notification URL, read after its signature verified
 * (APIv3 callback notifications; for Pay Score, the authorization open/close notifications):
 *
 *   {"id", "create_time", "event_type", "resource_type", "summary",
 *    "resource": {"algorithm", "ciphertext", "nonce", "associated_data", "original_type"}}
 *
 * Only what the event cannot do without is required: `id` (consumers de-duplicate on it),
 * `event_type` (it picks the event) and what decryption reads. The rest becomes null when absent, so
 * that a notification WeChat sends with a field less is still delivered; a field of the wrong type
 * is refused, naming it.
 */
import { AEAD_AES_256_GCM, type EncryptedResource } from '../wechatpay/aead.ts'
import { NotificationError } from './errors.ts'

export interface Envelope {
  id: string
  create_time: string | null
  event_type: string
  summary: string | null
  resource_type: string | null
  resource: EncryptedResource & { algorithm: typeof AEAD_AES_256_GCM; original_type: string | null }
}

type Json = Record<string, unknown>

/**
 * The envelope of a verified body. Throws NotificationError MALFORMED_ENVELOPE (naming the field)
 * for anything else, and UNSUPPORTED_ALGORITHM when the resource is not AEAD_AES_256_GCM.
 */
export function readEnvelope(body: string): Envelope {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw malformed('body', 'the notification body is not JSON')
  }
  const envelope = object(json, 'body')
  const resource = object(envelope.resource, 'resource')
  const algorithm = required(resource, 'algorithm', 'resource.')
  if (algorithm !== AEAD_AES_256_GCM) {
    // The algorithm is WeChat's word, not a secret: naming it helps whoever reads the log.
    throw new NotificationError(
      'UNSUPPORTED_ALGORITHM',
      `resource.algorithm ${JSON.stringify(algorithm.slice(0, 40))} is not ${AEAD_AES_256_GCM}`,
      { field: 'resource.algorithm' },
    )
  }
  return {
    id: required(envelope, 'id'),
    create_time: optional(envelope, 'create_time'),
    event_type: required(envelope, 'event_type'),
    summary: optional(envelope, 'summary'),
    resource_type: optional(envelope, 'resource_type'),
    resource: {
      algorithm,
      ciphertext: required(resource, 'ciphertext', 'resource.'),
      nonce: required(resource, 'nonce', 'resource.'),
      // Optional in WeChat's description, and then no AAD at all: the same as an empty one in GCM.
      associated_data: optional(resource, 'associated_data', 'resource.') ?? '',
      original_type: optional(resource, 'original_type', 'resource.'),
    },
  }
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(field, `${field} must be a JSON object`)
  }
  return value as Json
}

function required(json: Json, key: string, prefix = ''): string {
  const value = json[key]
  if (typeof value !== 'string' || value === '') {
    throw malformed(`${prefix}${key}`, `${prefix}${key} must be a non-empty string`)
  }
  return value
}

function optional(json: Json, key: string, prefix = ''): string | null {
  const value = json[key]
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw malformed(`${prefix}${key}`, `${prefix}${key} must be a string`)
  return value
}

function malformed(field: string, message: string) {
  return new NotificationError('MALFORMED_ENVELOPE', message, { field })
}
