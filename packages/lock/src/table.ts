/**
 * One locker's lock table (ekka's ETS table): resource -> lock, with an
 * index of each owner's locks, and the fencing-token high-water mark.
 *
 * Owners are records shared by all their locks (compared by identity, so a
 * check costs no string compare), each with the monitor its locker holds on
 * it. Plain data and synchronous methods, so the local fast path can use the
 * table from the caller's own turn, as ekka's callers use the ETS table.
 */
import type { Pid, Ref } from '@tekka/actors'
import type { LockType } from './types.js'

/** A process that holds or held locks here. */
export interface OwnerRec {
  readonly pid: Pid
  readonly key: string
  /** The locker's monitor on it; undefined while its node is unreachable (orphaned), or after it went down. */
  ref: Ref | undefined
  /** Resources whose entry (held or kept free for reuse) names it. */
  readonly resources: Set<string>
  /** How many locks it holds here now. */
  held: number
  /** Bumped when the owner is orphaned, so a stale grace timer does nothing. */
  orphanGen: number
  /** Keys of the leader / quorum / all locks it holds through this node's locker (owners on this node only). */
  holdings: Set<string> | undefined
  /** Set when the locker forgets it (it died, or held nothing for a while): a new record replaces it. */
  gone: boolean
}

export interface LockEntry {
  readonly resource: string
  owner: OwnerRec
  /** False once released: the entry is kept for reuse (see LockTable). */
  held: boolean
  type: LockType
  /** Fencing token of the acquire that made or last renewed this entry. */
  token: number
  /** Id of that acquire on the owner's locker (0 for local locks), so a late release of an older acquire leaves a newer one alone. */
  seq: number
  /** Clock time of the first acquire: a re-acquire does not renew the lease (as ekka). */
  createdAt: number
  /** Set by the first lease check that found this lock expired (ekka: the owner gets watched); the next one kills. */
  leaseMarked: boolean
  /** In the queue of released entries (at most once). */
  queued: boolean
}

/** Released entries kept for reuse, at most. */
const FREE_CAP = 4096

/**
 * A released lock's entry stays in the map, marked free, and is reused by
 * the next acquire of that resource: deleting and re-adding keys of a
 * long-lived Map costs V8 a new backing store every few hundred operations,
 * which on a hot lock is most of the work. At most FREE_CAP free entries are
 * kept; the oldest go first.
 */
export class LockTable {
  readonly #locks = new Map<string, LockEntry>()
  /** Resources released, oldest first, each at most once (some may be held again: skipped when pruning). */
  #freed: string[] = []
  #free = 0
  #held = 0
  /** Highest token issued here or learned from a release or token notice. */
  highWater = 0

  /** Locks held. */
  get size (): number { return this.#held }

  /** The lock held on `resource`, if any. */
  get (resource: string): LockEntry | undefined {
    const e = this.#locks.get(resource)
    return e !== undefined && e.held ? e : undefined
  }

  * entries (): IterableIterator<LockEntry> {
    for (const e of this.#locks.values()) if (e.held) yield e
  }

  /**
   * The next token: above every token seen here, and at least `floor` (the
   * asker's wall clock in microseconds, or more), so a table that was lost
   * (a restart) starts above the tokens it gave before, as long as the
   * clocks did not go back.
   */
  nextToken (floor: number): number {
    const t = this.highWater + 1
    this.highWater = t > floor ? t : floor
    return this.highWater
  }

  /** The next token of a local lock: only this table's order matters (the high-water mark was seeded from the wall clock). */
  nextLocalToken (): number {
    return ++this.highWater
  }

  /** Learns of a token issued elsewhere (a quorum lock's final token). */
  raise (token: number): void {
    if (token > this.highWater) this.highWater = token
  }

  /**
   * Locks `resource` for `owner`; re-acquiring by the same owner succeeds
   * (with a new token and seq). Undefined when another owner holds it.
   * `floor` < 0 asks for a local token (no clock read).
   */
  acquire (resource: string, owner: OwnerRec, type: LockType, seq: number, now: number, floor: number): LockEntry | undefined {
    const cur = this.#locks.get(resource)
    if (cur !== undefined && cur.held) {
      if (cur.owner !== owner) return undefined
      cur.token = floor < 0 ? this.nextLocalToken() : this.nextToken(floor)
      cur.seq = seq
      cur.type = type
      return cur
    }
    const token = floor < 0 ? this.nextLocalToken() : this.nextToken(floor)
    owner.held++
    this.#held++
    if (cur !== undefined) {
      if (cur.owner !== owner) {
        cur.owner.resources.delete(resource)
        owner.resources.add(resource)
        cur.owner = owner
      }
      this.#free--
      cur.held = true
      cur.type = type
      cur.token = token
      cur.seq = seq
      cur.createdAt = now
      cur.leaseMarked = false
      return cur
    }
    const e: LockEntry = { resource, owner, held: true, type, token, seq, createdAt: now, leaseMarked: false, queued: false }
    this.#locks.set(resource, e)
    owner.resources.add(resource)
    return e
  }

  /**
   * Releases `owner`'s lock on `resource` (only the acquire `seq`, unless it
   * is 0). True when it is released or was not held; false when another
   * owner holds it (ekka's answers).
   */
  release (resource: string, ownerKey: string, seq: number): boolean {
    const cur = this.#locks.get(resource)
    if (cur === undefined || !cur.held) return true
    if (cur.owner.key !== ownerKey) return false
    if (seq !== 0 && cur.seq !== seq) return true
    this.#release(cur)
    return true
  }

  /** `release` for an owner record (compared by identity: no key to build). */
  releaseOf (resource: string, owner: OwnerRec): boolean {
    const cur = this.#locks.get(resource)
    if (cur === undefined || !cur.held) return true
    if (cur.owner !== owner) return cur.owner.key !== owner.key ? false : this.release(resource, owner.key, 0)
    this.#release(cur)
    return true
  }

  /** Sets the final token of a quorum acquire on its entry, if the entry is still that acquire's. */
  settle (resource: string, ownerKey: string, seq: number, token: number): void {
    this.raise(token)
    const cur = this.#locks.get(resource)
    if (cur !== undefined && cur.held && cur.owner.key === ownerKey && cur.seq === seq && token > cur.token) cur.token = token
  }

  /** Removes every entry of `owner`; returns the locks it held. */
  dropOwner (owner: OwnerRec): LockEntry[] {
    const out: LockEntry[] = []
    for (const r of owner.resources) {
      const e = this.#locks.get(r)
      if (e === undefined || e.owner !== owner) continue
      this.#locks.delete(r)
      if (e.held) {
        e.held = false
        this.#held--
        out.push(e)
      } else {
        this.#free--
      }
    }
    owner.resources.clear()
    owner.held = 0
    return out
  }

  /** Locks created more than `lease` ms before `now`. */
  expired (now: number, lease: number): LockEntry[] {
    const out: LockEntry[] = []
    for (const e of this.#locks.values()) if (e.held && now - e.createdAt > lease) out.push(e)
    return out
  }

  #release (e: LockEntry): void {
    e.held = false
    e.owner.held--
    this.#held--
    this.#free++
    if (!e.queued) {
      e.queued = true
      this.#freed.push(e.resource)
      // Entries dropped with their owner leave stale names behind: compact now and then.
      if (this.#freed.length > 2 * FREE_CAP) this.#freed = this.#freed.filter((r) => this.#locks.get(r)?.queued === true)
    }
    if (this.#free > FREE_CAP) this.#prune()
  }

  /** Forgets the oldest free entries, down to half the cap. */
  #prune (): void {
    const target = FREE_CAP >> 1
    let i = 0
    const q = this.#freed
    while (this.#free > target && i < q.length) {
      const r = q[i++]
      const e = this.#locks.get(r)
      if (e === undefined) continue
      e.queued = false
      if (e.held) continue
      this.#locks.delete(r)
      e.owner.resources.delete(r)
      this.#free--
    }
    this.#freed = q.slice(i)
  }
}
