/**
 * A self-signed RSA-2048 certificate for 127.0.0.1, made per run in plain Node (node:crypto signs;
 * the DER is written here), so that a test or the benchmark can put a real TLS server in front of
 * the simulator without a committed key. The client is told to trust it (the transport's `ca` in
 * tests, NODE_EXTRA_CA_CERTS in the benchmark's processes), beside the system's certificates:
 * nothing in functions/ trusts it by default, and nothing checks less.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

export interface TestCertificate {
  certificatePem: string
  privateKeyPem: string
}

const tlv = (tag: number, content: Buffer): Buffer => {
  const length = content.length
  const head =
    length < 0x80
      ? Buffer.from([tag, length])
      : length < 0x100
        ? Buffer.from([tag, 0x81, length])
        : Buffer.from([tag, 0x82, length >> 8, length & 0xff])
  return Buffer.concat([head, content])
}
const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts))
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts))
/** A non-negative DER INTEGER: minimal (leading zero bytes dropped), one 0 added when the top bit is set. */
function integer(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1
  const minimal = bytes.subarray(start)
  return tlv(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal)
}
const octets = (content: Buffer) => tlv(0x04, content)
const bits = (content: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), content]))
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text))
const explicit = (tagNumber: number, content: Buffer) => tlv(0xa0 + tagNumber, content)

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number)
  const bytes = [first! * 40 + second!]
  for (const arc of rest) {
    const base128 = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) base128.unshift((value & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime (YYMMDDHHMMSSZ) until 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`))
}

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]))
const DAY_MS = 86_400_000

export function createTestCertificate(host = '127.0.0.1'): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(host))))
  const address = Buffer.from(host.split('.').map(Number))
  const subjectAltName = sequence(oid('2.5.29.17'), octets(sequence(tlv(0x87, address))))
  const basicConstraints = sequence(oid('2.5.29.19'), octets(sequence()))
  const now = Date.now()
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // version 3
    integer(randomBytes(16)),
    SHA256_WITH_RSA,
    name,
    sequence(time(new Date(now - DAY_MS)), time(new Date(now + 30 * DAY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(subjectAltName, basicConstraints)),
  )
  const certificate = sequence(tbs, SHA256_WITH_RSA, bits(sign('sha256', tbs, privateKey)))
  const lines = certificate.toString('base64').match(/.{1,64}/g)!
  return {
    certificatePem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}
