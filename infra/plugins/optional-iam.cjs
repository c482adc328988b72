'use strict'
/**
 * `custom.optionalIamStatements`: a list of `{ ifSet, statement }`. Each statement is appended to
 * provider.iam.role.statements only when its `ifSet` resolved to a non-empty string (usually a
 * serverless param such as the merchant secret's KMS key), so a stage without that param gets no
 * such statement at all: no placeholder, no wildcard, no CloudFormation condition in the policy.
 * Runs at `initialize`, after variables are resolved and before the role is compiled.
 *
 * CommonJS because osls loads local plugins with require().
 */
class OptionalIam {
  constructor(serverless) {
    this.serverless = serverless
    this.hooks = { initialize: () => this.apply() }
  }

  apply() {
    const { service } = this.serverless
    const optional = service.custom?.optionalIamStatements ?? []
    const wanted = optional.filter((entry) => typeof entry?.ifSet === 'string' && entry.ifSet.trim() !== '')
    if (wanted.length === 0) return
    service.provider.iam ??= {}
    service.provider.iam.role ??= {}
    service.provider.iam.role.statements ??= []
    service.provider.iam.role.statements.push(...wanted.map((entry) => entry.statement))
  }
}

module.exports = OptionalIam
