/**
 * The hash ring of quorum locks (ekka_ring). Members sit on a 32-bit ring at
 * the position dist gives them (`ringPosition`, from the node name, so a
 * restarted node keeps its place); a resource hashes onto the same ring and
 * its replica set is the first `count` members at or after that point,
 * wrapping around. `count` is ekka's: a majority of the members, at most 3.
 *
 * Unlike ekka, which builds the ring from the members that are up, tekka
 * builds it from every member, up or down: the two sides of a partition then
 * compute the same replica set, and a majority of it can only be on one side.
 */
import { ringPosition } from '@tekka/dist'

export interface RingMember {
  readonly node: string
  readonly position: number
}

/** The 32-bit position of a resource on the ring (FNV-1a over its UTF-16 code units, then murmur3's finalizer to spread nearby names). */
export function resourceHash (resource: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < resource.length; i++) {
    h ^= resource.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Replica set size for a ring of `members` (ekka_ring:quorum): a majority, at most 3, never more than the ring. */
export function replicaCount (members: number): number {
  if (members <= 0) return 0
  return Math.min(Math.floor(members / 2) + 1, 3, members)
}

/** Grants a quorum lock needs from a replica set of `size` nodes. */
export function majority (size: number): number {
  return Math.floor(size / 2) + 1
}

const positions = new Map<string, number>()

function positionOf (node: string): number {
  let p = positions.get(node)
  if (p === undefined) {
    p = ringPosition(node)
    if (positions.size > 10_000) positions.clear()
    positions.set(node, p)
  }
  return p
}

/** The ring of `nodes`: sorted by position, ties by name, so every node builds the same one. */
export function buildRing (nodes: Iterable<string>): RingMember[] {
  const ring = [...new Set(nodes)].map((node) => ({ node, position: positionOf(node) }))
  ring.sort((a, b) => a.position - b.position || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  return ring
}

/** The replica set of `resource`: `count` members from its hash on, clockwise (ekka_ring:find_nodes). */
export function findNodes (resource: string, ring: readonly RingMember[], count = replicaCount(ring.length)): string[] {
  const n = ring.length
  if (n === 0 || count <= 0) return []
  if (count >= n) return ring.map((m) => m.node)
  const h = resourceHash(resource)
  // First member at or after h (binary search); past the last one wraps to the start.
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ring[mid].position >= h) hi = mid
    else lo = mid + 1
  }
  const out: string[] = []
  for (let i = 0; i < count; i++) out.push(ring[(lo + i) % n].node)
  return out
}

/**
 * A cached ring over a member list that rarely changes: `find` rebuilds it
 * only when the list differs from the last one (the caller passes the same
 * array while its list has not changed).
 */
export class RingCache {
  #list: readonly string[] | undefined
  #key = ''
  #ring: RingMember[] = []

  ring (members: readonly string[]): RingMember[] {
    // The same array (a cached member list) is the same ring; another array may still list the same members.
    if (members === this.#list) return this.#ring
    this.#list = members
    const key = members.join(',')
    if (key !== this.#key) {
      this.#key = key
      this.#ring = buildRing(members)
    }
    return this.#ring
  }

  find (resource: string, members: readonly string[]): string[] {
    return findNodes(resource, this.ring(members))
  }
}
