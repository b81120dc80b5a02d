/**
 * The owner side of a leader / quorum / all release: the holding goes at
 * once (the owner no longer counts on the lock), and every node it was
 * asked of is told; the answer is `ok` when every one let it go (or did
 * not hold it). A node that cannot be told now is told again when it comes
 * back (see peers.ts).
 */
import { RELEASE } from './protocol.js'
import { targets as targetsOf } from './acquire.js'
import { holdingKey } from './slot.js'
import type { Caller, LockerState, PendingRelease } from './state.js'
import type { LockType } from './types.js'

export function startRelease (s: LockerState, from: Caller, resource: string, type: Exclude<LockType, 'local'>, timeout: number): void {
  const owner = from.pid
  const ownerKey = s.keyOf(owner)
  const h = s.slot.holdings.get(holdingKey(type, resource, ownerKey))
  let targets: readonly string[]
  let seq = 0
  if (h !== undefined) {
    s.dropHolding(h)
    targets = h.targets
    seq = h.seq
  } else {
    targets = targetsOf(s, type, resource).targets
  }
  const p: PendingRelease = {
    kind: 'release', id: s.nextSeq(), from, owner, resource, seq, targets, replies: new Map(), deadline: s.clock.now() + timeout
  }
  s.pendings.set(p.id, p)
  for (const t of targets) {
    if (t === s.nodeName) p.replies.set(t, s.table.release(resource, ownerKey, seq))
    else if (!s.net.isConnected(t)) {
      p.replies.set(t, false)
      if (seq !== 0) s.queueUnacked(t, [RELEASE, 0, resource, owner, seq])
      s.kick(t)
    } else {
      s.send(t, [RELEASE, p.id, resource, owner, seq])
    }
  }
  s.arm(p.deadline)
  evaluateRelease(s, p)
}

/** Answers the release once every node it asked has answered (or was given up on). */
export function evaluateRelease (s: LockerState, p: PendingRelease): void {
  if (p.replies.size < p.targets.length) return
  if (s.pendings.get(p.id) !== p) return
  s.pendings.delete(p.id)
  const failed = p.targets.filter((t) => p.replies.get(t) !== true)
  s.answer(p.from, { ok: failed.length === 0, nodes: failed.length === 0 ? [...p.targets] : failed })
}

/** Gives up on target `t` of `p`, which did not answer in time or whose node went down: it is told again when it comes back. */
export function abandonRelease (s: LockerState, p: PendingRelease, t: string): void {
  p.replies.set(t, false)
  if (p.seq !== 0) s.queueUnacked(t, [RELEASE, 0, p.resource, p.owner, p.seq])
}
