'use strict'
/**
 * `custom.optionalIamStatements`: a list of `{ condition, statement }`. Each statement is appended
 * to provider.iam.role.statements (the baseline every function's role inherits) as
 * `Fn::If: [condition, statement, AWS::NoValue]`, so CloudFormation puts it in the roles exactly
 * when that Condition (infra/resources/parameters.yml) holds for the Parameters the stack is
 * deployed with, whoever deploys it and with whatever values.
 *
 * A plugin only because serverless's config schema accepts no Fn::If where a statement goes (each
 * item of provider.iam.role.statements must have Effect, Action and Resource). It runs at
 * `initialize`, after that validation and before the roles are compiled.
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
    for (const [index, entry] of optional.entries()) {
      if (typeof entry?.condition !== 'string' || typeof entry.statement !== 'object' || !entry.statement) {
        throw new this.serverless.classes.Error(
          `custom.optionalIamStatements[${index}] needs a condition (a CloudFormation Condition's name) and a statement`,
        )
      }
    }
    if (optional.length === 0) return
    service.provider.iam ??= {}
    service.provider.iam.role ??= {}
    service.provider.iam.role.statements ??= []
    service.provider.iam.role.statements.push(
      ...optional.map(({ condition, statement }) => ({
        'Fn::If': [condition, statement, { Ref: 'AWS::NoValue' }],
      })),
    )
  }
}

module.exports = OptionalIam
