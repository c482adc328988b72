/**
 * The AWS SDK's default credential provider as the deployed bundles see it: serverless.yml
 * (custom.esbuild.alias) puts this module in place of `@aws-sdk/credential-provider-node`, which
 * every SDK client imports for its credentials. Lambda hands each function its role's credentials
 * in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and so does the
 * sandbox, so the rest of that chain (config files, SSO, login, credential processes, web identity,
 * container and instance metadata, with the nested clients they use) never runs here: it was about
 * 130 KB of the 420 KB bundle, compiled and partly evaluated on every cold start for nothing (about
 * 9 ms of CPU, docs/BENCHMARKS.md). Tests and tools that run the sources use the real chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env'
import type { defaultProvider as sdkDefaultProvider } from '@aws-sdk/credential-provider-node'

export const defaultProvider: typeof sdkDefaultProvider = (init = {}) => fromEnv(init)
