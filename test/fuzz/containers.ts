/**
 * What every fuzz file runs against: the stand-ins, and one Lambda container per mode (partner and
 * direct) over the same simulator, each with one attempt per call so that the magic faults answer
 * at once instead of backing off. It tracks what WeChat received (and teaches the ledger of users),
 * the codes and openids the inputs named, and unhandled rejections.
 */
import { type Container, type Stack, startStack } from '../helpers/stack.ts'
import { assertNoLeaks } from '../leaks/output.ts'
import type { KnownValues } from '../leaks/scanner.ts'
import type { Mode } from './oracle.ts'
import { createLedger } from './outcomes.ts'
import { createUsedNames, type Sent, sentSince, trackUnhandledRejections } from './support.ts'

export interface FuzzStack {
  stack: Stack
  containers: Record<Mode, Container>
  ledger: ReturnType<typeof createLedger>
  /** Codes and openids the inputs named: what the leak scan looks for. */
  used: ReturnType<typeof createUsedNames>
  unhandled: ReturnType<typeof trackUnhandledRejections>
  /** Runs `work`; what WeChat received meanwhile (the ledger has learnt from it). */
  observe<T>(work: () => Promise<T>): Promise<{ result: T; sent: Sent[] }>
  /**
   * Scans both containers' log lines with every code and openid used, and the `secrets` given (an
   * APIv3 key, ciphertexts); returns the number of lines.
   */
  assertNoLeaks(extra?: Pick<KnownValues, 'secrets'>): number
  close(): Promise<void>
}

export async function startFuzzStack(env: Record<string, string> = {}): Promise<FuzzStack> {
  const unhandled = trackUnhandledRejections()
  const stack = await startStack()
  const container = (mode: Mode) =>
    stack.container({ WECHATPAY_MAX_ATTEMPTS: '1', WECHATPAY_MODE: mode, ...env }, { quiet: true })
  const containers = { partner: container('partner'), direct: container('direct') }
  const ledger = createLedger()
  const used = createUsedNames()
  return {
    stack,
    containers,
    ledger,
    used,
    unhandled,
    async observe(work) {
      const since = stack.simulator.requests.length
      const learn = () => {
        const sent = sentSince(stack.simulator, since)
        ledger.learn(sent)
        return sent
      }
      try {
        const result = await work()
        return { result, sent: learn() }
      } catch (error) {
        // Learnt all the same: the simulator holds what it received.
        learn()
        throw error
      }
    },
    assertNoLeaks: (extra = {}) =>
      assertNoLeaks([...containers.partner.logs.text(), ...containers.direct.logs.text()], {
        ...used.known(),
        ...extra,
      }),
    async close() {
      unhandled.stop()
      await stack.close()
    },
  }
}

/** Either mode, the partner mode (the default) twice as often. */
export const MODES: readonly Mode[] = ['partner', 'partner', 'direct']
