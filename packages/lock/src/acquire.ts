/**
 * The owner side of a leader / quorum / all acquire: where the lock lives
 * (`targets`), asking each target (this node's own table directly, the
 * others in the next batch), collecting their grants, and the answer. On
 * success the lock becomes a holding of this node (see slot.ts), with the
 * locker incarnations that granted it; on failure whatever was granted is
 * given back.
 *
 * Fencing: the token is the largest of the grants' tokens; replicas that
 * proposed less are told it (SETTLE), so any later majority, which shares a
 * replica with this one, starts above it.
 */
import type { Pid } from '@tekka/actors'
import { ACQUIRE, SETTLE } from './protocol.js'
import { checkLeader } from './readiness.js'
import { grant, piggyback } from './grants.js'
import { majority } from './ring.js'
import { holdingKey, type Holding } from './slot.js'
import type { Caller, Grant, LockerState, PendingAcquire } from './state.js'
import type { LockFailure, LockResult, LockType, Piggyback, PiggybackResult } from './types.js'

/** Most telling first: the reason a failed acquire reports. */
const FAILURE_ORDER: readonly LockFailure[] = ['held', 'not_ready', 'not_leader', 'view', 'unreachable', 'timeout']

/** Where a lock of `type` on `resource` lives, as this node sees the cluster now. */
export function targets (s: LockerState, type: Exclude<LockType, 'local'>, resource: string): { targets: string[], need: number } {
  if (type === 'leader') {
    checkLeader(s)
    return { targets: [s.membership.leader() ?? s.nodeName], need: 1 }
  }
  if (type === 'quorum') {
    const t = s.ring.find(resource, s.memberList())
    return { targets: t, need: majority(t.length) }
  }
  const up = s.membership.nodelist('up')
  const t = up.length > 0 ? up : [s.nodeName]
  return { targets: t, need: t.length }
}

export function startAcquire (s: LockerState, from: Caller, resource: string, type: Exclude<LockType, 'local'>, pb: Piggyback | null, timeout: number): void {
  const owner = from.pid
  const { targets: ts, need } = targets(s, type, resource)
  const p: PendingAcquire = {
    kind: 'acquire', id: s.nextSeq(), from, owner, ownerKey: s.keyOf(owner), resource, type, pb, targets: ts, need,
    replies: new Map(), deadline: s.clock.now() + timeout, floor: Math.max(s.table.highWater + 1, s.wallMicros()), held: undefined
  }
  s.pendings.set(p.id, p)
  for (const t of ts) {
    if (t === s.nodeName) grantSelf(s, p)
    else if (!s.net.isConnected(t)) {
      p.replies.set(t, { ok: false, reason: 'unreachable' })
      s.kick(t)
    } else {
      s.send(t, [ACQUIRE, p.id, resource, owner, type, type === 'quorum' ? ts : null, pb, p.floor])
    }
  }
  s.arm(p.deadline)
  evaluate(s, p)
}

function grantSelf (s: LockerState, p: PendingAcquire): void {
  const r = grant(s, p.id, p.resource, p.owner, p.type, p.type === 'quorum' ? p.targets : null, p.floor)
  if (typeof r === 'string') {
    p.replies.set(s.nodeName, { ok: false, reason: r })
    return
  }
  if (p.pb === null) p.replies.set(s.nodeName, { ok: true, token: r, granter: s.pid, pb: null })
  else piggyback(s, p.pb, null, p.id, r)
}

/** Decides an acquire as soon as its replies allow: enough grants, or too few possible. */
export function evaluate (s: LockerState, p: PendingAcquire): void {
  if (p.held !== undefined) {
    if (p.replies.size >= p.targets.length && s.pendings.get(p.id) === p) s.pendings.delete(p.id)
    return
  }
  let grants = 0
  let outstanding = 0
  for (const t of p.targets) {
    const r = p.replies.get(t)
    if (r === undefined) outstanding++
    else if (r.ok) grants++
  }
  if (grants >= p.need) finish(s, p, true)
  else if (grants + outstanding < p.need) finish(s, p, false)
}

function finish (s: LockerState, p: PendingAcquire, ok: boolean): void {
  if (s.pendings.get(p.id) !== p || p.held !== undefined) return
  if (!ok || p.replies.size >= p.targets.length) s.pendings.delete(p.id)
  const key = holdingKey(p.type, p.resource, p.ownerKey)
  const before = s.slot.holdings.get(key)
  if (!ok) {
    // A failed acquire gives back what it took (ekka), and, as in ekka,
    // leaves the caller without the lock even if it held it before.
    const nodes: string[] = []
    for (const t of p.targets) {
      const r = p.replies.get(t)
      // The nodes that refused or could not be reached: not those that had
      // not answered yet when the acquire became impossible.
      if (r !== undefined && !r.ok) nodes.push(t)
      if (r !== undefined && !r.ok && r.reason === 'held') continue
      s.releaseOn(t, p.resource, p.owner, p.id, true)
    }
    if (before !== undefined) {
      s.dropHolding(before)
      for (const t of before.targets) s.releaseOn(t, p.resource, p.owner, before.seq, true)
    }
    s.answer(p.from, { ok: false, nodes, reason: pickFailure(p.replies) })
    return
  }
  const grants = new Map<string, Pid>()
  const nodes: string[] = []
  let results: PiggybackResult[] | undefined
  let token = 0
  for (const t of p.targets) {
    const r = p.replies.get(t)
    if (r?.ok !== true) continue
    grants.set(t, r.granter!)
    nodes.push(t)
    if (r.token! > token) token = r.token!
    if (r.pb != null) (results ??= []).push(r.pb)
  }
  s.table.raise(token)
  if (grants.size > 1) {
    for (const [t, g] of grants) {
      if (p.replies.get(t)!.token! >= token) continue
      if (t === s.nodeName) s.table.settle(p.resource, p.ownerKey, p.id, token)
      else if (g !== undefined) s.send(t, [SETTLE, p.id, p.resource, p.owner, token])
    }
  }
  const h: Holding = {
    key, owner: p.owner, ownerKey: p.ownerKey, resource: p.resource, type: p.type, seq: p.id, token,
    targets: p.targets, need: p.need, grants, enforce: p.type !== 'all'
  }
  if (before !== undefined) s.dropHolding(before)
  s.slot.addHolding(h)
  if (s.pendings.get(p.id) === p) p.held = h
  const rec = s.owner(p.owner)
  ;(rec.holdings ??= new Set()).add(key)
  const result: LockResult = p.pb === null ? { ok: true, nodes, token } : { ok: true, nodes, token, results: results ?? [] }
  s.answer(p.from, result)
}

function pickFailure (replies: Map<string, Grant>): LockFailure {
  let best = FAILURE_ORDER.length - 1
  for (const r of replies.values()) {
    if (r.ok || r.reason === undefined) continue
    const i = FAILURE_ORDER.indexOf(r.reason)
    if (i >= 0 && i < best) best = i
  }
  return FAILURE_ORDER[best]
}

/** This node's own grant of pending acquire `id`, once its piggyback ran. */
export function onOwnPiggyback (s: LockerState, id: number, token: number, result: PiggybackResult): void {
  const p = s.pendings.get(id)
  if (p === undefined || p.kind !== 'acquire' || p.replies.has(s.nodeName)) return
  p.replies.set(s.nodeName, { ok: true, token, granter: s.pid, pb: result })
  evaluate(s, p)
}
