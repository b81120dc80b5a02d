/**
 * One seed of the deterministic simulation: a cluster of 3 to 7 nodes, a
 * seeded fault schedule, and the invariants.
 *
 * - Convergence: at the end of every long gap, and after the last fault
 *   within a bound, every live node lists the same members, all up, with no
 *   partitions and its applications running; it stays so for a while.
 * - Majority: in a split that stood alone (long gaps around it, no crash,
 *   and every link across it went down and none within a side), no node of
 *   the majority side (largest; equal sizes: the one holding the oldest
 *   member) is rebooted.
 * - Once: no node stops (or starts again) its applications twice for one
 *   heal, and every stop and start of an application is a heal's.
 *
 * Replay one seed: TEKKA_SIM_SEED=<seed> node packages/heal/build/test/sim.test.js
 * (TEKKA_SIM_VERBOSE=1 prints every log line with its simulated time).
 */
import { SimCluster, type SimConfig } from './cluster.js'
import { Rng } from '@tekka/testing/sim/rng'
import { describe, makeSchedule, type Episode, type HealFault, type Schedule } from './schedule.js'

export const TICK = 2000
export const LONG_GAP = 30_000
export const AUTOCLEAN = 60_000
/** After the last fault: how long one cluster must hold, with no reboot, to count. */
const STABLE = 12_000
/** The same in a long gap (long enough for the last links of a cut to tick out). */
const GAP_STABLE = 2 * TICK + 1000

export interface SeedResult {
  seed: number
  config: string
  schedule: string
  failures: string[]
  /** Simulated ms from the end of the last fault to one cluster. */
  convergedAfter: number | undefined
  heals: number
  simulatedMs: number
  log: string
}

export function configFor (seed: number, verbose = false): SimConfig {
  const rng = new Rng(seed * 7919 + 1)
  return {
    seed,
    nodes: 3 + rng.int(5),
    tickTime: TICK,
    delay: rng.pick([1000, 2000, 3000, 5000]),
    autoclean: AUTOCLEAN,
    quantum: 50,
    verbose,
    latency: rng.pick<[number, number]>([[1, 5], [1, 5], [2, 40]])
  }
}

export async function runSeed (seed: number, verbose = false): Promise<SeedResult> {
  const cfg = configFor(seed, verbose)
  const sim = new SimCluster(cfg)
  const failures: string[] = []
  let schedule: Schedule | undefined
  let convergedAfter: number | undefined
  const runs: EpisodeRun[] = []
  try {
    await sim.start()
    schedule = makeSchedule(sim.rng.fork(), { nodes: sim.nodes.map((n) => n.name), tickTime: TICK })
    await sim.run(1000)
    for (const ep of schedule.episodes) {
      const start = sim.now
      runs.push({ ep, start, next: Infinity, guids: new Map(sim.nodes.filter((n) => n.alive).map((n) => [n.name, n.dist.membership.guid])) })
      for (const a of ep.actions) {
        await sim.runTo(start + a.at)
        if (a.do === 'cut') sim.cut(a.pairs)
        else if (a.do === 'restore') sim.restore(a.pairs)
        else if (a.do === 'crash') sim.crash(sim.node(a.node))
        else await sim.restart(sim.node(a.node))
      }
      await sim.runTo(start + ep.duration)
      if (ep.healFault !== undefined) await healFault(sim, ep.healFault, failures)
      if (ep === schedule.episodes[schedule.episodes.length - 1]) break
      if (ep.gap === 'long') {
        try {
          await settled(sim, true, GAP_STABLE, LONG_GAP, `one cluster after the ${ep.kind} that ended at ${Math.round(sim.now)}`)
        } catch (err) {
          failures.push((err as Error).message)
          break
        }
      } else {
        await sim.run(ep.gap)
      }
      runs[runs.length - 1].next = sim.now
    }
    const end = sim.now
    const bound = LONG_GAP + (schedule.permanent !== undefined ? AUTOCLEAN * 1.25 + 5000 : 0)
    if (failures.length === 0) {
      try {
        convergedAfter = await settled(sim, false, STABLE, bound, 'one cluster after the last fault') - end
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
    failures.push(...checkOnce(sim), ...checkMajority(sim, runs))
  } catch (err) {
    failures.push(`crashed: ${(err as Error).stack ?? String(err)}`)
  } finally {
    sim.teardown()
  }
  return {
    seed,
    config: `nodes=${cfg.nodes} delay=${cfg.delay} tick=${cfg.tickTime} latency=${cfg.latency!.join('..')}`,
    schedule: schedule !== undefined ? describe(schedule) : '-',
    failures,
    convergedAfter,
    heals: sim.events.filter((r) => r.e.type === 'heal.heal' && r.e.phase === 'started').length,
    simulatedMs: sim.now,
    log: failures.length > 0 ? sim.logTail() : ''
  }
}

/**
 * Runs until the cluster has been one for `window` ms in a row, with no node
 * rebooted meanwhile (links cut shortly before may still tick out, and be
 * healed, after the fault ended); resolves with when that stretch began.
 * Throws if it has not begun within `bound` ms.
 */
export async function settled (sim: SimCluster, allowDead: boolean, window: number, bound: number, what: string): Promise<number> {
  const deadline = sim.now + bound
  const reboots = (): number => sim.reboots
  let since: number | undefined
  let seen = reboots()
  let why: string | undefined
  for (;;) {
    why = sim.converged(allowDead)
    const now = reboots()
    if (why !== undefined || now !== seen) {
      since = undefined
      seen = now
    } else if (since === undefined) {
      since = sim.now
    }
    if (since !== undefined && sim.now - since >= window) return since
    if (since === undefined && sim.now >= deadline) throw new Error(`${what}: not within ${bound} ms: ${why ?? 'nodes were still being rebooted'}`)
    await sim.run(250)
  }
}

/**
 * Waits for the next heal to start and strikes it `after` ms later: crashes
 * its coordinator, a victim or the leader, or cuts the victims off; undone
 * `back` ms later. A split too short to need a heal just passes.
 */
async function healFault (sim: SimCluster, f: HealFault, failures: string[]): Promise<void> {
  let struck = false
  let undone = false
  sim.onEvent = (r) => {
    if (struck || r.e.type !== 'heal.heal' || r.e.phase !== 'started') return
    struck = true
    const plan = r.e.plan
    const target = f.what === 'crash-coordinator' ? plan.coordinator : f.what === 'crash-leader' ? plan.leader : plan.victims[0]
    const pairs: Array<[string, string]> = f.what !== 'cut-victims' ? [] : plan.victims.flatMap((v) => plan.survivors.flatMap((s): Array<[string, string]> => [[v, s], [s, v]]))
    sim.clock.setTimeout(() => {
      if (f.what === 'cut-victims') sim.cut(pairs)
      else sim.crash(sim.node(target))
      sim.clock.setTimeout(() => {
        const undo = f.what === 'cut-victims' ? Promise.resolve(sim.restore(pairs)) : sim.restart(sim.node(target))
        undo.then(() => { undone = true }, (err: unknown) => { undone = true; failures.push(`restart of ${target} failed: ${(err as Error).message}`) })
      }, f.back)
    }, f.after)
  }
  try {
    await sim.runUntil(() => struck ? undefined : 'no heal yet', 20_000, 'heal fault').catch(() => {})
    if (struck) await sim.runUntil(() => undone ? undefined : 'not undone yet', f.back + 1000, 'heal fault undone')
  } finally {
    sim.onEvent = undefined
  }
}

interface EpisodeRun {
  ep: Episode
  start: number
  /** When the next episode started. */
  next: number
  /** Guids of the live nodes at its start (their age). */
  guids: Map<string, string>
}

/** No node stops or restarts its applications twice for one heal; every application stop is a heal's. */
function checkOnce (sim: SimCluster): string[] {
  const out: string[] = []
  const count = new Map<string, number>()
  for (const r of sim.events) {
    if (r.e.type !== 'heal.reboot') continue
    const key = `${r.node}#${r.inc} ${r.e.id} ${r.e.phase === 'shutdown' ? 'stop' : 'start'}`
    const c = (count.get(key) ?? 0) + 1
    count.set(key, c)
    if (c === 2) out.push(`${r.node} (incarnation ${r.inc}): applications ${r.e.phase === 'shutdown' ? 'stopped' : 'started'} twice for heal ${r.e.id}`)
  }
  for (const n of sim.nodes) {
    if (!n.alive) continue
    const app = n.dist.applications.list().find((a) => a.name === 'sim-app')!
    const mine = sim.events.filter((r) => r.node === n.name && r.inc === n.inc && r.e.type === 'heal.reboot')
    const stops = mine.filter((r) => r.e.type === 'heal.reboot' && r.e.phase === 'shutdown').length
    const starts = mine.length - stops
    if (app.stops !== stops) out.push(`${n.name}: application stopped ${app.stops} times, by ${stops} heals`)
    if (app.starts !== 1 + starts) out.push(`${n.name}: application started ${app.starts} times (1 + ${starts} heals expected)`)
  }
  return out
}

/** In a split that stood alone, the majority side is never rebooted. */
function checkMajority (sim: SimCluster, runs: EpisodeRun[]): string[] {
  const out: string[] = []
  for (const { ep: e, start, next, guids } of runs) {
    if (!e.isolated || e.groups === undefined) continue
    const groups = e.groups.map((g) => g.filter((n) => guids.has(n))).filter((g) => g.length > 0)
    if (groups.length < 2) continue
    const sideOf = new Map<string, number>()
    groups.forEach((g, gi) => { for (const n of g) sideOf.set(n, gi) })
    // Observed clean: every link across went down during the episode, none within a side.
    const downs = sim.links.filter((l) => l.type === 'down' && l.t >= start && l.t < Math.min(next, start + e.duration + 3 * TICK))
    const crossDown = new Set<string>()
    let clean = true
    for (const l of downs) {
      const a = sideOf.get(l.node)
      const b = sideOf.get(l.peer)
      if (a === undefined || b === undefined) continue
      if (a === b) { clean = false; break }
      crossDown.add([l.node, l.peer].sort().join(' '))
    }
    let crossPairs = 0
    groups.forEach((g, gi) => groups.slice(gi + 1).forEach((h) => { crossPairs += g.length * h.length }))
    if (!clean || crossDown.size < crossPairs) continue
    const oldest = (g: string[]): string => g.map((n) => guids.get(n)!).sort()[0]
    const majority = [...groups].sort((a, b) => b.length - a.length || (oldest(a) < oldest(b) ? -1 : 1))[0]
    for (const r of sim.events) {
      if (r.e.type !== 'heal.reboot' || r.e.phase !== 'shutdown' || r.t < start || r.t >= next) continue
      if (majority.includes(r.node)) out.push(`${r.node} of the majority side [${majority.join(',')}] of the ${e.kind} at ${Math.round(start)} was rebooted (heal ${r.e.id})`)
    }
  }
  return out
}
