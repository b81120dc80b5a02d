/**
 * The locker: one GenServer per node and name (ekka_locker), owning this
 * node's lock table and coordinating the leader / quorum / all locks that
 * owners on this node ask for. This file puts its parts together (see
 * state.ts for which file does what) and holds the local fast path.
 *
 * Local locks never pass through its mailbox: the caller works on the table
 * directly, in its own turn (as ekka's callers use the locker's public ETS
 * table), through the handle in the locker's slot (slot.ts); the locker only
 * watches the owners. For the other types the caller's request goes to the
 * local locker, which asks the lockers of the target nodes (batched: one
 * message per peer per turn), collects their grants, and answers. It keeps,
 * for every lock its owners hold elsewhere, which locker incarnations
 * granted it ("holdings"), and watches them.
 *
 * The safety rules that ekka lacks (see the README for the argument):
 *
 * 1. Owner side (peers.ts): when a leader / quorum lock has fewer live
 *    grants than it needs (a granting node's link or locker went down), its
 *    owner is killed at once.
 * 2. Table side (owners.ts): when the link to an owner's node goes down,
 *    its locks are kept for `grace` ms, then freed unless the node is back
 *    and the owner alive.
 * 3. Readiness (readiness.ts): a new locker incarnation, and a node that
 *    becomes leader, grant no leader / quorum lock for `grace` ms, or until
 *    every member confirms it holds nothing granted by an earlier one.
 * 4. Views (grants.ts): quorum replicas check that the asker computed the
 *    same replica set; leaders check that they are the leader.
 *
 * Fencing tokens: each table issues tokens above every token it has seen and
 * at least the wall clock in microseconds; a quorum acquire takes the
 * largest of its grants' tokens and tells the granting replicas (acquire.ts).
 */
import {
  isDownMessage, isExitMessage, noreply, reply,
  type CallResult, type From, type GenServer, type Pid, type ProcessContext
} from '@tekka/actors'
import { onOwnPiggyback, startAcquire } from './acquire.js'
import { onOps, runPiggyback } from './grants.js'
import { houseInterval, housekeeping, onDeadline } from './housekeeping.js'
import { adoptHoldings, onDown, onOrphanTimeout } from './owners.js'
import { onNodeDown, onNodeUp, onReplies } from './peers.js'
import { ACQUIRE, RESPONSE, isOpBatch, isReplyBatch, isRequest, type RequestMsg, type ResponseMsg } from './protocol.js'
import { checkLeader, maybeAnnounce, onGraceOver, ready, sync } from './readiness.js'
import { startRelease } from './release.js'
import type { LockerHandle } from './slot.js'
import { LockerState, TICK, isTick, type Caller, type LockerArgs, type Tick } from './state.js'
import type { LockResult, LockerInfo, Piggyback, PiggybackResult } from './types.js'

export type { LockerArgs } from './state.js'

export class LockerCore extends LockerState implements LockerHandle {
  #unsubscribe: Array<() => void> = []

  /** Called from init: takes over the holdings of an earlier incarnation, starts timers and watches. */
  start (): void {
    this.slot.handle = this
    const rt = this.ctx.runtime
    this.#unsubscribe.push(
      this.events.on(['dist.nodeup', 'dist.nodedown'], (e) => {
        if (!e.hidden) rt.send(this.pid, { t: TICK, k: 'node', up: e.type === 'dist.nodeup', node: e.peer } satisfies Tick)
      }),
      this.events.on('membership.change', () => {
        this.members = undefined
        if (!this.membersQueued) {
          this.membersQueued = true
          rt.send(this.pid, { t: TICK, k: 'members' } satisfies Tick)
        }
      })
    )
    // Timers die with the process whichever way it ends (kill skips terminate).
    void rt.wait(this.pid).then(() => { this.dispose() })
    adoptHoldings(this)
    if (!this.readiness.startGraceOver) this.after(this.config.grace, { t: TICK, k: 'ready', leader: false, gen: 0 })
    checkLeader(this)
    sync(this)
    maybeAnnounce(this)
    this.after(houseInterval(this), { t: TICK, k: 'house' })
  }

  get alive (): boolean { return !this.disposed && this.ctx.alive }
  get defaultTimeout (): number { return this.config.timeout }

  dispose (): void {
    if (this.disposed) return
    this.disposed = true
    // Callers waiting on this incarnation hear it now rather than at their timeout.
    for (const p of this.pendings.values()) {
      if (p.kind === 'acquire' && p.held !== undefined) continue
      this.ctx.runtime.send(p.from.pid, { t: RESPONSE, ref: p.from.ref, result: { ok: false, nodes: [], reason: 'timeout' } } satisfies ResponseMsg)
    }
    this.pendings.clear()
    for (const t of this.timers) this.clock.clearTimeout(t)
    this.timers.clear()
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer)
    if (this.readiness.syncTimer !== undefined) this.clock.clearTimeout(this.readiness.syncTimer)
    this.deadlineTimer = this.readiness.syncTimer = undefined
    for (const off of this.#unsubscribe.splice(0)) off()
    this.outbox.close()
    if (this.slot.handle === this) this.slot.handle = undefined
  }

  // ---- local locks: the caller's own turn ----------------------------------------

  acquireLocal (owner: Pid, resource: string): LockResult {
    const rec = this.owner(owner)
    const e = this.table.acquire(resource, rec, 'local', 0, this.clock.now(), -1)
    if (e === undefined) return { ok: false, nodes: this.selfNodes, reason: 'held' }
    return { ok: true, nodes: this.selfNodes, token: e.token }
  }

  releaseLocal (owner: Pid, resource: string): LockResult {
    const rec = this.ownersByPid.get(owner)
    const ok = rec !== undefined && !rec.gone ? this.table.releaseOf(resource, rec) : this.table.release(resource, owner.key, 0)
    return { ok, nodes: this.selfNodes }
  }

  async runPiggyback (pb: Piggyback): Promise<PiggybackResult> {
    return await runPiggyback(this, pb)
  }

  info (): LockerInfo {
    const now = this.clock.now()
    return {
      node: this.nodeName,
      name: this.config.name,
      pid: this.pid,
      ready: { quorum: ready(this, false), leader: this.readiness.leaderSelf && ready(this, true) },
      locks: [...this.table.entries()].map((e) => ({ resource: e.resource, owner: e.owner.pid, type: e.type, token: e.token, age: now - e.createdAt })),
      holdings: [...this.slot.holdings.values()].map((h) => ({ resource: h.resource, owner: h.owner, type: h.type, token: h.token, grants: [...h.grants.keys()], need: h.need })),
      highWater: this.table.highWater,
      acquires: { ok: { ...this.slot.acquires.ok }, failed: { ...this.slot.acquires.failed } }
    }
  }

  // ---- messages ------------------------------------------------------------------------

  /** Calls: only `info` (lock requests come as messages, see protocol.ts). */
  handleCall (_req: unknown, _from: From): CallResult<LockerCore, unknown> {
    return reply(this.info(), this)
  }

  handleInfo (msg: unknown): void {
    if (isRequest(msg)) this.#onRequest(msg)
    else if (isOpBatch(msg)) onOps(this, msg.from, msg.ops)
    else if (isReplyBatch(msg)) onReplies(this, msg.from, msg.rs)
    else if (isDownMessage(msg)) onDown(this, msg.pid, msg.ref, msg.reason)
    else if (isTick(msg)) this.#onTick(msg)
    else if (!isExitMessage(msg)) this.log.debug('unexpected message', { msg: String(msg) })
  }

  #onRequest (m: RequestMsg): void {
    const from: Caller = { pid: m.from, ref: m.ref }
    // Rule 1 needs the owner on this node: only this node can kill it the moment its lock is lost.
    if (m.from.node !== this.nodeName) {
      this.answer(from, { error: `lock requests must come from processes on ${this.nodeName}` })
      return
    }
    const req = m.req
    if (req.op === 'acquire') startAcquire(this, from, req.resource, req.type, req.piggyback, req.timeout)
    else startRelease(this, from, req.resource, req.type, req.timeout)
  }

  #onTick (m: Tick): void {
    switch (m.k) {
      case 'deadline': return onDeadline(this)
      case 'house': return housekeeping(this)
      case 'sync': return sync(this)
      case 'members':
        this.membersQueued = false
        checkLeader(this)
        sync(this)
        return
      case 'ready': return onGraceOver(this, m.leader, m.gen)
      case 'orphan': return onOrphanTimeout(this, m.key, m.gen)
      case 'pb':
        if (m.to !== null) this.outbox.reply(m.to, [ACQUIRE, m.id, true, m.token, m.result])
        else onOwnPiggyback(this, m.id, m.token, m.result)
        return
      case 'node':
        if (m.up) onNodeUp(this, m.node)
        else onNodeDown(this, m.node)
    }
  }
}

/** The locker behaviour (state: the LockerCore of this incarnation). */
export const lockerServer: GenServer<LockerCore, unknown, unknown, never, LockerArgs> = {
  init (args, ctx: ProcessContext) {
    // Trapping exits lets the supervisor's shutdown run terminate (timers, watches).
    ctx.trapExit(true)
    const core = new LockerCore(ctx, args)
    core.start()
    return core
  },
  handleCall: (req, from, core) => core.handleCall(req, from),
  handleInfo (msg, core) {
    core.handleInfo(msg)
    return noreply(core)
  },
  terminate (_reason, core) {
    core.dispose()
  }
}
