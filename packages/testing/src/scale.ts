/**
 * How big the randomized tests run. The full suite (`npm test`) runs them
 * at full size; the unit tier (`npm run test:unit`, where the runner sets
 * TEKKA_TEST_TIER=unit) runs a fixed, smaller share of the same cases, so a
 * contributor's quick check stays under a minute on two cores while CI
 * still runs every seed and every fuzz frame. A variable the test names
 * itself (TEKKA_FUZZ_FRAMES, say) wins over both.
 *
 * ```ts
 * import { sized } from '@tekka/testing'
 * const frames = sized(10_000, 2_000, 'TEKKA_FUZZ_FRAMES') // 10000 in npm test, 2000 in test:unit
 * ```
 */
import { TestConfigError } from './errors.js'

/** The tier the runner says this file runs in: 'unit' under `--unit`, else 'full'. */
export function testTier (env: NodeJS.ProcessEnv = process.env): 'unit' | 'full' {
  return env.TEKKA_TEST_TIER === 'unit' ? 'unit' : 'full'
}

/** `full` in the full suite, `unit` in the unit tier; `override` names a variable that sets it outright (a positive integer). */
export function sized (full: number, unit: number, override?: string, env: NodeJS.ProcessEnv = process.env): number {
  const set = override !== undefined ? env[override] : undefined
  if (set !== undefined && set !== '') {
    const n = Number(set)
    if (!Number.isInteger(n) || n < 1) throw new TestConfigError(`${override} must be a positive integer, got ${JSON.stringify(set)}`)
    return n
  }
  return testTier(env) === 'unit' ? unit : full
}
