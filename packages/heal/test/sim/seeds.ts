/**
 * Runs a range of seeds (or just $TEKKA_SIM_SEED), prints one line per
 * failing seed with how to replay it, and a summary line; returns the
 * failing seeds.
 */
import { sized } from '@tekka/testing'
import { runSeed, type SeedResult } from './run.js'

/** Seeds per simulation file: all 250 in the full suite, the first 25 in the unit tier; TEKKA_SIM_SEEDS_PER_FILE sets it. */
const SEEDS_PER_FILE = 250

/** The seeds a file starting at `from` runs: from..from+249 in `npm test`, from..from+24 in `npm run test:unit`. */
export function seedRange (from: number): [number, number] {
  return [from, from - 1 + sized(SEEDS_PER_FILE, 25, 'TEKKA_SIM_SEEDS_PER_FILE')]
}

export async function runSeeds (from: number, to: number): Promise<number[]> {
  const only = process.env.TEKKA_SIM_SEED
  const verbose = process.env.TEKKA_SIM_VERBOSE === '1'
  const seeds = only !== undefined && only !== '' ? only.split(',').map(Number) : Array.from({ length: to - from + 1 }, (_, i) => from + i)
  const failed: number[] = []
  const started = Date.now()
  let simulated = 0
  const after: number[] = []
  // The nodes make and catch many errors per seed (dials across a cut, refused handshakes);
  // capturing their stacks is some 3 % of a run. A replay (TEKKA_SIM_SEED) keeps them.
  const stackTraceLimit = Error.stackTraceLimit
  if (only === undefined || only === '') Error.stackTraceLimit = 0
  try {
    for (const seed of seeds) await one(seed)
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
  async function one (seed: number): Promise<void> {
    const r: SeedResult = await runSeed(seed, verbose)
    simulated += r.simulatedMs
    if (r.convergedAfter !== undefined) after.push(r.convergedAfter)
    if (r.failures.length > 0) {
      failed.push(seed)
      console.log(`FAIL seed ${seed} (${r.config}) ${r.schedule}\n  ${r.failures.join('\n  ')}\n  replay: TEKKA_SIM_SEED=${seed} TEKKA_SIM_VERBOSE=1 node packages/heal/build/test/sim.test.js`)
      if (!verbose) console.log(`  last log lines:\n${r.log.split('\n').slice(-60).map((l) => '    ' + l).join('\n')}`)
    } else if (only !== undefined && only !== '') {
      console.log(`ok seed ${seed} (${r.config}) ${r.schedule}: one cluster ${r.convergedAfter} ms after the last fault, ${r.heals} heals`)
    }
  }
  after.sort((a, b) => a - b)
  const q = (p: number): number => after[Math.min(after.length - 1, Math.floor(p * after.length))] ?? NaN
  console.log(`simulation: ${seeds.length} seeds, ${failed.length} failed, ${(simulated / 1000).toFixed(0)} s simulated in ${((Date.now() - started) / 1000).toFixed(1)} s; one cluster after the last fault: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${after[after.length - 1] ?? NaN} ms`)
  return failed
}
