'use strict'
/**
 * serverless.yml hands a CloudFormation Parameter to the code as `{ Ref: <Parameter> }` in a
 * function's environment (MERCHANT_SECRET_ID: !Ref MerchantSecretArn), so the code and IAM read the
 * same value whoever deploys the template. serverless-offline and `serverless invoke local` run the
 * functions without CloudFormation and would pass that object on as it is. For those two commands
 * only, each such Ref becomes the Parameter's Default, the stage's serverless param: what a deploy
 * of this stage would give the code. Stage `local` (`npm start`) runs this way.
 *
 * A Ref to anything but a Parameter with a Default stops the command: the code would otherwise run
 * with a value no deploy would give it.
 *
 * CommonJS because osls loads local plugins with require().
 */
const { parametersOf } = require('./require-params.cjs')

class OfflineParameters {
  constructor(serverless) {
    this.serverless = serverless
    this.hooks = { initialize: () => this.apply() }
  }

  apply() {
    const sls = this.serverless
    const [command, subcommand] = sls.processedInput?.commands ?? []
    if (command !== 'offline' && !(command === 'invoke' && subcommand === 'local')) return
    const defaults = new Map(
      parametersOf(sls.service.resources)
        .filter(([, parameter]) => parameter?.Default != null)
        .map(([name, parameter]) => [name, String(parameter.Default)]),
    )
    const resolve = (where, environment) => {
      for (const [variable, value] of Object.entries(environment ?? {})) {
        if (typeof value !== 'object' || value === null || !('Ref' in value)) continue
        if (!defaults.has(value.Ref)) {
          throw new sls.classes.Error(
            `${where}.${variable} is a Ref to ${value.Ref}, which is not a CloudFormation Parameter with a ` +
              'Default: serverless-offline cannot give the code its value. Set the serverless param behind it.',
          )
        }
        environment[variable] = defaults.get(value.Ref)
      }
    }
    resolve('provider.environment', sls.service.provider.environment)
    for (const [name, definition] of Object.entries(sls.service.functions ?? {})) {
      resolve(`functions.${name}.environment`, definition?.environment)
    }
  }
}

module.exports = OfflineParameters
