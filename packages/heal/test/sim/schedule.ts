/**
 * Seeded fault schedules for the simulation: episodes of symmetric splits
 * (two or three ways), one-way splits, partial (overlapping) cuts, flapping
 * splits, crashes with restarts (and, rarely, a node that never comes back),
 * separated by gaps that are either long (the cluster must have healed by
 * their end) or short (the next fault lands on a heal in progress).
 */
import type { Rng } from '@tekka/testing/sim/rng'

export type Action =
  | { at: number, do: 'cut', pairs: Array<[string, string]> }
  | { at: number, do: 'restore', pairs: Array<[string, string]> }
  | { at: number, do: 'crash', node: string }
  | { at: number, do: 'restart', node: string }

export type EpisodeKind = 'split' | 'split3' | 'oneway' | 'partial' | 'flap' | 'crash' | 'split+crash' | 'split+healfault'

/** A fault that strikes as a heal starts (ms after its `started` event), undone `back` ms later. */
export interface HealFault {
  what: 'crash-coordinator' | 'crash-victim' | 'crash-leader' | 'cut-victims'
  after: number
  back: number
}

export interface Episode {
  kind: EpisodeKind
  /** Offsets from the episode's start (ms). */
  actions: Action[]
  /** When its last fault ends, from its start. */
  duration: number
  /** Then: wait until one cluster (`long`), or this many ms. */
  gap: 'long' | number
  /** For splits and flaps: the sides. */
  groups?: string[][]
  /** Nodes crashed during the episode. */
  crashed: string[]
  /** For split+healfault. */
  healFault?: HealFault
  /** A long gap before and after it: its heal is its own. */
  isolated: boolean
}

export interface Schedule {
  episodes: Episode[]
  /** A node crashed for good (autoclean must remove it), if any. */
  permanent?: string
}

export interface ScheduleOptions {
  nodes: string[]
  tickTime: number
}

function cross (a: readonly string[], b: readonly string[], both: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const x of a) {
    for (const y of b) {
      out.push([x, y])
      if (both) out.push([y, x])
    }
  }
  return out
}

function groupsOf (rng: Rng, nodes: readonly string[], k: number): string[][] {
  const shuffled = rng.shuffle(nodes)
  // Cut points so every group is non-empty.
  const cuts = rng.shuffle(Array.from({ length: nodes.length - 1 }, (_, i) => i + 1)).slice(0, k - 1).sort((a, b) => a - b)
  const out: string[][] = []
  let from = 0
  for (const c of [...cuts, nodes.length]) {
    out.push(shuffled.slice(from, c).sort())
    from = c
  }
  return out
}

export function makeSchedule (rng: Rng, o: ScheduleOptions): Schedule {
  const T = o.tickTime
  const episodes: Episode[] = []
  const live = new Set(o.nodes)
  let permanent: string | undefined
  let prevLong = true
  const count = 1 + rng.int(3)
  for (let i = 0; i < count; i++) {
    const nodes = [...live].sort()
    const kinds: EpisodeKind[] = ['split', 'split', 'split', 'split3', 'oneway', 'partial', 'flap', 'flap', 'crash', 'split+crash', 'split+healfault', 'split+healfault']
    const kind = rng.pick(kinds.filter((k) => k !== 'split3' || nodes.length >= 3))
    const actions: Action[] = []
    let end = 0
    const ep: Episode = { kind, actions, duration: 0, gap: 'long', crashed: [], isolated: false }
    const crashOne = (at: number): void => {
      const node = rng.pick(nodes)
      actions.push({ at, do: 'crash', node })
      ep.crashed.push(node)
      if (permanent === undefined && live.size > 2 && rng.chance(0.12)) {
        permanent = node
        live.delete(node)
        end = Math.max(end, at)
        return
      }
      const back = at + rng.range(500, 15_000)
      actions.push({ at: back, do: 'restart', node })
      end = Math.max(end, back)
    }
    switch (kind) {
      case 'split':
      case 'split3':
      case 'oneway':
      case 'split+crash':
      case 'split+healfault': {
        const groups = groupsOf(rng, nodes, kind === 'split3' ? 3 : 2)
        ep.groups = groups
        const pairs: Array<[string, string]> = kind === 'oneway'
          ? cross(groups[0], groups[1], false)
          : groups.flatMap((g, gi) => groups.slice(gi + 1).flatMap((h) => cross(g, h, true)))
        const dur = rng.range(kind === 'split+healfault' ? 1.5 * T : 0.3 * T, 6 * T)
        actions.push({ at: 0, do: 'cut', pairs }, { at: dur, do: 'restore', pairs })
        end = dur
        if (kind === 'split+crash') crashOne(rng.range(0, dur))
        if (kind === 'split+healfault') {
          ep.healFault = { what: rng.pick(['crash-coordinator', 'crash-victim', 'crash-leader', 'cut-victims'] as const), after: rng.range(0, 15), back: rng.range(500, 10_000) }
          // A fault on top of the heal makes a second, different partition: the episode does not stand alone.
          ep.crashed.push('(mid-heal)')
        }
        break
      }
      case 'partial': {
        const pairs: Array<[string, string]> = []
        for (let a = 0; a < nodes.length; a++) {
          for (let b = a + 1; b < nodes.length; b++) {
            if (!rng.chance(0.35)) continue
            const [x, y] = rng.chance(0.5) ? [nodes[a], nodes[b]] : [nodes[b], nodes[a]]
            pairs.push([x, y])
            if (rng.chance(0.7)) pairs.push([y, x])
          }
        }
        if (pairs.length === 0) pairs.push([nodes[0], nodes[1]], [nodes[1], nodes[0]])
        const dur = rng.range(0.3 * T, 6 * T)
        actions.push({ at: 0, do: 'cut', pairs }, { at: dur, do: 'restore', pairs })
        end = dur
        break
      }
      case 'flap': {
        const groups = groupsOf(rng, nodes, 2)
        ep.groups = groups
        const pairs = cross(groups[0], groups[1], true)
        const flaps = 2 + rng.int(3)
        let at = 0
        for (let f = 0; f < flaps; f++) {
          const cut = rng.range(1.5 * T, 4 * T)
          actions.push({ at, do: 'cut', pairs }, { at: at + cut, do: 'restore', pairs })
          at += cut
          end = at
          if (f < flaps - 1) at += rng.range(200, 2500)
        }
        break
      }
      case 'crash':
        crashOne(0)
        break
    }
    actions.sort((a, b) => a.at - b.at)
    ep.duration = end
    const long = i === count - 1 || rng.chance(0.6)
    ep.gap = long ? 'long' : rng.range(0, 5000)
    ep.isolated = prevLong && long && ep.crashed.length === 0
    prevLong = long
    episodes.push(ep)
  }
  return { episodes, ...(permanent !== undefined ? { permanent } : {}) }
}

export function describe (s: Schedule): string {
  return s.episodes.map((e) => `${e.kind} ${Math.round(e.duration)} ms${e.groups !== undefined ? ' ' + e.groups.map((g) => g.map((n) => n.split('@')[0]).join(',')).join('|') : ''}${e.crashed.length > 0 ? ` crash ${e.crashed.map((n) => n.split('@')[0]).join(',')}` : ''}${e.healFault !== undefined ? ` ${e.healFault.what} +${e.healFault.after.toFixed(1)} ms for ${Math.round(e.healFault.back)} ms` : ''}${e.isolated ? ' (isolated)' : ''}, gap ${e.gap === 'long' ? 'long' : Math.round(e.gap)}`).join('; ') +
    (s.permanent !== undefined ? `; ${s.permanent.split('@')[0]} never comes back` : '')
}
