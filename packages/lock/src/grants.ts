/**
 * The table side of a locker: what it grants. An acquire asked by a peer
 * locker (or by this one for its own node, see acquire.ts) passes the
 * checks of rules 3 and 4, then the table; releases, settles (a quorum
 * lock's final token) and readiness questions from peers are answered here
 * too. A piggyback runs right after its grant, outside the mailbox: its
 * result comes back as a tick.
 */
import type { Pid } from '@tekka/actors'
import { ACQUIRE, RELEASE, SETTLE, SYNC, parseOp } from './protocol.js'
import { checkLeader, clearFor, ready } from './readiness.js'
import { TICK, type LockerState, type Tick } from './state.js'
import type { LockFailure, LockType, Piggyback } from './types.js'

/** An acquire at this table: a token, or why not. */
export function grant (s: LockerState, seq: number, resource: string, owner: Pid, type: LockType, set: readonly string[] | null, floor: number): number | LockFailure {
  if (type === 'leader') {
    checkLeader(s)
    if (!s.readiness.leaderSelf) return 'not_leader'
    if (!ready(s, true)) return 'not_ready'
  } else if (type === 'quorum') {
    if (!ready(s, false)) return 'not_ready'
    // Rule 4: the asker must have computed the same replica set.
    if (!sameList(set, s.ring.find(resource, s.memberList()))) return 'view'
  }
  const e = s.table.acquire(resource, s.owner(owner), type, seq, s.clock.now(), floor)
  return e === undefined ? 'held' : e.token
}

/** Runs `pb` after a grant; the result goes to `to` (a peer locker), or to this locker's own pending acquire `id` when `to` is null. */
export function piggyback (s: LockerState, pb: Piggyback, to: Pid | null, id: number, token: number): void {
  void runPiggyback(s, pb).then((result) => {
    s.ctx.runtime.send(s.pid, { t: TICK, k: 'pb', to, id, token, result } satisfies Tick)
  })
}

export async function runPiggyback (s: LockerState, pb: Piggyback): Promise<{ node: string, ok: boolean, value?: unknown, error?: string }> {
  try {
    const value = await s.rpc.call(s.nodeName, pb.fn, [...(pb.args ?? [])], { timeout: s.config.timeout })
    return { node: s.nodeName, ok: true, value }
  } catch (err) {
    return { node: s.nodeName, ok: false, error: (err as Error).message ?? String(err) }
  }
}

/** A batch of ops from the locker `from`. */
export function onOps (s: LockerState, from: Pid, ops: unknown[]): void {
  for (const raw of ops) {
    const op = parseOp(raw)
    if (op === undefined) {
      s.log.warn('malformed lock op dropped', { from: from.toString(), op: safeText(raw) })
      continue
    }
    switch (op[0]) {
      case ACQUIRE: {
        const [, seq, resource, owner, type, set, pb, floor] = op
        // Rule 1 needs the owner on the asker's node: only that node can kill it the moment its lock is lost.
        if (owner.node !== from.node) continue
        const r = grant(s, seq, resource, owner, type, set, floor)
        if (typeof r === 'string') s.outbox.reply(from, [ACQUIRE, seq, false, r, null])
        else if (pb === null) s.outbox.reply(from, [ACQUIRE, seq, true, r, null])
        else piggyback(s, pb, from, seq, r)
        break
      }
      case RELEASE: {
        const [, rid, resource, owner, seq] = op
        const ok = s.table.release(resource, s.keyOf(owner), seq)
        if (rid !== 0) s.outbox.reply(from, [RELEASE, rid, ok])
        break
      }
      case SETTLE: {
        const [, seq, resource, owner, token] = op
        s.table.settle(resource, s.keyOf(owner), seq, token)
        break
      }
      case SYNC:
        s.outbox.reply(from, [SYNC, op[1], clearFor(s, from, op[2])])
        break
    }
  }
}

function sameList (a: readonly string[] | null, b: readonly string[]): boolean {
  if (a === null || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function safeText (v: unknown): string {
  try { return (JSON.stringify(v) ?? String(v)).slice(0, 200) } catch { return String(v).slice(0, 200) }
}
