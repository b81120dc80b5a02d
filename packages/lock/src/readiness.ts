/**
 * Rule 3: a new locker incarnation, and a node that becomes the leader,
 * grant no leader / quorum lock for `grace` ms, or until every member
 * confirms it holds nothing granted by an earlier incarnation of this
 * locker (or by another leader): what a lost lock table gave away is dead
 * by then. Both sides of the exchange are here: asking (`sync`) and
 * answering (`clearFor`).
 */
import type { Pid } from '@tekka/actors'
import { SYNC } from './protocol.js'
import { TICK, type LockerState, type Tick } from './state.js'
import type { LockType } from './types.js'

/** Whether this locker may grant quorum locks (`leader` false) or leader locks. */
export function ready (s: LockerState, leader: boolean): boolean {
  const r = s.readiness
  if (!(r.startGraceOver || allConfirmed(s, r.confirmed))) return false
  if (!leader) return true
  checkLeader(s)
  return r.leaderGraceOver || allConfirmed(s, r.leaderConfirmed)
}

export function fullyReady (s: LockerState): boolean {
  return ready(s, s.readiness.leaderSelf)
}

function allConfirmed (s: LockerState, set: Set<string>): boolean {
  for (const m of s.memberList()) if (m !== s.nodeName && !set.has(m)) return false
  return true
}

/** Notices that this node became the leader (the oldest member changed): its own grace begins. */
export function checkLeader (s: LockerState): void {
  const r = s.readiness
  const leader = s.membership.leader() === s.nodeName
  if (leader === r.leaderSelf) return
  r.leaderSelf = leader
  if (!leader) return
  r.leaderGen++
  r.leaderConfirmed.clear()
  r.leaderGraceOver = s.config.grace <= 0
  if (!r.leaderGraceOver) {
    r.announced = false
    s.after(s.config.grace, { t: TICK, k: 'ready', leader: true, gen: r.leaderGen })
    sync(s)
  }
}

/** Asks every member not yet confirmed whether it holds anything an earlier incarnation (or leader) granted. */
export function sync (s: LockerState): void {
  if (s.disposed || fullyReady(s)) return
  const r = s.readiness
  const leaderAsk = r.leaderSelf && !r.leaderGraceOver
  for (const m of s.memberList()) {
    if (m === s.nodeName) continue
    const startDone = r.startGraceOver || r.confirmed.has(m)
    const leaderDone = !leaderAsk || r.leaderConfirmed.has(m)
    if (startDone && leaderDone) continue
    if (!s.net.isConnected(m)) continue
    const hid = s.nextSeq()
    r.syncs.set(hid, { node: m, leaderGen: leaderAsk ? r.leaderGen : undefined })
    s.send(m, [SYNC, hid, leaderAsk])
  }
  if (r.syncTimer === undefined) {
    const every = Math.min(1000, Math.max(20, s.config.grace / 10))
    r.syncTimer = s.clock.setTimeout(() => {
      r.syncTimer = undefined
      s.ctx.runtime.send(s.pid, { t: TICK, k: 'sync' } satisfies Tick)
    }, every)
  }
}

/** A member's answer to `sync`. */
export function onSyncReply (s: LockerState, node: string, hid: number, clear: boolean): void {
  const r = s.readiness
  const q = r.syncs.get(hid)
  if (q === undefined || q.node !== node) return
  r.syncs.delete(hid)
  if (!clear) return
  r.confirmed.add(node)
  if (q.leaderGen !== undefined && q.leaderGen === r.leaderGen) r.leaderConfirmed.add(node)
  maybeAnnounce(s)
}

/** The grace period of the start (`leader` false) or of the leadership `gen` is over. */
export function onGraceOver (s: LockerState, leader: boolean, gen: number): void {
  const r = s.readiness
  if (leader) {
    if (gen === r.leaderGen) r.leaderGraceOver = true
  } else {
    r.startGraceOver = true
  }
  maybeAnnounce(s)
}

export function maybeAnnounce (s: LockerState): void {
  const r = s.readiness
  if (r.announced || !fullyReady(s)) return
  r.announced = true
  r.syncs.clear()
  s.events.publish('lock.ready', { locker: s.config.name }, 'info')
}

/** The member's side: does any owner here hold something granted by another incarnation of `asker` (or, asked so, by another leader)? */
export function clearFor (s: LockerState, asker: Pid, leaderCheck: boolean): boolean {
  const conflicts = (g: Pid, type: LockType): boolean =>
    (g.node === asker.node && !g.equals(asker)) || (leaderCheck && type === 'leader' && !g.equals(asker))
  for (const h of s.slot.holdings.values()) {
    for (const g of h.grants.values()) if (conflicts(g, h.type)) return false
  }
  for (const p of s.pendings.values()) {
    if (p.kind !== 'acquire' || p.held !== undefined) continue
    for (const r of p.replies.values()) if (r.ok && r.granter !== undefined && conflicts(r.granter, p.type)) return false
  }
  return true
}
