import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readConfig } from '../../functions/runtime/config.ts'

describe('readConfig', () => {
  it('needs MERCHANT_SECRET_ID and names it', () => {
    assert.throws(() => readConfig({}), { name: 'ConfigError', variable: 'MERCHANT_SECRET_ID' })
  })

  it('has production defaults', () => {
    assert.deepEqual(readConfig({ MERCHANT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:1:secret:x' }), {
      mode: 'partner',
      merchantSecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
      secretTtlMs: 300_000,
      wechatpayBaseUrl: 'https://api.mch.weixin.qq.com',
      wechatpayBackupUrl: 'https://api2.mch.weixin.qq.com',
      maxAttempts: 3,
      attemptTimeoutMs: 5_000,
      deadlineMarginMs: 1_000,
      queueConcurrency: 10,
      eventBus: null,
    })
  })

  it('reads WECHATPAY_MODE: partner by default, or direct', () => {
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', WECHATPAY_MODE: 'direct' }).mode, 'direct')
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', WECHATPAY_MODE: 'partner' }).mode, 'partner')
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', WECHATPAY_MODE: '' }).mode, 'partner')
  })

  it('reads EVENT_BUS: a bus name or ARN, none when unset or empty', () => {
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', EVENT_BUS: 'payscore' }).eventBus, 'payscore')
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', EVENT_BUS: '' }).eventBus, null)
  })

  it('disables failover with an empty WECHATPAY_BACKUP_URL', () => {
    assert.equal(readConfig({ MERCHANT_SECRET_ID: 's', WECHATPAY_BACKUP_URL: '' }).wechatpayBackupUrl, null)
  })

  for (const [name, value] of [
    ['SECRET_TTL_SECONDS', '-1'],
    ['WECHATPAY_MAX_ATTEMPTS', '0'],
    ['WECHATPAY_ATTEMPT_TIMEOUT_MS', 'soon'],
    ['QUEUE_CONCURRENCY', '11'],
    ['DEADLINE_MARGIN_MS', '1.5'],
    ['WECHATPAY_BASE_URL', 'https://api.mch.weixin.qq.com/v3'],
    ['WECHATPAY_BASE_URL', 'api.mch.weixin.qq.com'],
    ['WECHATPAY_BACKUP_URL', 'ftp://api2.mch.weixin.qq.com'],
    ['WECHATPAY_MODE', 'service-provider'],
    ['WECHATPAY_MODE', 'Partner'],
  ]) {
    it(`refuses ${name}=${value}, naming it`, () => {
      assert.throws(() => readConfig({ MERCHANT_SECRET_ID: 's', [name!]: value }), {
        variable: name,
        message: new RegExp(name!),
      })
    })
  }
})
