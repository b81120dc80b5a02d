/**
 * A locker's periodic work: requests that reached their deadline fail on
 * the targets that did not answer; leases are checked as ekka_locker does
 * (a lock older than the lease gets its owner watched, then, still held at
 * the next check, killed); owners that hold nothing are forgotten; old
 * releases kept for unreachable nodes are dropped.
 */
import { KILL } from '@tekka/actors'
import { evaluate } from './acquire.js'
import { abandonRelease, evaluateRelease } from './release.js'
import { TICK, type LockerState } from './state.js'

/** The one deadline timer fired: fail every pending request past its deadline, arm for the next. */
export function onDeadline (s: LockerState): void {
  s.armedAt = Infinity
  const now = s.clock.now()
  let next = Infinity
  for (const p of [...s.pendings.values()]) {
    if (p.deadline > now) {
      if (p.deadline < next) next = p.deadline
      continue
    }
    if (p.kind === 'acquire' && p.held !== undefined) {
      s.pendings.delete(p.id)
      continue
    }
    for (const t of p.targets) {
      if (p.replies.has(t)) continue
      if (p.kind === 'acquire') p.replies.set(t, { ok: false, reason: 'timeout' })
      else abandonRelease(s, p, t)
    }
    if (p.kind === 'acquire') evaluate(s, p)
    else evaluateRelease(s, p)
  }
  if (next < Infinity) s.arm(next)
}

/** How often housekeeping runs: the lease check interval, or every 30 s with leases off. */
export function houseInterval (s: LockerState): number {
  return Number.isFinite(s.config.lease) ? s.config.leaseCheck : 30_000
}

export function housekeeping (s: LockerState): void {
  const now = s.clock.now()
  const locker = s.config.name
  if (Number.isFinite(s.config.lease)) {
    for (const e of s.table.expired(now, s.config.lease)) {
      const owner = e.owner.pid
      const age = now - e.createdAt
      if (!e.leaseMarked) {
        e.leaseMarked = true
        s.events.publish('lock.lease_expired', { locker, resource: e.resource, owner, lockType: e.type, age }, 'warn')
      } else {
        s.events.publish('lock.lease_kill', { locker, resource: e.resource, owner, lockType: e.type, age }, 'error')
        s.ctx.exit(owner, KILL)
      }
    }
  }
  for (const rec of [...s.owners.values()]) {
    if (rec.held > 0 || (rec.holdings?.size ?? 0) > 0 || rec.ref === undefined) continue
    s.ctx.demonitor(rec.ref, { flush: true })
    s.table.dropOwner(rec)
    s.owners.delete(rec.key)
    rec.gone = true
  }
  const old = now - 10 * Math.max(s.config.grace, s.config.timeout)
  for (const [n, q] of s.unacked) {
    const keep = q.filter((u) => u.at >= old)
    if (keep.length === 0) s.unacked.delete(n)
    else s.unacked.set(n, keep)
  }
  s.after(houseInterval(s), { t: TICK, k: 'house' })
}
