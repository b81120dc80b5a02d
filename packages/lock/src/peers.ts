/**
 * The peer lockers seen from the owner side: their replies (grants, release
 * answers, readiness answers), and what happens when one of them, or its
 * node, goes (rule 1): every lock it granted to an owner here loses that
 * grant, and an owner whose leader / quorum lock is left with fewer grants
 * than it needs is killed at once. On the minority side of a partition the
 * owner dies before the majority side can hand the lock to someone else.
 */
import { KILL, type Pid } from '@tekka/actors'
import { evaluate } from './acquire.js'
import { safeText } from './grants.js'
import { ACQUIRE, SETTLE, SYNC, parseReply } from './protocol.js'
import { fullyReady, onSyncReply, sync } from './readiness.js'
import { abandonRelease, evaluateRelease } from './release.js'
import type { Holding } from './slot.js'
import { reasonText, type LockerState, type Peer } from './state.js'
import type { LockFailure } from './types.js'

/** A batch of replies from the locker `from`. */
export function onReplies (s: LockerState, from: Pid, rs: unknown[]): void {
  const node = from.node
  for (const raw of rs) {
    const r = parseReply(raw)
    if (r === undefined) {
      s.log.warn('malformed lock reply dropped', { from: from.toString(), reply: safeText(raw) })
      continue
    }
    if (r[0] === SYNC) {
      onSyncReply(s, node, r[1], r[2])
      continue
    }
    const p = s.pendings.get(r[1])
    if (p === undefined) continue
    if (r[0] === ACQUIRE) {
      if (p.kind !== 'acquire' || p.replies.has(node) || !p.targets.includes(node)) continue
      const [, , ok, x, pb] = r
      if (ok) {
        // Watched from now on: if this locker or its node goes, the grant goes (rule 1).
        s.watchPeer(from)
        p.replies.set(node, { ok: true, token: x as number, granter: from, pb })
        const h = p.held
        if (h !== undefined && s.slot.holdings.get(h.key) === h) {
          h.grants.set(node, from)
          if ((x as number) < h.token) s.send(node, [SETTLE, p.id, p.resource, p.owner, h.token])
        }
      } else {
        p.replies.set(node, { ok: false, reason: x as LockFailure })
      }
      evaluate(s, p)
    } else if (p.kind === 'release' && !p.replies.has(node) && p.targets.includes(node)) {
      p.replies.set(node, r[2])
      evaluateRelease(s, p)
    }
  }
}

/** A locker that granted locks to owners here went down, or its node did. */
export function peerDown (s: LockerState, peer: Peer, reason: unknown): void {
  s.peers.delete(peer.pid.key)
  // Other objects for the same pid may be in `watched`: start it afresh (peers going down are rare).
  s.watched = new WeakSet()
  const node = peer.pid.node
  for (const h of s.slot.grantedBy(peer.pid)) {
    if (!s.slot.dropGrant(h, node) && h.enforce) lose(s, h, `${node}: ${reasonText(reason)}`)
  }
  for (const p of [...s.pendings.values()]) {
    if (p.kind !== 'acquire' || p.held !== undefined) continue
    const r = p.replies.get(node)
    if (r?.ok === true && r.granter !== undefined && r.granter.equals(peer.pid)) {
      p.replies.set(node, { ok: false, reason: 'unreachable' })
      evaluate(s, p)
    }
  }
}

/** Too few grants left: the owner must stop before someone else can get the lock. */
export function lose (s: LockerState, h: Holding, why: string): void {
  s.dropHolding(h)
  s.events.publish('lock.lost', { locker: s.config.name, resource: h.resource, owner: h.owner, lockType: h.type, reason: why, grants: [...h.grants.keys()], need: h.need }, 'warn')
  s.ctx.exit(h.owner, KILL)
}

/** A link to `node` went down: requests waiting on it fail there. */
export function onNodeDown (s: LockerState, node: string): void {
  for (const p of [...s.pendings.values()]) {
    if (!p.targets.includes(node) || p.replies.has(node)) continue
    if (p.kind === 'acquire') {
      p.replies.set(node, { ok: false, reason: 'unreachable' })
      evaluate(s, p)
    } else {
      abandonRelease(s, p, node)
      evaluateRelease(s, p)
    }
  }
}

/** A link to `node` is up: it hears the releases it missed, and the readiness question if it is still open. */
export function onNodeUp (s: LockerState, node: string): void {
  const q = s.unacked.get(node)
  if (q !== undefined) {
    s.unacked.delete(node)
    for (const u of q) s.send(node, u.op)
  }
  if (!fullyReady(s)) sync(s)
}
