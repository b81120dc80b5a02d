/**
 * The split view: from every node's view of the cluster to the autoheal
 * decision. Pure (no I/O, no clock), so it is tested on its own and its
 * inputs can be logged and replayed.
 *
 * A node's view says which members it is connected to and not partitioned
 * from (`running`, itself included), which members it has recorded a
 * partition with (`partitioned`: they came back with the same incarnation),
 * and which it has no link to (`down`).
 *
 * How the decision is made:
 *
 * 1. Participants are the members whose views were gathered. A member that
 *    did not answer but that some participant still has a link to means the
 *    partition is still in progress (the leader is cut off from it): wait.
 *    One that no participant has a link to is down (dead, or not back yet)
 *    and is left out. Two participants without a link between them: also
 *    still in progress, wait.
 * 2. For each participant, the set of participants that see it running
 *    (`seenBy`). Nodes seen alike form a group. The taint rule falls out of
 *    this: a node that a partitioned node sees running is seen by a set
 *    that the rest of its side does not have, so it leaves that side's
 *    group and is rebooted with the partitioned nodes (as mria / ekka taint
 *    the nodes that kept talking to the other side). Nodes in one group all
 *    see each other running, so the survivors are consistent by
 *    construction.
 * 3. Groups are ordered largest first; between equal sizes the group whose
 *    oldest member is older comes first, so equal halves (2|2, 1|1) are
 *    decided the same way on every node: the side holding the oldest
 *    member wins.
 * 4. The first group survives; every other participant is rebooted. The
 *    coordinator is the oldest survivor. One group: nothing to heal.
 */

export interface NodeView {
  node: string
  /** Members this node is connected to and not partitioned from (itself included). */
  running: readonly string[]
  /** Members this node has recorded a partition with. */
  partitioned: readonly string[]
  /** Members this node has no link to. */
  down: readonly string[]
}

export interface SplitGroup {
  /** Nodes of the group, oldest first. */
  nodes: string[]
  /** The participants that see these nodes running, oldest first. */
  seenBy: string[]
}

export interface SplitView {
  /** Members whose views were used, oldest first. */
  participants: string[]
  /** Members left out: no participant has a link to them. */
  down: string[]
  /** Groups of nodes seen alike, the surviving one first. */
  groups: SplitGroup[]
}

export type HealDecision =
  | { action: 'none', splitView: SplitView }
  | { action: 'wait', reason: string, splitView: SplitView | undefined }
  | {
    action: 'heal'
    splitView: SplitView
    survivors: string[]
    victims: string[]
    /**
     * Victims without a partition of their own with any survivor: rebooted
     * because partitioned nodes see them running (or they see survivors
     * otherwise than the survivors see each other).
     */
    tainted: string[]
    coordinator: string
  }

/**
 * Decides what to heal from the gathered `views`. `members` is the member
 * list oldest first (the age order of guids), used for tie-breaks and order.
 */
export function decide (views: readonly NodeView[], members: readonly string[]): HealDecision {
  const rank = new Map<string, number>()
  members.forEach((m, i) => rank.set(m, i))
  // Nodes not in `members` (a view from a node that just left) rank last, by name.
  const byAge = (a: string, b: string): number => {
    const ra = rank.get(a) ?? Infinity
    const rb = rank.get(b) ?? Infinity
    if (ra !== rb) return ra < rb ? -1 : 1
    return a < b ? -1 : a > b ? 1 : 0
  }
  const viewOf = new Map<string, NodeView>()
  for (const v of views) if (rank.has(v.node) && !viewOf.has(v.node)) viewOf.set(v.node, v)
  const participants = [...viewOf.keys()].sort(byAge)
  const inP = new Set(participants)
  const linked = (v: NodeView, n: string): boolean => v.node === n || v.running.includes(n) || v.partitioned.includes(n)

  // 1. Is the partition over, as far as links go?
  const down: string[] = []
  for (const m of members) {
    if (inP.has(m)) continue
    const sees = participants.find((p) => linked(viewOf.get(p)!, m))
    if (sees !== undefined) return { action: 'wait', reason: `${m} did not answer but ${sees} has a link to it`, splitView: undefined }
    down.push(m)
  }
  for (const a of participants) {
    const va = viewOf.get(a)!
    for (const b of participants) {
      if (!linked(va, b)) return { action: 'wait', reason: `${a} has no link to ${b}`, splitView: undefined }
    }
  }

  // 2. Group the participants by who sees them running.
  const seenBy = new Map<string, string[]>()
  for (const n of participants) {
    seenBy.set(n, participants.filter((p) => {
      const v = viewOf.get(p)!
      return p === n || (v.running.includes(n) && !v.partitioned.includes(n))
    }))
  }
  const groupsByKey = new Map<string, SplitGroup>()
  for (const n of participants) {
    const by = seenBy.get(n)!
    const key = by.join('\n')
    let g = groupsByKey.get(key)
    if (g === undefined) groupsByKey.set(key, g = { nodes: [], seenBy: by })
    g.nodes.push(n)
  }
  // 3. Largest first; equal sizes: the group holding the older member first.
  const groups = [...groupsByKey.values()].sort((a, b) => b.nodes.length - a.nodes.length || byAge(a.nodes[0], b.nodes[0]))
  const splitView: SplitView = { participants, down, groups }
  if (groups.length <= 1) return { action: 'none', splitView }

  // 4. The first group survives.
  const survivors = groups[0].nodes
  const victims = participants.filter((n) => !survivors.includes(n))
  const tainted = victims.filter((v) => {
    const vv = viewOf.get(v)!
    return !survivors.some((s) => vv.partitioned.includes(s) || viewOf.get(s)!.partitioned.includes(v))
  })
  return { action: 'heal', splitView, survivors, victims, tainted, coordinator: survivors[0] }
}

/** One line for logs: `[a,b,c] <- seen by [a,b,c] | [d] <- seen by [d]`. */
export function formatSplitView (s: SplitView): string {
  const groups = s.groups.map((g) => `[${g.nodes.join(',')}] seen by [${g.seenBy.join(',')}]`).join(' | ')
  return s.down.length > 0 ? `${groups} ; down: [${s.down.join(',')}]` : groups
}
