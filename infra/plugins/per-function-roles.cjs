'use strict'
/**
 * Completes serverless-iam-roles-per-function, which must come just before this plugin in
 * serverless.yml (both run at `before:package:finalize`, in plugin order, before serverless writes
 * the template at `package:finalize`).
 *
 * That plugin gives each function with `iamRoleStatements` its own role, but leaves serverless's
 * shared role (IamRoleLambdaExecution: every function's log groups, the provider statements and
 * the sqs event's permissions) in the stack. Here:
 * - a function still on the shared role fails packaging: give it `iamRoleStatementsInherit: true`
 *   and `iamRoleStatements` (`[]` for the baseline alone);
 * - otherwise the shared role, used by nothing, is removed, so no role in the stack holds more than
 *   one function needs.
 *
 * CommonJS because osls loads local plugins with require().
 */
class PerFunctionRoles {
  constructor(serverless) {
    this.serverless = serverless
    this.hooks = { 'before:package:finalize': () => this.apply() }
  }

  apply() {
    const sls = this.serverless
    const resources = sls.service.provider.compiledCloudFormationTemplate?.Resources ?? {}
    const shared = sls.getProvider('aws').naming.getRoleLogicalId()
    if (!resources[shared]) return
    const users = Object.entries(resources)
      .filter(([id, resource]) => id !== shared && mentions(resource, shared))
      .map(([id]) => id)
    if (users.length > 0) {
      throw new sls.classes.Error(
        `These resources still use the shared role ${shared}: ${users.join(', ')}. Give each function ` +
          'its own role: iamRoleStatementsInherit: true and iamRoleStatements ([] for the ' +
          'provider.iam.role.statements baseline alone), with serverless-iam-roles-per-function ' +
          'listed just before ./infra/plugins/per-function-roles.cjs.',
      )
    }
    delete resources[shared]
  }
}

/** Whether `value` refers to the logical id `id` (Ref, Fn::GetAtt, DependsOn or Fn::Sub). */
function mentions(value, id) {
  if (typeof value === 'string') return value === id || value.includes(`\${${id}`)
  if (Array.isArray(value)) return value.some((item) => mentions(item, id))
  if (value && typeof value === 'object') return Object.values(value).some((item) => mentions(item, id))
  return false
}

module.exports = PerFunctionRoles
