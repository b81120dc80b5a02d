/**
 * The owners of the locks in this node's table, as the locker watches them
 * (it monitors every owner from its first acquire). An owner that dies has
 * its locks here freed at once; one whose node went out of reach is
 * orphaned (rule 2): its locks are kept for `grace` ms, longer than its own
 * node needs to notice the same loss and kill it (rule 1), then freed
 * unless the node is back and the owner alive.
 */
import { NOCONNECTION, Pid, type Ref } from '@tekka/actors'
import { lose, peerDown } from './peers.js'
import { TICK, reasonText, type LockerState } from './state.js'
import type { OwnerRec } from './table.js'

/** A DOWN message: an owner, or a peer locker that granted locks here. */
export function onDown (s: LockerState, target: unknown, ref: Ref, reason: unknown): void {
  if (!(target instanceof Pid)) return
  const key = target.key
  const rec = s.owners.get(key)
  if (rec !== undefined && rec.ref !== undefined && rec.ref.equals(ref)) {
    ownerDown(s, rec, reason)
    return
  }
  const peer = s.peers.get(key)
  if (peer !== undefined && peer.ref.equals(ref)) peerDown(s, peer, reason)
}

/** An owner died, or (noconnection) its node is out of reach. */
function ownerDown (s: LockerState, rec: OwnerRec, reason: unknown): void {
  rec.ref = undefined
  if (reason === NOCONNECTION && s.config.grace > 0 && rec.held > 0) {
    const gen = ++rec.orphanGen
    s.after(s.config.grace, { t: TICK, k: 'orphan', key: rec.key, gen })
    s.events.publish('lock.orphaned', { locker: s.config.name, owner: rec.pid, reason: 'noconnection' }, 'info')
    return
  }
  forgetOwner(s, rec, reason)
}

/** An orphan's grace period `gen` is over: free its locks, unless its node is back (then watch it again). */
export function onOrphanTimeout (s: LockerState, key: string, gen: number): void {
  const rec = s.owners.get(key)
  if (rec === undefined || rec.orphanGen !== gen || rec.ref !== undefined) return
  if (s.net.isConnected(rec.pid.node)) {
    // Back in time: watch it again (a dead owner, or one of an earlier incarnation, answers DOWN noproc).
    rec.ref = s.ctx.monitor(rec.pid)
    return
  }
  forgetOwner(s, rec, 'noconnection')
}

/** Frees everything `rec` holds here, and forgets it. */
export function forgetOwner (s: LockerState, rec: OwnerRec, reason: unknown): void {
  const dropped = s.table.dropOwner(rec)
  if (rec.holdings !== undefined) {
    for (const k of rec.holdings) {
      const h = s.slot.holdings.get(k)
      if (h !== undefined) s.slot.removeHolding(h)
    }
    rec.holdings = undefined
  }
  if (s.owners.get(rec.key) === rec) s.owners.delete(rec.key)
  rec.gone = true
  for (const e of dropped) {
    s.events.publish('lock.owner_down', { locker: s.config.name, resource: e.resource, owner: rec.pid, lockType: e.type, reason: reasonText(reason) }, 'debug')
  }
}

/**
 * A new incarnation takes over the holdings of the one before: it watches
 * their granting lockers again. A grant of this node's own table went with
 * the previous incarnation; a leader / quorum lock left with too few grants
 * is lost.
 */
export function adoptHoldings (s: LockerState): void {
  for (const h of [...s.slot.holdings.values()]) {
    const rec = s.owner(h.owner)
    ;(rec.holdings ??= new Set()).add(h.key)
    for (const [n, g] of [...h.grants]) {
      if (n === s.nodeName && !g.equals(s.pid)) {
        if (!s.slot.dropGrant(h, n) && h.enforce) lose(s, h, `${n}: locker restarted`)
      } else if (n !== s.nodeName) {
        s.watchPeer(g)
      }
    }
  }
}
