import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** An RSA-2048 key pair generated for this test run, with its PEM forms. */
export interface TestKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  privatePem: string
  privatePkcs1Pem: string
  publicPem: string
}

export function generateRsaKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privatePkcs1Pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

/** The known-answer vector from wechatpay-go (copied from ../shared/reference/test-vectors/). */
export interface SignerVector {
  privatePem: string
  publicPem: string
  message: string
  expectedSignature: string
}

export function loadSignerVector(): SignerVector {
  const url = new URL('../fixtures/sha256withrsa-signer.json', import.meta.url)
  const raw = JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>
  return {
    // The vector labels its key TESTING KEY so secret scanners skip it; restore the real label.
    privatePem: raw.private_key_pkcs8_testing_label!.replaceAll('TESTING KEY', 'PRIVATE KEY'),
    publicPem: raw.public_key_spki!,
    message: raw.message!,
    expectedSignature: raw.expected_signature_base64!,
  }
}

/**
 * A test-only platform certificate (certificate mode) and its private key, made once with
 * `openssl req -x509 -newkey rsa:2048 -days 36500`. Node cannot mint X.509 certificates, so the
 * pair is committed; the key is labelled TESTING KEY so secret scanners skip it.
 */
export interface PlatformCertificateFixture {
  certificatePem: string
  privateKey: KeyObject
  /** The certificate serial as WeChat writes it: upper-case hex. */
  serialNo: string
}

export function loadPlatformCertificate(): PlatformCertificateFixture {
  const certificatePem = readFileSync(
    new URL('../fixtures/platform-certificate.pem', import.meta.url),
    'utf8',
  )
  const keyPem = readFileSync(new URL('../fixtures/platform-testing-key.pem', import.meta.url), 'utf8')
  return {
    certificatePem,
    privateKey: createPrivateKey(keyPem.replaceAll('TESTING KEY', 'PRIVATE KEY')),
    serialNo: new X509Certificate(certificatePem).serialNumber.toUpperCase(),
  }
}

/**
 * A second test-only platform certificate: the self-signed one of wechatpay-go's notification test
 * (serial D7CE59D1F522D701, valid 2021-2031), whose key is the known-answer vector's test key.
 */
export function loadGoSdkCertificate(): PlatformCertificateFixture {
  const certificatePem = readFileSync(
    new URL('../fixtures/go-sdk-platform-certificate.pem', import.meta.url),
    'utf8',
  )
  return {
    certificatePem,
    privateKey: createPrivateKey(loadSignerVector().privatePem),
    serialNo: new X509Certificate(certificatePem).serialNumber.toUpperCase(),
  }
}
