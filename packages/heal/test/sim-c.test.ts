// The deterministic simulation, seeds 501..750 (four files share seeds
// 1..1000 so the runner runs them side by side): see test/sim/run.ts for the
// invariants. TEKKA_SIM_SEED=<n>[,<n>...] replays seeds instead,
// TEKKA_SIM_VERBOSE=1 prints their log.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSeeds } from './sim/seeds.js'

test('simulation: seeds 501..750 heal into one cluster, never reboot the majority, reboot once per heal', async () => {
  const failed = await runSeeds(501, 750)
  assert.equal(failed, [], `${failed.length} seeds failed: ${failed.join(', ')}`)
})

test.run()
