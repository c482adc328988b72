'use strict'
/**
 * The CloudFormation Parameters that serverless.yml's `resources` declare take their Default from a
 * serverless param. Each Default must match its AllowedPattern, the check CloudFormation makes:
 *
 * - Deploy guard. On `serverless deploy` (and `deploy function`), before packaging and before any
 *   AWS call, a value that fails stops the deploy, with the serverless param to set named in the
 *   message (`ConstraintDescription`).
 * - On packaging, such a Default is left out of the template (with a warning): the Parameter then
 *   has no value until one is given, which CloudFormation insists on, rather than a default it
 *   would refuse. Stage `local` is packaged this way (its secret is a name, not an ARN), and so is
 *   any stage packaged without its required params.
 *
 * `package`, `print` and `offline` never fail here, so stage `local` and offline packaging keep
 * working without the params.
 *
 * CommonJS because osls loads local plugins with require().
 */
class RequireParams {
  constructor(serverless, _options, utils) {
    this.serverless = serverless
    this.log = utils?.log
    this.hooks = {
      initialize: () => this.check(),
      // After serverless merged `resources` into the template, before it writes the template.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.dropRefusedDefaults(),
    }
  }

  check() {
    const sls = this.serverless
    const [command] = sls.processedInput?.commands ?? []
    if (command !== 'deploy') return
    const problems = parameterProblems(sls.service.resources).map((problem) => problem.message)
    if (problems.length > 0) {
      throw new sls.classes.Error(
        `Cannot deploy stage "${sls.service.provider.stage}":\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      )
    }
  }

  dropRefusedDefaults() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate
    for (const { name, message } of parameterProblems(template)) {
      delete template.Parameters[name].Default
      this.log?.warning(`${message} The template's ${name} has no Default: deploying it needs a value.`)
    }
  }
}

/** Every Parameter of `resources` (serverless.yml's: one fragment or a list) as [name, parameter]. */
function parametersOf(resources) {
  const fragments = Array.isArray(resources) ? resources : [resources]
  return fragments.flatMap((fragment) => Object.entries(fragment?.Parameters ?? {}))
}

/** Parameters whose Default does not match their AllowedPattern (an empty or missing one included). */
function parameterProblems(resources) {
  const problems = []
  for (const [name, parameter] of parametersOf(resources)) {
    if (typeof parameter?.AllowedPattern !== 'string') continue
    const value = parameter.Default == null ? '' : String(parameter.Default)
    // CloudFormation matches the whole value against AllowedPattern.
    if (!new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value)) {
      problems.push({
        name,
        message: `${name} ${value === '' ? 'is empty' : `is "${value}"`}: ${parameter.ConstraintDescription ?? `must match ${parameter.AllowedPattern}`}`,
      })
    }
  }
  return problems
}

module.exports = RequireParams
module.exports.parameterProblems = parameterProblems
module.exports.parametersOf = parametersOf
