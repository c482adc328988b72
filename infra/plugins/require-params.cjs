'use strict'
/**
 * Deploy guard. On `serverless deploy` (and `deploy function`), before packaging and before any AWS
 * call, checks every CloudFormation Parameter that serverless.yml's `resources` declare: its Default
 * (filled from a serverless param) must match its AllowedPattern. That is the check CloudFormation
 * would make, made early, with the serverless param to set named in the message
 * (`ConstraintDescription`). `package`, `print` and `offline` are not affected, so stage `local`
 * and offline packaging keep working without the params.
 *
 * CommonJS because osls loads local plugins with require().
 */
class RequireParams {
  constructor(serverless) {
    this.serverless = serverless
    this.hooks = { initialize: () => this.check() }
  }

  check() {
    const sls = this.serverless
    const [command] = sls.processedInput?.commands ?? []
    if (command !== 'deploy') return
    const problems = parameterProblems(sls.service.resources)
    if (problems.length > 0) {
      throw new sls.classes.Error(
        `Cannot deploy stage "${sls.service.provider.stage}":\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      )
    }
  }
}

/** Parameters whose Default does not match their AllowedPattern (an empty Default included). */
function parameterProblems(resources) {
  const fragments = Array.isArray(resources) ? resources : [resources]
  const problems = []
  for (const fragment of fragments) {
    for (const [name, parameter] of Object.entries(fragment?.Parameters ?? {})) {
      if (typeof parameter?.AllowedPattern !== 'string') continue
      const value = parameter.Default == null ? '' : String(parameter.Default)
      // CloudFormation matches the whole value against AllowedPattern.
      if (!new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value)) {
        problems.push(
          `${name} ${value === '' ? 'is empty' : `is "${value}"`}: ${parameter.ConstraintDescription ?? `must match ${parameter.AllowedPattern}`}`,
        )
      }
    }
  }
  return problems
}

module.exports = RequireParams
module.exports.parameterProblems = parameterProblems
