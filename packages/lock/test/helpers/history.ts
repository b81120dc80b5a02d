/**
 * The history checker: from the acquire / release / lost records the lock
 * clients logged (times from the machine's monotonic clock, shared by all
 * processes), and the times the test killed nodes, it rebuilds every hold
 * of a lock and checks that
 *
 *   - no two holds of the same leader or quorum lock overlap, and
 *   - fencing tokens strictly increase, in the order the holds began.
 *
 * A hold begins when its client logged the acquire (after `acquire`
 * returned ok) and ends at the first of: the release its client logged
 * (before calling `release`), the `lost` event of its owner (published just
 * before the owner is killed), the kill of its node, or the end of the test.
 * Every end is at or after the moment the client stopped using the lock, so
 * the check can only err towards reporting an overlap.
 */
import type { LockType } from '../../src/index.js'

export type HistoryRecord =
  | { ev: 'acq', t: number, node: string, client: string, resource: string, type: LockType, token: number }
  | { ev: 'rel', t: number, node: string, client: string, resource: string, type: LockType, token?: number }
  | { ev: 'lost', t: number, node: string, client: string, resource: string, type: LockType, reason: string }
  | { ev: 'fail', t: number, node: string, client: string, resource: string, type: LockType, reason: string }
  | { ev: 'start', t: number, node: string, creation: number }

export interface Kill { readonly node: string, readonly t: number }

export interface Hold {
  readonly resource: string
  readonly type: LockType
  readonly client: string
  readonly node: string
  readonly token: number
  readonly start: number
  end: number
  endedBy: 'release' | 'lost' | 'kill' | 'end'
}

/** Rebuilds the holds from the records (any order), the kills and the end of the test (µs). */
export function holdsOf (records: readonly HistoryRecord[], kills: readonly Kill[], endOfTest: number): { holds: Hold[], problems: string[] } {
  const problems: string[] = []
  const holds: Hold[] = []
  const open = new Map<string, Hold>()
  const sorted = records.filter((r): r is Extract<HistoryRecord, { ev: 'acq' | 'rel' | 'lost' }> => r.ev === 'acq' || r.ev === 'rel' || r.ev === 'lost').sort((a, b) => a.t - b.t)
  for (const r of sorted) {
    const cur = open.get(r.client)
    if (r.ev === 'acq') {
      if (cur !== undefined) {
        problems.push(`${r.client} acquired ${r.resource} at ${r.t} while holding ${cur.resource} (client bug)`)
        cur.end = r.t
        cur.endedBy = 'release'
      }
      const h: Hold = { resource: r.resource, type: r.type, client: r.client, node: r.node, token: r.token, start: r.t, end: Infinity, endedBy: 'end' }
      holds.push(h)
      open.set(r.client, h)
      continue
    }
    if (cur === undefined || cur.resource !== r.resource) continue // a lost lock that was never logged as held
    cur.end = r.t
    cur.endedBy = r.ev === 'rel' ? 'release' : 'lost'
    open.delete(r.client)
  }
  for (const h of open.values()) {
    const k = kills.filter((x) => x.node === h.node && x.t >= h.start).sort((a, b) => a.t - b.t)[0]
    if (k !== undefined) {
      h.end = k.t
      h.endedBy = 'kill'
    } else {
      h.end = Math.max(h.start, endOfTest)
      h.endedBy = 'end'
    }
  }
  return { holds, problems }
}

export interface Violation { readonly kind: 'overlap' | 'token', readonly resource: string, readonly text: string }

/** Overlaps and token regressions among the holds of leader and quorum locks. */
export function checkHolds (holds: readonly Hold[]): Violation[] {
  const out: Violation[] = []
  const byResource = new Map<string, Hold[]>()
  for (const h of holds) {
    if (h.type !== 'leader' && h.type !== 'quorum') continue
    const key = `${h.type}:${h.resource}`
    let list = byResource.get(key)
    if (list === undefined) byResource.set(key, list = [])
    list.push(h)
  }
  const show = (h: Hold): string => `${h.client} [${h.start}, ${h.end}] (${h.endedBy}) token ${h.token}`
  for (const [key, list] of byResource) {
    list.sort((a, b) => a.start - b.start)
    let latest: Hold | undefined
    let prev: Hold | undefined
    for (const h of list) {
      if (latest !== undefined && h.start < latest.end) {
        out.push({ kind: 'overlap', resource: key, text: `${key}: ${show(h)} began while ${show(latest)} held it` })
      }
      if (prev !== undefined && !(h.token > prev.token)) {
        out.push({ kind: 'token', resource: key, text: `${key}: token ${h.token} of ${show(h)} does not exceed ${prev.token} of ${show(prev)}` })
      }
      if (latest === undefined || h.end > latest.end) latest = h
      prev = h
    }
  }
  return out
}
