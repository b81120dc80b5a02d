/**
 * The runtime the core runtime tests start from. Their waits are bounded
 * with @tekka/testing/wait (`withTimeout`, `eventually`, `until`), so a
 * regression fails the test instead of hanging the suite.
 */
import { createRuntime, silentLogger, type Runtime, type RuntimeOptions } from '../../src/index.js'

/** A runtime on node `a@host` that logs nothing (crash warnings are expected in these tests). */
export function runtime (opts: RuntimeOptions = {}): Runtime {
  return createRuntime({ node: 'a@host', logger: silentLogger(), ...opts })
}
