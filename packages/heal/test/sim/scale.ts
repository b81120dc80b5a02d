/**
 * The simulation at scale (tens to a thousand nodes): one seed forms a
 * cluster (every node joins the first at once, as autocluster does, in
 * waves of JOIN_WAVE), splits
 * it two ways for long enough that every link across ticks out, restores
 * the links and waits for one cluster again. It measures what grows with n
 * and checks the invariants a large cluster must keep:
 *
 * - agreement: after the faults stop every node lists the same members, all
 *   up, with no partitions and its applications running (SimCluster.converged),
 *   and stays so for a while;
 * - no node isolated: converged() also asks for a link from every node to
 *   every other;
 * - bounded healing: at most MAX_HEALS heals start for the split (no heal
 *   decision loops).
 *
 * Figures: simulated ms to form and to heal, packets per node per link tick
 * (tick_time / 4) once formed, and wall ms per simulated node-second.
 * Replay a seed: node scripts/sim.mjs --nodes N --seed S.
 */
import { SimCluster } from './cluster.js'
import { settled, TICK } from './run.js'

/** Heals one two-way split may take: one, and one more for a side that saw the other late. */
export const MAX_HEALS = 2
/**
 * Nodes joining at once: a node answers at most 256 handshakes at a time
 * (maxPendingHandshakes) and refuses the rest, so larger clusters join in
 * waves, as autocluster's retries would spread them.
 */
const JOIN_WAVE = 128
/** How long one cluster must hold to count, ms. */
const STABLE = 8000
/** Bounds, ms of simulated time. */
const FORM_MAX = 600_000
const HEAL_MAX = 120_000
/** The window the steady traffic is measured over, after as long again: two membership rounds (3 s each in the simulation). */
const STEADY = 6000

export interface ScaleResult {
  nodes: number
  seed: number
  /** Simulated ms from the first join to one cluster. */
  formMs: number | undefined
  /** Simulated ms from the end of the split to one cluster. */
  healMs: number | undefined
  heals: number
  /** The split's sides' sizes, `a|b`. */
  split: string
  /** Packets (sim network) per node per link tick, in a formed cluster with no faults. */
  packetsPerNodePerTick: number | undefined
  bytesPerNodePerTick: number | undefined
  simulatedMs: number
  wallMs: number
  /** Wall ms per simulated node-second. */
  wallPerNodeSecond: number
  heapMB: number
  violations: string[]
}

export async function runScaleSeed (nodes: number, seed: number, verbose = false): Promise<ScaleResult> {
  const started = Date.now()
  const sim = new SimCluster({ seed, nodes, tickTime: TICK, delay: 2000, autoclean: 600_000, quantum: 50, verbose, latency: [1, 5] })
  const violations: string[] = []
  let formMs: number | undefined
  let healMs: number | undefined
  let packets: number | undefined
  let bytes: number | undefined
  let heals = 0
  let split = '-'
  try {
    for (const n of sim.nodes) await sim.startNode(n)
    const t0 = sim.now
    const [first, ...rest] = sim.nodes
    for (let i = 0; i < rest.length; i += JOIN_WAVE) {
      const wave = rest.slice(i, i + JOIN_WAVE)
      await sim.drive(Promise.all(wave.map(async (n) => await n.dist.membership.join(first.name))), FORM_MAX, `nodes ${i + 2}..${i + 1 + wave.length} join the first`)
    }
    formMs = await sim.runUntil(() => sim.converged(), FORM_MAX - (sim.now - t0), 'the cluster forms') - t0

    // Two membership rounds first: a cluster formed at once still differs in entries no
    // change carried (which of two writers' versions wins), and the rounds' digests fix that.
    await sim.run(STEADY)
    const before = { ...sim.net.sent }
    await sim.run(STEADY)
    const ticks = STEADY / (TICK / 4)
    packets = (sim.net.sent.packets - before.packets) / nodes / ticks
    bytes = (sim.net.sent.bytes - before.bytes) / nodes / ticks

    const names = sim.rng.shuffle(sim.nodes.map((n) => n.name))
    const k = 1 + sim.rng.int(nodes - 1)
    const [a, b] = [names.slice(0, k), names.slice(k)]
    split = `${a.length}|${b.length}`
    const pairs = a.flatMap((x) => b.flatMap((y): Array<[string, string]> => [[x, y], [y, x]]))
    const healsBefore = sim.events.length
    sim.cut(pairs)
    await sim.run(3 * TICK)
    sim.restore(pairs)
    const end = sim.now
    try {
      healMs = await settled(sim, false, STABLE, HEAL_MAX, `one cluster after a ${a.length}|${b.length} split`) - end
    } catch (err) {
      violations.push((err as Error).message)
    }
    heals = new Set(sim.events.slice(healsBefore).filter((r) => r.e.type === 'heal.heal' && r.e.phase === 'started').map((r) => (r.e as { id: string }).id)).size
    if (heals > MAX_HEALS) violations.push(`${heals} heals started for one split (at most ${MAX_HEALS})`)
  } catch (err) {
    violations.push(`crashed: ${(err as Error).message}`)
  } finally {
    sim.teardown()
  }
  const wallMs = Date.now() - started
  return {
    nodes,
    seed,
    formMs,
    healMs,
    heals,
    split,
    packetsPerNodePerTick: packets,
    bytesPerNodePerTick: bytes,
    simulatedMs: sim.now,
    wallMs,
    wallPerNodeSecond: wallMs / (sim.now / 1000 * nodes),
    heapMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    violations
  }
}
