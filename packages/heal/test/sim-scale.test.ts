// The deterministic simulation at 100 nodes (test/sim/scale.ts): each seed
// forms a cluster of 100, splits it two ways until every link across ticks
// out, restores the links, and checks that one cluster comes back (every
// node lists every other, up, with a link to each: none isolated) with at
// most MAX_HEALS heals. One seed takes about 35 s on the shared 2-core box, so
// the unit tier runs 1 seed and `npm test` 3 (TEKKA_SIM_SCALE_SEEDS sets it);
// `npm run sim -- --nodes 100 --seeds 200` runs more, and prints how to
// replay a failing one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sized } from '@tekka/testing'
import { MAX_HEALS, runScaleSeed } from './sim/scale.js'

const NODES = 100
const seeds = sized(3, 1, 'TEKKA_SIM_SCALE_SEEDS')

test(`simulation at ${NODES} nodes: seeds 1..${seeds} form one cluster and heal a two-way split into one again, in at most ${MAX_HEALS} heals`, async () => {
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      const r = await runScaleSeed(NODES, seed)
      console.log(JSON.stringify({ ...r, violations: r.violations.length }))
      assert.equal(r.violations, [], `seed ${seed} (split ${r.split}) failed; replay: node scripts/sim.mjs --nodes ${NODES} --seed ${seed} --verbose`)
      assert.ok(r.formMs !== undefined && r.healMs !== undefined)
      assert.ok(r.heals >= 1, `the split was healed (${r.heals} heals)`)
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
})

test.run()
