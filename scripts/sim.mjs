// The deterministic simulation at scale: for each size, runs seeds of
// packages/heal/test/sim/scale.ts (formation, a two-way split, its heal; the
// invariants: one cluster after the faults stop, no node isolated, at most
// MAX_HEALS heals) and prints one JSON line per size: simulated ms to form
// and to heal (median, max), packets and bytes per node per link tick, wall
// ms per simulated node-second, heap, violations. A failing seed prints the
// one-line command that replays it (and, with --verbose, its every log line).
//
// Usage: node scripts/sim.mjs [--nodes N[,N...]] [--seeds K] [--seed S] [--verbose]
//   --nodes  cluster sizes (default 100)
//   --seeds  seeds 1..K per size (default 1)
//   --seed   this one seed instead (a replay)
// Exit code 1 when any seed failed. Needs the build (npm run sim builds first).
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { existsSync } from 'node:fs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const USAGE = 'usage: node scripts/sim.mjs [--nodes N[,N...]] [--seeds K] [--seed S] [--verbose]'

function parse (argv) {
  const o = { nodes: [100], seeds: 1, seed: undefined, verbose: false }
  const int = (flag, v, min) => {
    const n = Number(v)
    if (v === undefined || !Number.isInteger(n) || n < min) {
      console.error(`${flag} needs an integer >= ${min}, got ${JSON.stringify(v ?? null)}; ${USAGE}`)
      process.exit(2)
    }
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--nodes') o.nodes = (argv[++i] ?? '').split(',').map((x) => int('--nodes', x, 2))
    else if (a === '--seeds') o.seeds = int('--seeds', argv[++i], 1)
    else if (a === '--seed') o.seed = int('--seed', argv[++i], 0)
    else if (a === '--verbose') o.verbose = true
    else {
      console.error(`unknown argument ${JSON.stringify(a)}; ${USAGE}`)
      process.exit(2)
    }
  }
  return o
}

const opts = parse(process.argv.slice(2))
const module = join(root, 'packages/heal/build/test/sim/scale.js')
if (!existsSync(module)) {
  console.error(`${module} is missing: build first (node_modules/.bin/tsc -b, or npm run sim)`)
  process.exit(2)
}
const { runScaleSeed } = await import(pathToFileURL(module).href)

// The nodes make and catch many errors (dials across the cut); their stacks are not read.
if (opts.seed === undefined) Error.stackTraceLimit = 0
let failed = 0
for (const nodes of opts.nodes) {
  const seeds = opts.seed !== undefined ? [opts.seed] : Array.from({ length: opts.seeds }, (_, i) => i + 1)
  const results = []
  for (const seed of seeds) {
    const r = await runScaleSeed(nodes, seed, opts.verbose)
    results.push(r)
    if (r.violations.length > 0) {
      failed++
      console.log(`FAIL nodes=${nodes} seed=${seed} split ${r.split}: ${r.violations.join('; ')}\n  replay: node scripts/sim.mjs --nodes ${nodes} --seed ${seed} --verbose`)
    }
  }
  const stat = (k) => {
    const xs = results.map((r) => r[k]).filter((x) => x !== undefined).sort((a, b) => a - b)
    return xs.length === 0 ? null : { median: round(xs[Math.floor(xs.length / 2)]), max: round(xs[xs.length - 1]) }
  }
  console.log(JSON.stringify({
    nodes,
    seeds: seeds.length,
    formMs: stat('formMs'),
    healMs: stat('healMs'),
    heals: stat('heals'),
    packetsPerNodePerTick: stat('packetsPerNodePerTick'),
    bytesPerNodePerTick: stat('bytesPerNodePerTick'),
    wallMsPerSimNodeSecond: stat('wallPerNodeSecond'),
    wallS: round(results.reduce((s, r) => s + r.wallMs, 0) / 1000),
    heapMB: Math.max(...results.map((r) => r.heapMB)),
    violations: results.reduce((s, r) => s + r.violations.length, 0)
  }))
}
process.exit(failed > 0 ? 1 : 0)

function round (x) {
  return Math.round(x * 100) / 100
}
