/**
 * A locker's slot: what the lock functions, run in the owners' own
 * processes, find of a locker on their node, and what must outlive one
 * locker incarnation. It lives in the node's named tables
 * (`runtime.tables`, Erlang's named ETS tables, which is what ekka_locker
 * uses for its local locks) under `tekka_lock:<locker name>`; the lock
 * service puts it there at start and takes it away at stop.
 *
 * It holds the running incarnation (`handle`), and the leader / quorum / all
 * locks that owners on this node hold elsewhere ("holdings", with the nodes
 * that granted them). A supervisor restarting the locker must not make this
 * node forget that its owners hold locks: the new incarnation takes the
 * holdings over and watches their granting nodes again.
 */
import type { Pid, Runtime } from '@tekka/actors'
import { DEFAULT_LOCKER, type LockResult, type LockType, type LockerInfo, type Piggyback, type PiggybackResult } from './types.js'

/** A lock held by an owner on this node, in the tables of other nodes (or this one). */
export interface Holding {
  readonly key: string
  readonly owner: Pid
  readonly ownerKey: string
  readonly resource: string
  readonly type: Exclude<LockType, 'local'>
  /** The acquire's id on this node's locker: releases name it. */
  readonly seq: number
  readonly token: number
  /** The nodes asked (the replica set, the leader, or the nodes up). */
  readonly targets: readonly string[]
  /** Grants needed for the lock to stand (a majority of a replica set, the leader). */
  readonly need: number
  /** node -> the locker (pid, so its incarnation) that granted it. */
  readonly grants: Map<string, Pid>
  /** False for `all` locks: no promise is made, so losing a node does not kill the owner. */
  readonly enforce: boolean
}

/** What the lock functions need from the running locker. */
export interface LockerHandle {
  readonly pid: Pid
  readonly alive: boolean
  readonly defaultTimeout: number
  acquireLocal(owner: Pid, resource: string): LockResult
  releaseLocal(owner: Pid, resource: string): LockResult
  runPiggyback(pb: Piggyback): Promise<PiggybackResult>
  info(): LockerInfo
}

export function holdingKey (type: LockType, resource: string, ownerKey: string): string {
  return `${type}\u0000${resource}\u0000${ownerKey}`
}

/** Acquire outcomes by lock type, counted where the owner's call ends (for metrics). */
export interface AcquireCounts {
  readonly ok: Record<LockType, number>
  readonly failed: Record<LockType, number>
}

export class Slot {
  handle: LockerHandle | undefined
  readonly holdings = new Map<string, Holding>()
  // Kept in the slot, so a locker restart does not reset them (counters only grow).
  readonly acquires: AcquireCounts = { ok: { local: 0, leader: 0, quorum: 0, all: 0 }, failed: { local: 0, leader: 0, quorum: 0, all: 0 } }

  addHolding (h: Holding): void {
    this.holdings.set(h.key, h)
  }

  removeHolding (h: Holding): void {
    if (this.holdings.get(h.key) === h) this.holdings.delete(h.key)
  }

  /** The holdings a locker (by pid) granted: found by a scan, since that is asked only when a locker or its node goes down. */
  grantedBy (granter: Pid): Holding[] {
    const out: Holding[] = []
    for (const h of this.holdings.values()) {
      const g = h.grants.get(granter.node)
      if (g !== undefined && g.equals(granter)) out.push(h)
    }
    return out
  }

  /** Drops one node's grant; true when the holding still has what it needs. */
  dropGrant (h: Holding, node: string): boolean {
    h.grants.delete(node)
    return h.grants.size >= h.need
  }
}

const PREFIX = 'tekka_lock:'
// Built once: the lock functions look the default locker up on every call.
const DEFAULT_TABLE = PREFIX + DEFAULT_LOCKER

/** The name of locker `name`'s slot in the node's tables. */
export function slotTable (name: string): string {
  return name === DEFAULT_LOCKER ? DEFAULT_TABLE : PREFIX + name
}

/** The slot of locker `name` on `rt`, while its service runs. */
export function slotOf (rt: Runtime, name: string): Slot | undefined {
  return rt.tables.get<Slot>(slotTable(name))
}

/** The running locker `name` on `rt`, if any. */
export function lockerHandle (rt: Runtime, name: string): LockerHandle | undefined {
  const h = rt.tables.get<Slot>(slotTable(name))?.handle
  return h !== undefined && h.alive ? h : undefined
}

/** Counts one acquire's outcome in locker `name`'s slot: two lookups and an increment, no allocation. */
export function countAcquire (rt: Runtime, name: string, type: LockType, ok: boolean): void {
  const s = rt.tables.get<Slot>(slotTable(name))
  if (s !== undefined) (ok ? s.acquires.ok : s.acquires.failed)[type]++
}
