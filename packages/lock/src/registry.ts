/**
 * Per node (runtime) and locker name: the running locker incarnation, and
 * what must outlive one incarnation: the leader / quorum / all locks that
 * owners on this node hold elsewhere ("holdings", with the nodes that granted
 * them) and the event subscribers. A supervisor restarting the locker must
 * not make this node forget that its owners hold locks: the new incarnation
 * takes the holdings over and watches their granting nodes again.
 */
import type { Pid, Runtime } from '@tekka/actors'
import type { LockEvent, LockResult, LockType, LockerInfo, Piggyback } from './types.js'

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

/** What the client functions need from the running locker. */
export interface LockerHandle {
  readonly pid: Pid
  readonly alive: boolean
  readonly defaultTimeout: number
  acquireLocal(owner: Pid, resource: string): LockResult
  releaseLocal(owner: Pid, resource: string): LockResult
  runPiggyback(pb: Piggyback): Promise<{ node: string, ok: boolean, value?: unknown, error?: string }>
  info(): LockerInfo
}

export function holdingKey (type: LockType, resource: string, ownerKey: string): string {
  return `${type}\u0000${resource}\u0000${ownerKey}`
}

export class Slot {
  handle: LockerHandle | undefined
  readonly holdings = new Map<string, Holding>()
  readonly subscribers = new Set<(e: LockEvent) => void>()

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

  publish (e: LockEvent): void {
    for (const s of this.subscribers) {
      try {
        s(e)
      } catch { /* a subscriber's bug is not the locker's */ }
    }
  }
}

const slots = new WeakMap<Runtime, Map<string, Slot>>()

export function slotFor (rt: Runtime, name: string): Slot {
  let byName = slots.get(rt)
  if (byName === undefined) slots.set(rt, byName = new Map())
  let slot = byName.get(name)
  if (slot === undefined) byName.set(name, slot = new Slot())
  return slot
}

/** The running locker `name` on `rt`, if any. */
export function lockerHandle (rt: Runtime, name: string): LockerHandle | undefined {
  const h = slots.get(rt)?.get(name)?.handle
  return h !== undefined && h.alive ? h : undefined
}
