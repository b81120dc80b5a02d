/**
 * What one autocluster round decides, as pure functions of what the round
 * saw: which node to join, and whether the work is done.
 *
 * ekka joins "the oldest discovered node that is alive", asking each one for
 * its member record and sorting by age (the guid). Every node makes that
 * choice on its own, so they must all make the same one: candidates and
 * this node itself are ranked together by
 *
 *   1. being in a cluster already (another member of its cluster is up), then
 *   2. age (the smallest guid: the node started first), then name,
 *
 * and a node joins the first of that ranking unless that is itself (then the
 * others come to it). Preferring nodes in a cluster keeps a running cluster
 * from being pulled apart by an older node that is on its own (one that ran
 * `cluster leave`, or was started with other seeds): the lone node joins the
 * cluster, never the other way round. Nodes started together are all alone,
 * so they all pick the oldest, and the cluster grows around it.
 */

/** What a discovered node said about itself (its `tekka.membership.status`). */
export interface PeerView {
  readonly node: string
  /** Its own guid: its age. */
  readonly guid: string
  /** Another member of its cluster is up. */
  readonly inCluster: boolean
  /** Its member table lists this node. */
  readonly listsMe: boolean
  /** Its own status: only `up` nodes are joined. */
  readonly status: string
}

export interface SelfView {
  readonly node: string
  readonly guid: string
  readonly inCluster: boolean
  /** Members of this node's cluster (its own table). */
  readonly members: ReadonlySet<string>
}

export type Decision =
  | { readonly action: 'wait', readonly reason: string }
  | { readonly action: 'none', readonly target: string, readonly reason: string }
  | { readonly action: 'join', readonly target: string, readonly reason: string }

interface Ranked { readonly node: string, readonly guid: string, readonly inCluster: boolean }

/** In a cluster first, then oldest (smallest guid), then by name. */
export function byRank (a: Ranked, b: Ranked): number {
  if (a.inCluster !== b.inCluster) return a.inCluster ? -1 : 1
  if (a.guid !== b.guid) return a.guid < b.guid ? -1 : 1
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0
}

/** Both sides list each other: `peer` is in this node's cluster. */
export function joinedWith (self: SelfView, peer: PeerView): boolean {
  return self.members.has(peer.node) && peer.listsMe
}

/** The node to join this round, if any, and why. */
export function decide (self: SelfView, peers: readonly PeerView[]): Decision {
  const ready = peers.filter((p) => p.status === 'up')
  if (ready.length === 0) return { action: 'wait', reason: 'no discovered node is ready' }
  const best = [self, ...ready].sort(byRank)[0] as Ranked
  const why = `${best.inCluster ? 'the oldest node in a cluster' : 'the oldest node (none is in a cluster yet)'} among ${ready.length + 1}`
  if (best.node === self.node) return { action: 'wait', reason: `this node is ${why}: the others join it` }
  const peer = ready.find((p) => p.node === best.node) as PeerView
  if (joinedWith(self, peer)) return { action: 'none', target: peer.node, reason: `already in the cluster of ${peer.node}, ${why}` }
  return { action: 'join', target: peer.node, reason: why }
}

/**
 * ekka's "discovery complete": this node is registered, and every discovered
 * node answered and is in this node's cluster, both ways. With nothing
 * discovered, being registered is enough (the others will come to it).
 */
export function isComplete (self: SelfView, registered: boolean, discovered: readonly string[], peers: readonly PeerView[]): boolean {
  if (!registered) return false
  return discovered.every((n) => {
    const p = peers.find((x) => x.node === n)
    return p !== undefined && p.status === 'up' && joinedWith(self, p)
  })
}

const GUID = /^[0-9a-f]{32}$/

/**
 * Reads a peer's answer to `tekka.membership.status` (a ClusterStatus), or
 * says what is wrong with it. Anything from a peer is checked before use.
 */
export function parsePeerStatus (raw: unknown, node: string, self: string): PeerView | string {
  if (typeof raw !== 'object' || raw === null) return 'its status is not an object'
  const s = raw as { node?: unknown, members?: unknown, running?: unknown }
  if (s.node !== node) return `its status names another node (${String(s.node)})`
  if (!Array.isArray(s.members) || !Array.isArray(s.running)) return 'its status has no members or running list'
  let own: { guid: string, status: string } | undefined
  let listsMe = false
  for (const m of s.members as unknown[]) {
    const e = m as { node?: unknown, guid?: unknown, status?: unknown } | null
    if (typeof e !== 'object' || e === null || typeof e.node !== 'string') continue
    if (e.node === self) listsMe = true
    if (e.node === node && typeof e.guid === 'string' && GUID.test(e.guid) && typeof e.status === 'string') own = { guid: e.guid, status: e.status }
  }
  if (own === undefined) return 'its status has no member entry (with a guid) for itself'
  const inCluster = (s.running as unknown[]).some((n) => typeof n === 'string' && n !== node)
  return { node, guid: own.guid, inCluster, listsMe, status: own.status }
}
