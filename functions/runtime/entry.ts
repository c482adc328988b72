import type { Observability } from './observability.ts'
import type { Service } from './service.ts'

/**
 * What an entry point is built from, each with a production default: the container's service
 * (built on first use from the environment, so a bad variable is a logged error, not an init crash)
 * and its logs and metrics. Tests pass their own.
 */
export interface EntryDeps {
  service?: () => Service
  observability?: Observability
}
