// The deterministic simulation, seeds 251..500 (four files share seeds
// 1..1000 so the runner runs them side by side; the unit tier runs the
// first 25 of each): see test/sim/run.ts for the
// invariants. TEKKA_SIM_SEED=<n>[,<n>...] replays seeds instead,
// TEKKA_SIM_VERBOSE=1 prints their log.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSeeds, seedRange } from './sim/seeds.js'

const [from, to] = seedRange(251)

test(`simulation: seeds ${from}..${to} heal into one cluster, never reboot the majority, reboot once per heal`, async () => {
  const failed = await runSeeds(from, to)
  assert.equal(failed, [], `${failed.length} seeds failed: ${failed.join(', ')}`)
})

test.run()
