// The deterministic simulation, seeds 1..500 (sim-b covers the rest): see
// test/sim/run.ts for the invariants. TEKKA_SIM_SEED=<n> replays one seed,
// TEKKA_SIM_VERBOSE=1 prints its log.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSeeds } from './sim/seeds.js'

test('simulation: seeds 1..500 heal into one cluster, never reboot the majority, reboot once per heal', async () => {
  const failed = await runSeeds(1, 500)
  assert.equal(failed, [], `${failed.length} seeds failed`)
})

test.run()
