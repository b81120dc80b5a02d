/**
 * The locker: one GenServer per node and name (ekka_locker), owning this
 * node's lock table and coordinating the leader / quorum / all locks that
 * owners on this node ask for.
 *
 * Local locks never pass through its mailbox: the caller works on the table
 * directly, in its own turn (as ekka's callers use the locker's public ETS
 * table); the locker only watches the owners. For the other types the
 * caller's request goes to the local locker, which asks the lockers of the
 * target nodes (batched: one message per peer per turn), collects their
 * grants, and answers. It keeps, for every lock its owners hold elsewhere,
 * which locker incarnations granted it ("holdings"), and watches them.
 *
 * The safety rules that ekka lacks (see the README for the argument):
 *
 * 1. Owner side: when a leader / quorum lock has fewer live grants than it
 *    needs (a granting node's link or locker went down), its owner is killed
 *    at once: on the minority side of a partition the owner dies before the
 *    majority side can hand the lock to someone else.
 * 2. Table side: when the link to an owner's node goes down, its locks are
 *    kept for `grace` ms (longer than the owner's node needs to notice the
 *    same loss and kill the owner), then freed unless the node is back and
 *    the owner alive.
 * 3. A new locker incarnation, and a node that becomes leader, grant no
 *    leader / quorum lock for `grace` ms, or until every member confirms it
 *    holds nothing granted by an earlier incarnation of this locker (or by
 *    another leader): what a lost lock table gave away is dead by then.
 * 4. Quorum replicas check that the asker computed the same replica set;
 *    leaders check that they are the leader.
 *
 * Fencing tokens: each table issues tokens above every token it has seen and
 * at least the wall clock in microseconds; a quorum acquire takes the
 * largest of its grants' tokens and tells the granting replicas, so any later
 * majority (which shares a replica with this one) starts above it.
 */
import {
  KILL, NOCONNECTION, Pid, Ref, isDownMessage, isExitMessage, noreply, reply,
  type Clock, type From, type GenServer, type Logger, type ProcessContext, type Timer, type CallResult
} from '@tekka/actors'
import type { DistNode, MembershipEvent } from '@tekka/dist'
import {
  ACQUIRE, RELEASE, SETTLE, SYNC, isOpBatch, isReplyBatch, parseOp, parseReply,
  type AcquireReply, type Reply
} from './protocol.js'
import { holdingKey, slotFor, type Holding, type LockerHandle, type Slot } from './registry.js'
import { RingCache, majority } from './ring.js'
import { LockTable, type OwnerRec } from './table.js'
import type { LockEvent, LockFailure, LockResult, LockType, LockerConfig, LockerInfo, Piggyback, PiggybackResult } from './types.js'

export const DEFAULT_LOCKER = 'tekka_locker'

/** What a locker process is started with. */
export interface LockerArgs {
  readonly config: LockerConfig
  readonly node: DistNode
  readonly clock: Clock
  readonly log: Logger
  readonly wallClock: () => number
}

/**
 * Requests of the local callers. They come as `{ t: 'tekka_lock_req', ref,
 * from, req }` and are answered with `{ t: 'tekka_lock_res', ref, result }`:
 * gen:call's exchange without its monitor, which would cost two table
 * updates on the hot path; a caller bounds its wait instead, and a locker
 * that dies answers its pending callers from its exit hook.
 */
export type LockerRequest =
  | { op: 'acquire', resource: string, type: Exclude<LockType, 'local'>, piggyback: Piggyback | null, timeout: number }
  | { op: 'release', resource: string, type: Exclude<LockType, 'local'>, timeout: number }

export const REQUEST = 'tekka_lock_req'
export const RESPONSE = 'tekka_lock_res'

export interface RequestMsg { readonly t: typeof REQUEST, readonly ref: Ref, readonly from: Pid, readonly req: LockerRequest }
export interface ResponseMsg { readonly t: typeof RESPONSE, readonly ref: Ref, readonly result: LockResult | LockerRefusal }

/** A refusal of a request that must not be made (a caller on another node). */
export interface LockerRefusal { readonly error: string }

/** Who asked: where the answer goes. */
interface Caller { readonly pid: Pid, readonly ref: Ref }

const isRequest = (m: unknown): m is RequestMsg =>
  typeof m === 'object' && m !== null && (m as RequestMsg).t === REQUEST && (m as RequestMsg).ref instanceof Ref && (m as RequestMsg).from instanceof Pid

interface Grant {
  readonly ok: boolean
  readonly token?: number
  readonly reason?: LockFailure
  readonly granter?: Pid
  readonly pb?: PiggybackResult | null
}

interface PendingAcquire {
  readonly kind: 'acquire'
  readonly id: number
  readonly from: Caller
  readonly owner: Pid
  readonly ownerKey: string
  readonly resource: string
  readonly type: Exclude<LockType, 'local'>
  readonly pb: Piggyback | null
  readonly targets: string[]
  readonly need: number
  readonly replies: Map<string, Grant>
  readonly deadline: number
  /** Lowest token to grant (see protocol.ts). */
  readonly floor: number
  /**
   * Set once the acquire succeeded before every target answered: the
   * pending stays until they do (or the deadline), and a late grant is added
   * to the lock, which then survives more node losses.
   */
  held: Holding | undefined
}

interface PendingRelease {
  readonly kind: 'release'
  readonly id: number
  readonly from: Caller
  readonly owner: Pid
  readonly resource: string
  readonly seq: number
  readonly targets: readonly string[]
  readonly replies: Map<string, boolean>
  readonly deadline: number
}

type Pending = PendingAcquire | PendingRelease

interface Peer { readonly pid: Pid, readonly ref: Ref }

interface Unacked { readonly op: unknown[], readonly at: number }

const TICK = 'tekka_lock_tick'
type Tick =
  | { t: typeof TICK, k: 'deadline' }
  | { t: typeof TICK, k: 'house' }
  | { t: typeof TICK, k: 'sync' }
  | { t: typeof TICK, k: 'ready', leader: boolean, gen: number }
  | { t: typeof TICK, k: 'orphan', key: string, gen: number }
  | { t: typeof TICK, k: 'pb', to: Pid | null, id: number, token: number, result: PiggybackResult }
  | { t: typeof TICK, k: 'members' }

const isTick = (m: unknown): m is Tick => typeof m === 'object' && m !== null && (m as Tick).t === TICK

const FAILURE_ORDER: readonly LockFailure[] = ['held', 'not_ready', 'not_leader', 'view', 'unreachable', 'timeout']
const MAX_UNACKED = 10_000

export class LockerCore implements LockerHandle {
  readonly ctx: ProcessContext
  readonly pid: Pid
  readonly node: DistNode
  readonly nodeName: string
  readonly config: LockerConfig
  readonly table = new LockTable()
  readonly #clock: Clock
  readonly #log: Logger
  readonly #wall: () => number
  readonly #slot: Slot
  readonly #selfNodes: readonly string[]
  readonly #owners = new Map<string, OwnerRec>()
  /** The same records by pid object: a caller passes its own `ctx.self` every time, so no key is built on the fast path. */
  readonly #ownersByPid = new WeakMap<Pid, OwnerRec>()
  readonly #peers = new Map<string, Peer>()
  /** Pid objects known to be in #peers (a fast path; #peerDown clears by key). */
  #watched = new WeakSet<Pid>()
  readonly #pendings = new Map<number, Pending>()
  readonly #outbox = new Map<string, unknown[]>()
  readonly #replyBox = new Map<string, { to: Pid, rs: Reply[] }>()
  readonly #unacked = new Map<string, Unacked[]>()
  readonly #ring = new RingCache()
  readonly #timers = new Set<Timer>()
  #members: string[] | undefined
  #seq: number
  #flushQueued = false
  #deadlineTimer: Timer | undefined
  #armedAt = Infinity
  #disposed = false
  #unsubscribe: (() => void) | undefined
  #membersQueued = false
  // readiness (rule 3)
  #startGraceOver: boolean
  readonly #confirmed = new Set<string>()
  #leaderSelf = false
  #leaderGen = 0
  #leaderGraceOver = true
  readonly #leaderConfirmed = new Set<string>()
  readonly #syncs = new Map<number, { node: string, leaderGen: number | undefined }>()
  #syncTimer: Timer | undefined
  #announced = false

  constructor (ctx: ProcessContext, args: LockerArgs) {
    this.ctx = ctx
    this.pid = ctx.self
    this.node = args.node
    this.nodeName = args.node.name
    this.config = args.config
    this.#clock = args.clock
    this.#log = args.log
    this.#wall = args.wallClock
    this.#slot = slotFor(ctx.runtime, args.config.name)
    this.#selfNodes = Object.freeze([this.nodeName])
    // Ids of this incarnation's requests start from the wall clock, so they
    // do not repeat an earlier incarnation's (replicas match releases by id).
    this.#seq = Math.floor(this.#wall() * 1000)
    // Seeded from the wall clock: tokens stay above an earlier incarnation's.
    this.table.raise(this.#seq)
    this.#startGraceOver = this.config.grace <= 0
  }

  /** Called from init: takes over the holdings of an earlier incarnation, starts timers and watches. */
  start (): void {
    this.#slot.handle = this
    this.node.monitorNode(this.pid)
    this.#unsubscribe = this.node.membership.subscribe((e: MembershipEvent) => {
      if (e.type !== 'membership') return
      this.#members = undefined
      if (!this.#membersQueued) {
        this.#membersQueued = true
        this.ctx.runtime.send(this.pid, { t: TICK, k: 'members' } satisfies Tick)
      }
    })
    // Timers die with the process whichever way it ends (kill skips terminate).
    void this.ctx.runtime.wait(this.pid).then(() => { this.dispose() })
    this.#adoptHoldings()
    if (!this.#startGraceOver) this.#after(this.config.grace, { t: TICK, k: 'ready', leader: false, gen: 0 })
    this.#checkLeader()
    this.#sync()
    this.#maybeAnnounce()
    this.#after(this.#houseInterval(), { t: TICK, k: 'house' })
  }

  get alive (): boolean { return !this.#disposed && this.ctx.alive }
  get defaultTimeout (): number { return this.config.timeout }

  dispose (): void {
    if (this.#disposed) return
    this.#disposed = true
    // Callers waiting on this incarnation hear it now rather than at their timeout.
    for (const p of this.#pendings.values()) {
      if (p.kind === 'acquire' && p.held !== undefined) continue
      this.ctx.runtime.send(p.from.pid, { t: RESPONSE, ref: p.from.ref, result: { ok: false, nodes: [], reason: 'timeout' } } satisfies ResponseMsg)
    }
    this.#pendings.clear()
    for (const t of this.#timers) this.#clock.clearTimeout(t)
    this.#timers.clear()
    if (this.#deadlineTimer !== undefined) this.#clock.clearTimeout(this.#deadlineTimer)
    if (this.#syncTimer !== undefined) this.#clock.clearTimeout(this.#syncTimer)
    this.#deadlineTimer = this.#syncTimer = undefined
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.node.monitorNode(this.pid, undefined, false)
    if (this.#slot.handle === this) this.#slot.handle = undefined
  }

  // ---- local locks: the caller's own turn ----------------------------------------

  acquireLocal (owner: Pid, resource: string): LockResult {
    const rec = this.#owner(owner)
    const e = this.table.acquire(resource, rec, 'local', 0, this.#clock.now(), -1)
    if (e === undefined) return { ok: false, nodes: this.#selfNodes, reason: 'held' }
    return { ok: true, nodes: this.#selfNodes, token: e.token }
  }

  releaseLocal (owner: Pid, resource: string): LockResult {
    const rec = this.#ownersByPid.get(owner)
    const ok = rec !== undefined && !rec.gone ? this.table.releaseOf(resource, rec) : this.table.release(resource, owner.key, 0)
    return { ok, nodes: this.#selfNodes }
  }

  async runPiggyback (pb: Piggyback): Promise<PiggybackResult> {
    try {
      const value = await this.node.call(this.nodeName, pb.fn, [...(pb.args ?? [])], { timeout: this.config.timeout })
      return { node: this.nodeName, ok: true, value }
    } catch (err) {
      return { node: this.nodeName, ok: false, error: (err as Error).message ?? String(err) }
    }
  }

  // ---- GenServer callbacks -----------------------------------------------------------

  /** Calls: only `info` (lock requests come as messages, see LockerRequest). */
  handleCall (_req: unknown, _from: From): CallResult<LockerCore, unknown> {
    return reply(this.info(), this)
  }

  #onRequest (m: RequestMsg): void {
    const from: Caller = { pid: m.from, ref: m.ref }
    // Rule 1 needs the owner on this node: only this node can kill it the moment its lock is lost.
    if (m.from.node !== this.nodeName) {
      this.#answer(from, { error: `lock requests must come from processes on ${this.nodeName}` })
      return
    }
    const req = m.req
    if (req.op === 'acquire') this.#startAcquire(from, req.resource, req.type, req.piggyback, req.timeout)
    else this.#startRelease(from, req.resource, req.type, req.timeout)
  }

  #answer (to: Caller, result: LockResult | LockerRefusal): void {
    this.ctx.send(to.pid, { t: RESPONSE, ref: to.ref, result } satisfies ResponseMsg)
  }

  handleInfo (msg: unknown): void {
    if (isRequest(msg)) this.#onRequest(msg)
    else if (isOpBatch(msg)) this.#onOps(msg.from, msg.ops)
    else if (isReplyBatch(msg)) this.#onReplies(msg.from, msg.rs)
    else if (isDownMessage(msg)) this.#onDown(msg.pid, msg.ref, msg.reason)
    else if (isTick(msg)) this.#onTick(msg)
    else if (isNodeEvent(msg)) this.#onNodeEvent(msg)
    else if (!isExitMessage(msg)) this.#log.debug('unexpected message', { msg: String(msg) })
  }

  // ---- acquire -------------------------------------------------------------------------

  #startAcquire (from: Caller, resource: string, type: Exclude<LockType, 'local'>, pb: Piggyback | null, timeout: number): void {
    const owner = from.pid
    const { targets, need } = this.#targets(type, resource)
    const p: PendingAcquire = {
      kind: 'acquire', id: this.#nextSeq(), from, owner, ownerKey: this.#keyOf(owner), resource, type, pb, targets, need,
      replies: new Map(), deadline: this.#clock.now() + timeout, floor: Math.max(this.table.highWater + 1, this.#wallMicros()), held: undefined
    }
    this.#pendings.set(p.id, p)
    for (const t of targets) {
      if (t === this.nodeName) this.#grantSelf(p)
      else if (!this.node.kernel.isConnected(t)) {
        p.replies.set(t, { ok: false, reason: 'unreachable' })
        this.#kick(t)
      } else {
        this.#send(t, [ACQUIRE, p.id, resource, owner, type, type === 'quorum' ? targets : null, pb, p.floor])
      }
    }
    this.#arm(p.deadline)
    this.#evaluate(p)
  }

  /** Where a lock of `type` on `resource` lives, as this node sees the cluster now. */
  #targets (type: Exclude<LockType, 'local'>, resource: string): { targets: string[], need: number } {
    if (type === 'leader') {
      this.#checkLeader()
      return { targets: [this.node.membership.leader() ?? this.nodeName], need: 1 }
    }
    if (type === 'quorum') {
      const targets = this.#ring.find(resource, this.#memberList())
      return { targets, need: majority(targets.length) }
    }
    const up = this.node.membership.nodelist('up')
    const targets = up.length > 0 ? up : [this.nodeName]
    return { targets, need: targets.length }
  }

  #grantSelf (p: PendingAcquire): void {
    const r = this.#grant(p.id, p.resource, p.owner, p.type, p.type === 'quorum' ? p.targets : null, p.floor)
    if (typeof r === 'string') {
      p.replies.set(this.nodeName, { ok: false, reason: r })
      return
    }
    if (p.pb === null) p.replies.set(this.nodeName, { ok: true, token: r, granter: this.pid, pb: null })
    else this.#piggyback(p.pb, null, p.id, r)
  }

  /** The table side of an acquire (checks of rules 3 and 4, then the table): a token, or why not. */
  #grant (seq: number, resource: string, owner: Pid, type: LockType, set: readonly string[] | null, floor: number): number | LockFailure {
    if (type === 'leader') {
      this.#checkLeader()
      if (!this.#leaderSelf) return 'not_leader'
      if (!this.#ready(true)) return 'not_ready'
    } else if (type === 'quorum') {
      if (!this.#ready(false)) return 'not_ready'
      if (!sameList(set, this.#ring.find(resource, this.#memberList()))) return 'view'
    }
    const e = this.table.acquire(resource, this.#owner(owner), type, seq, this.#clock.now(), floor)
    return e === undefined ? 'held' : e.token
  }

  #evaluate (p: PendingAcquire): void {
    if (p.held !== undefined) {
      if (p.replies.size >= p.targets.length && this.#pendings.get(p.id) === p) this.#pendings.delete(p.id)
      return
    }
    let grants = 0
    let outstanding = 0
    for (const t of p.targets) {
      const r = p.replies.get(t)
      if (r === undefined) outstanding++
      else if (r.ok) grants++
    }
    if (grants >= p.need) this.#finishAcquire(p, true)
    else if (grants + outstanding < p.need) this.#finishAcquire(p, false)
  }

  #finishAcquire (p: PendingAcquire, ok: boolean): void {
    if (this.#pendings.get(p.id) !== p || p.held !== undefined) return
    if (!ok || p.replies.size >= p.targets.length) this.#pendings.delete(p.id)
    const key = holdingKey(p.type, p.resource, p.ownerKey)
    const before = this.#slot.holdings.get(key)
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
        this.#releaseOn(t, p.resource, p.owner, p.id, true)
      }
      if (before !== undefined) {
        this.#dropHolding(before)
        for (const t of before.targets) this.#releaseOn(t, p.resource, p.owner, before.seq, true)
      }
      this.#answer(p.from, { ok: false, nodes, reason: pickFailure(p.replies) })
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
    this.table.raise(token)
    // The token is the largest proposal; replicas that proposed less learn it,
    // so a later majority (which shares one of them) starts above it.
    if (grants.size > 1) {
      for (const [t, g] of grants) {
        if (p.replies.get(t)!.token! >= token) continue
        if (t === this.nodeName) this.table.settle(p.resource, p.ownerKey, p.id, token)
        else if (g !== undefined) this.#send(t, [SETTLE, p.id, p.resource, p.owner, token])
      }
    }
    const h: Holding = {
      key, owner: p.owner, ownerKey: p.ownerKey, resource: p.resource, type: p.type, seq: p.id, token,
      targets: p.targets, need: p.need, grants, enforce: p.type !== 'all'
    }
    if (before !== undefined) this.#dropHolding(before)
    this.#slot.addHolding(h)
    if (this.#pendings.get(p.id) === p) p.held = h
    const rec = this.#owner(p.owner)
    ;(rec.holdings ??= new Set()).add(key)
    const result: LockResult = p.pb === null ? { ok: true, nodes, token } : { ok: true, nodes, token, results: results ?? [] }
    this.#answer(p.from, result)
  }

  // ---- release ---------------------------------------------------------------------------

  #startRelease (from: Caller, resource: string, type: Exclude<LockType, 'local'>, timeout: number): void {
    const owner = from.pid
    const ownerKey = this.#keyOf(owner)
    const h = this.#slot.holdings.get(holdingKey(type, resource, ownerKey))
    let targets: readonly string[]
    let seq = 0
    if (h !== undefined) {
      this.#dropHolding(h)
      targets = h.targets
      seq = h.seq
    } else {
      targets = this.#targets(type, resource).targets
    }
    const p: PendingRelease = {
      kind: 'release', id: this.#nextSeq(), from, owner, resource, seq, targets, replies: new Map(), deadline: this.#clock.now() + timeout
    }
    this.#pendings.set(p.id, p)
    for (const t of targets) {
      if (t === this.nodeName) p.replies.set(t, this.table.release(resource, ownerKey, seq))
      else if (!this.node.kernel.isConnected(t)) {
        p.replies.set(t, false)
        if (seq !== 0) this.#queueUnacked(t, [RELEASE, 0, resource, owner, seq])
        this.#kick(t)
      } else {
        this.#send(t, [RELEASE, p.id, resource, owner, seq])
      }
    }
    this.#arm(p.deadline)
    this.#evaluateRelease(p)
  }

  #evaluateRelease (p: PendingRelease): void {
    if (p.replies.size < p.targets.length) return
    if (this.#pendings.get(p.id) !== p) return
    this.#pendings.delete(p.id)
    const failed = p.targets.filter((t) => p.replies.get(t) !== true)
    this.#answer(p.from, { ok: failed.length === 0, nodes: failed.length === 0 ? [...p.targets] : failed })
  }

  /** Sends a release that wants no answer; kept to send again when the node comes back if it is not connected. */
  #releaseOn (t: string, resource: string, owner: Pid, seq: number, retry: boolean): void {
    if (t === this.nodeName) {
      this.table.release(resource, owner.key, seq)
      return
    }
    const op = [RELEASE, 0, resource, owner, seq]
    if (this.node.kernel.isConnected(t)) this.#send(t, op)
    else if (retry && seq !== 0) this.#queueUnacked(t, op)
  }

  #queueUnacked (node: string, op: unknown[]): void {
    let q = this.#unacked.get(node)
    if (q === undefined) this.#unacked.set(node, q = [])
    if (q.length >= MAX_UNACKED) q.shift()
    q.push({ op, at: this.#clock.now() })
  }

  #dropHolding (h: Holding): void {
    this.#slot.removeHolding(h)
    this.#owners.get(h.ownerKey)?.holdings?.delete(h.key)
  }

  // ---- ops from peers (the table side) ----------------------------------------------------

  #onOps (from: Pid, ops: unknown[]): void {
    for (const raw of ops) {
      const op = parseOp(raw)
      if (op === undefined) {
        this.#log.warn('malformed lock op dropped', { from: from.toString(), op: safeText(raw) })
        continue
      }
      switch (op[0]) {
        case ACQUIRE: {
          const [, seq, resource, owner, type, set, pb, floor] = op
          if (owner.node !== from.node) continue
          const r = this.#grant(seq, resource, owner, type, set, floor)
          if (typeof r === 'string') this.#reply(from, [ACQUIRE, seq, false, r, null])
          else if (pb === null) this.#reply(from, [ACQUIRE, seq, true, r, null])
          else this.#piggyback(pb, from, seq, r)
          break
        }
        case RELEASE: {
          const [, rid, resource, owner, seq] = op
          const ok = this.table.release(resource, this.#keyOf(owner), seq)
          if (rid !== 0) this.#reply(from, [RELEASE, rid, ok])
          break
        }
        case SETTLE: {
          const [, seq, resource, owner, token] = op
          this.table.settle(resource, this.#keyOf(owner), seq, token)
          break
        }
        case SYNC:
          this.#reply(from, [SYNC, op[1], this.#clearFor(from, op[2])])
          break
      }
    }
  }

  #piggyback (pb: Piggyback, to: Pid | null, id: number, token: number): void {
    void this.runPiggyback(pb).then((result) => {
      this.ctx.runtime.send(this.pid, { t: TICK, k: 'pb', to, id, token, result } satisfies Tick)
    })
  }

  /** Rule 3, the member's side: does any owner here hold something granted by another incarnation of `asker` (or, asked so, by another leader)? */
  #clearFor (asker: Pid, leaderCheck: boolean): boolean {
    const conflicts = (g: Pid, type: LockType): boolean =>
      (g.node === asker.node && !g.equals(asker)) || (leaderCheck && type === 'leader' && !g.equals(asker))
    for (const h of this.#slot.holdings.values()) {
      for (const g of h.grants.values()) if (conflicts(g, h.type)) return false
    }
    for (const p of this.#pendings.values()) {
      if (p.kind !== 'acquire' || p.held !== undefined) continue
      for (const r of p.replies.values()) if (r.ok && r.granter !== undefined && conflicts(r.granter, p.type)) return false
    }
    return true
  }

  // ---- replies from peers -------------------------------------------------------------------

  #onReplies (from: Pid, rs: unknown[]): void {
    const node = from.node
    for (const raw of rs) {
      const r = parseReply(raw)
      if (r === undefined) {
        this.#log.warn('malformed lock reply dropped', { from: from.toString(), reply: safeText(raw) })
        continue
      }
      if (r[0] === SYNC) {
        this.#onSyncReply(node, r[1], r[2])
        continue
      }
      const p = this.#pendings.get(r[1])
      if (p === undefined) continue
      if (r[0] === ACQUIRE) {
        if (p.kind !== 'acquire' || p.replies.has(node) || !p.targets.includes(node)) continue
        const [, , ok, x, pb] = r as AcquireReply
        if (ok) {
          // Watched from now on: if this locker or its node goes, the grant goes (rule 1).
          this.#watchPeer(from)
          p.replies.set(node, { ok: true, token: x as number, granter: from, pb })
          const h = p.held
          if (h !== undefined && this.#slot.holdings.get(h.key) === h) {
            h.grants.set(node, from)
            if ((x as number) < h.token) this.#send(node, [SETTLE, p.id, p.resource, p.owner, h.token])
          }
        } else {
          p.replies.set(node, { ok: false, reason: x as LockFailure })
        }
        this.#evaluate(p)
      } else if (p.kind === 'release' && !p.replies.has(node) && p.targets.includes(node)) {
        p.replies.set(node, r[2])
        this.#evaluateRelease(p)
      }
    }
  }

  #watchPeer (pid: Pid): void {
    // Pids read from the wire are cached objects: most replies come from one already watched.
    if (this.#watched.has(pid)) return
    const key = pid.key
    if (!this.#peers.has(key)) this.#peers.set(key, { pid, ref: this.ctx.monitor(pid) })
    this.#watched.add(pid)
  }

  // ---- monitors ---------------------------------------------------------------------------------

  #onDown (target: unknown, ref: Ref, reason: unknown): void {
    if (!(target instanceof Pid)) return
    const key = target.key
    const rec = this.#owners.get(key)
    if (rec !== undefined && rec.ref !== undefined && rec.ref.equals(ref)) {
      this.#ownerDown(rec, reason)
      return
    }
    const peer = this.#peers.get(key)
    if (peer !== undefined && peer.ref.equals(ref)) this.#peerDown(peer, reason)
  }

  /** An owner died, or (noconnection) its node is out of reach: rule 2. */
  #ownerDown (rec: OwnerRec, reason: unknown): void {
    rec.ref = undefined
    if (reason === NOCONNECTION && this.config.grace > 0 && rec.held > 0) {
      const gen = ++rec.orphanGen
      this.#after(this.config.grace, { t: TICK, k: 'orphan', key: rec.key, gen })
      this.#event('orphaned', { owner: rec.pid, reason: 'noconnection' }, 'info')
      return
    }
    this.#forgetOwner(rec, reason)
  }

  #forgetOwner (rec: OwnerRec, reason: unknown): void {
    const dropped = this.table.dropOwner(rec)
    if (rec.holdings !== undefined) {
      for (const k of rec.holdings) {
        const h = this.#slot.holdings.get(k)
        if (h !== undefined) this.#slot.removeHolding(h)
      }
      rec.holdings = undefined
    }
    if (this.#owners.get(rec.key) === rec) this.#owners.delete(rec.key)
    rec.gone = true
    for (const e of dropped) this.#event('owner_down', { owner: rec.pid, resource: e.resource, lockType: e.type, reason: reasonText(reason) }, 'debug')
  }

  /** A locker that granted locks to owners here went down, or its node did: rule 1. */
  #peerDown (peer: Peer, reason: unknown): void {
    this.#peers.delete(peer.pid.key)
    // Other objects for the same pid may be in #watched: start it afresh (peers going down are rare).
    this.#watched = new WeakSet()
    const node = peer.pid.node
    for (const h of this.#slot.grantedBy(peer.pid)) {
      if (!this.#slot.dropGrant(h, node) && h.enforce) this.#lose(h, `${node}: ${reasonText(reason)}`)
    }
    for (const p of [...this.#pendings.values()]) {
      if (p.kind !== 'acquire' || p.held !== undefined) continue
      const r = p.replies.get(node)
      if (r?.ok === true && r.granter !== undefined && r.granter.equals(peer.pid)) {
        p.replies.set(node, { ok: false, reason: 'unreachable' })
        this.#evaluate(p)
      }
    }
  }

  /** Too few grants left: the owner must stop before someone else can get the lock. */
  #lose (h: Holding, why: string): void {
    this.#dropHolding(h)
    this.#log.warn('lock lost, killing its owner', { resource: h.resource, type: h.type, owner: h.owner.toString(), grants: [...h.grants.keys()], need: h.need, why })
    this.#event('lost', { owner: h.owner, resource: h.resource, lockType: h.type, reason: why }, undefined)
    this.ctx.exit(h.owner, KILL)
  }

  #onNodeEvent (e: { type: 'nodeup' | 'nodedown', node: string }): void {
    if (e.type === 'nodedown') {
      for (const p of [...this.#pendings.values()]) {
        if (!p.targets.includes(e.node) || p.replies.has(e.node)) continue
        if (p.kind === 'acquire') {
          p.replies.set(e.node, { ok: false, reason: 'unreachable' })
          this.#evaluate(p)
        } else {
          p.replies.set(e.node, false)
          if (p.seq !== 0) this.#queueUnacked(e.node, [RELEASE, 0, p.resource, p.owner, p.seq])
          this.#evaluateRelease(p)
        }
      }
      return
    }
    const q = this.#unacked.get(e.node)
    if (q !== undefined) {
      this.#unacked.delete(e.node)
      for (const u of q) this.#send(e.node, u.op)
    }
    if (!this.#fullyReady()) this.#sync()
  }

  // ---- readiness (rule 3) ------------------------------------------------------------------------

  #ready (leader: boolean): boolean {
    if (!(this.#startGraceOver || this.#allConfirmed(this.#confirmed))) return false
    if (!leader) return true
    this.#checkLeader()
    return this.#leaderGraceOver || this.#allConfirmed(this.#leaderConfirmed)
  }

  #fullyReady (): boolean {
    return this.#ready(this.#leaderSelf)
  }

  #allConfirmed (set: Set<string>): boolean {
    for (const m of this.#memberList()) if (m !== this.nodeName && !set.has(m)) return false
    return true
  }

  /** Notices that this node became the leader (the oldest member changed): its own grace begins. */
  #checkLeader (): void {
    const leader = this.node.membership.leader() === this.nodeName
    if (leader === this.#leaderSelf) return
    this.#leaderSelf = leader
    if (!leader) return
    this.#leaderGen++
    this.#leaderConfirmed.clear()
    this.#leaderGraceOver = this.config.grace <= 0
    if (!this.#leaderGraceOver) {
      this.#announced = false
      this.#after(this.config.grace, { t: TICK, k: 'ready', leader: true, gen: this.#leaderGen })
      this.#sync()
    }
  }

  /** Asks every member not yet confirmed whether it holds anything an earlier incarnation (or leader) granted. */
  #sync (): void {
    if (this.#disposed || this.#fullyReady()) return
    const leaderAsk = this.#leaderSelf && !this.#leaderGraceOver
    for (const m of this.#memberList()) {
      if (m === this.nodeName) continue
      const startDone = this.#startGraceOver || this.#confirmed.has(m)
      const leaderDone = !leaderAsk || this.#leaderConfirmed.has(m)
      if (startDone && leaderDone) continue
      if (!this.node.kernel.isConnected(m)) continue
      const hid = this.#nextSeq()
      this.#syncs.set(hid, { node: m, leaderGen: leaderAsk ? this.#leaderGen : undefined })
      this.#send(m, [SYNC, hid, leaderAsk])
    }
    if (this.#syncTimer === undefined) {
      const every = Math.min(1000, Math.max(20, this.config.grace / 10))
      this.#syncTimer = this.#clock.setTimeout(() => {
        this.#syncTimer = undefined
        this.ctx.runtime.send(this.pid, { t: TICK, k: 'sync' } satisfies Tick)
      }, every)
    }
  }

  #onSyncReply (node: string, hid: number, clear: boolean): void {
    const s = this.#syncs.get(hid)
    if (s === undefined || s.node !== node) return
    this.#syncs.delete(hid)
    if (!clear) return
    this.#confirmed.add(node)
    if (s.leaderGen !== undefined && s.leaderGen === this.#leaderGen) this.#leaderConfirmed.add(node)
    this.#maybeAnnounce()
  }

  #maybeAnnounce (): void {
    if (this.#announced || !this.#fullyReady()) return
    this.#announced = true
    this.#syncs.clear()
    this.#event('ready', {}, 'info')
  }

  // ---- timers --------------------------------------------------------------------------------------

  #onTick (m: Tick): void {
    switch (m.k) {
      case 'deadline': return this.#onDeadline()
      case 'house': return this.#housekeeping()
      case 'sync':
        this.#sync()
        return
      case 'members':
        this.#membersQueued = false
        this.#checkLeader()
        this.#sync()
        return
      case 'ready':
        if (m.leader) {
          if (m.gen === this.#leaderGen) this.#leaderGraceOver = true
        } else {
          this.#startGraceOver = true
        }
        this.#maybeAnnounce()
        return
      case 'orphan': {
        const rec = this.#owners.get(m.key)
        if (rec === undefined || rec.orphanGen !== m.gen || rec.ref !== undefined) return
        if (this.node.kernel.isConnected(rec.pid.node)) {
          // Back in time: watch it again (a dead owner, or one of an earlier incarnation, answers DOWN noproc).
          rec.ref = this.ctx.monitor(rec.pid)
          return
        }
        this.#forgetOwner(rec, 'noconnection')
        return
      }
      case 'pb': {
        if (m.to !== null) {
          this.#reply(m.to, [ACQUIRE, m.id, true, m.token, m.result])
          return
        }
        const p = this.#pendings.get(m.id)
        if (p === undefined || p.kind !== 'acquire' || p.replies.has(this.nodeName)) return
        p.replies.set(this.nodeName, { ok: true, token: m.token, granter: this.pid, pb: m.result })
        this.#evaluate(p)
      }
    }
  }

  #onDeadline (): void {
    this.#armedAt = Infinity
    const now = this.#clock.now()
    let next = Infinity
    for (const p of [...this.#pendings.values()]) {
      if (p.deadline > now) {
        if (p.deadline < next) next = p.deadline
        continue
      }
      if (p.kind === 'acquire' && p.held !== undefined) {
        this.#pendings.delete(p.id)
        continue
      }
      for (const t of p.targets) {
        if (p.replies.has(t)) continue
        if (p.kind === 'acquire') p.replies.set(t, { ok: false, reason: 'timeout' })
        else {
          p.replies.set(t, false)
          if (p.seq !== 0) this.#queueUnacked(t, [RELEASE, 0, p.resource, p.owner, p.seq])
        }
      }
      if (p.kind === 'acquire') this.#evaluate(p)
      else this.#evaluateRelease(p)
    }
    if (next < Infinity) this.#arm(next)
  }

  /** One timer for every pending request: armed for the earliest deadline. */
  #arm (deadline: number): void {
    if (deadline >= this.#armedAt) return
    if (this.#deadlineTimer !== undefined) this.#clock.clearTimeout(this.#deadlineTimer)
    this.#armedAt = deadline
    this.#deadlineTimer = this.#clock.setTimeout(() => {
      this.#deadlineTimer = undefined
      this.ctx.runtime.send(this.pid, { t: TICK, k: 'deadline' } satisfies Tick)
    }, Math.max(0, deadline - this.#clock.now()))
  }

  #houseInterval (): number {
    return Number.isFinite(this.config.lease) ? this.config.leaseCheck : 30_000
  }

  /** The lease check (ekka: watch, then kill), and forgetting owners that hold nothing. */
  #housekeeping (): void {
    const now = this.#clock.now()
    if (Number.isFinite(this.config.lease)) {
      for (const e of this.table.expired(now, this.config.lease)) {
        const owner = e.owner.pid
        if (!e.leaseMarked) {
          e.leaseMarked = true
          this.#event('lease_expired', { owner, resource: e.resource, lockType: e.type }, 'warn')
        } else {
          this.#log.error('lock held past its lease: killing its owner', { resource: e.resource, owner: owner.toString(), ageMs: now - e.createdAt })
          this.#event('lease_kill', { owner, resource: e.resource, lockType: e.type }, undefined)
          this.ctx.exit(owner, KILL)
        }
      }
    }
    for (const rec of [...this.#owners.values()]) {
      if (rec.held > 0 || (rec.holdings?.size ?? 0) > 0 || rec.ref === undefined) continue
      this.ctx.demonitor(rec.ref, { flush: true })
      this.table.dropOwner(rec)
      this.#owners.delete(rec.key)
      rec.gone = true
    }
    const old = now - 10 * Math.max(this.config.grace, this.config.timeout)
    for (const [n, q] of this.#unacked) {
      const keep = q.filter((u) => u.at >= old)
      if (keep.length === 0) this.#unacked.delete(n)
      else this.#unacked.set(n, keep)
    }
    this.#after(this.#houseInterval(), { t: TICK, k: 'house' })
  }

  #after (ms: number, msg: Tick): void {
    if (this.#disposed) return
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t)
      this.ctx.runtime.send(this.pid, msg)
    }, ms)
    this.#timers.add(t)
  }

  // ---- helpers -------------------------------------------------------------------------------------

  #owner (pid: Pid): OwnerRec {
    let rec = this.#ownersByPid.get(pid)
    if (rec === undefined || rec.gone) {
      const key = pid.key
      rec = this.#owners.get(key)
      if (rec === undefined) {
        rec = { pid, key, ref: undefined, resources: new Set(), held: 0, orphanGen: 0, holdings: undefined, gone: false }
        this.#owners.set(key, rec)
      }
      this.#ownersByPid.set(pid, rec)
    }
    if (rec.ref === undefined) rec.ref = this.ctx.monitor(pid)
    return rec
  }

  /** A pid's key, from its owner record when there is one (no string to build). */
  #keyOf (pid: Pid): string {
    const rec = this.#ownersByPid.get(pid)
    return rec !== undefined ? rec.key : pid.key
  }

  /** Members (every one, up or down), sorted; cached until a membership event. */
  #memberList (): string[] {
    if (this.#members === undefined) {
      const names: string[] = []
      for (const e of this.node.membership.entries()) if (e.state === 'member') names.push(e.node)
      if (!names.includes(this.nodeName)) names.push(this.nodeName)
      this.#members = names.sort()
    }
    return this.#members
  }

  #adoptHoldings (): void {
    for (const h of [...this.#slot.holdings.values()]) {
      const rec = this.#owner(h.owner)
      ;(rec.holdings ??= new Set()).add(h.key)
      for (const [n, g] of [...h.grants]) {
        if (n === this.nodeName && !g.equals(this.pid)) {
          // Our own table went with the previous incarnation.
          if (!this.#slot.dropGrant(h, n) && h.enforce) this.#lose(h, `${n}: locker restarted`)
        } else if (n !== this.nodeName) {
          this.#watchPeer(g)
        }
      }
    }
  }

  #kick (node: string): void {
    void this.node.connect(node).catch(() => false)
  }

  #send (node: string, op: unknown[]): void {
    let q = this.#outbox.get(node)
    if (q === undefined) this.#outbox.set(node, q = [])
    q.push(op)
    this.#queueFlush()
  }

  #reply (to: Pid, r: Reply): void {
    const key = to.key
    let box = this.#replyBox.get(key)
    if (box === undefined) this.#replyBox.set(key, box = { to, rs: [] })
    box.rs.push(r)
    this.#queueFlush()
  }

  /**
   * Everything queued goes out as one message per peer, once the messages
   * already in the mailbox are handled: a nextTick runs after the promise
   * jobs that carry the mailbox loop, so a burst is one batch, and no turn
   * of the event loop is lost.
   */
  #queueFlush (): void {
    if (this.#flushQueued) return
    this.#flushQueued = true
    process.nextTick(() => { this.#flush() })
  }

  #flush (): void {
    this.#flushQueued = false
    if (this.#disposed || !this.ctx.alive) {
      this.#outbox.clear()
      this.#replyBox.clear()
      return
    }
    for (const [node, ops] of this.#outbox) this.ctx.send({ name: this.config.name, node }, { t: 'tekka_lock', from: this.pid, ops })
    this.#outbox.clear()
    for (const { to, rs } of this.#replyBox.values()) this.ctx.send(to, { t: 'tekka_lock_reply', from: this.pid, rs })
    this.#replyBox.clear()
  }

  #nextSeq (): number {
    return ++this.#seq
  }

  #wallMicros (): number {
    return Math.floor(this.#wall() * 1000)
  }

  #event (event: LockEvent['event'], fields: Omit<LockEvent, 'type' | 'event' | 'node' | 'locker'>, level: 'debug' | 'info' | 'warn' | undefined): void {
    const e: LockEvent = { type: 'lock', event, node: this.nodeName, locker: this.config.name, ...fields }
    if (level !== undefined) {
      const { owner, ...rest } = fields
      this.#log[level](`lock ${event}`, { ...rest, ...(owner !== undefined ? { owner: owner.toString() } : {}) })
    }
    this.#slot.publish(e)
  }

  info (): LockerInfo {
    const now = this.#clock.now()
    return {
      node: this.nodeName,
      name: this.config.name,
      pid: this.pid,
      ready: { quorum: this.#ready(false), leader: this.#leaderSelf && this.#ready(true) },
      locks: [...this.table.entries()].map((e) => ({ resource: e.resource, owner: e.owner.pid, type: e.type, token: e.token, age: now - e.createdAt })),
      holdings: [...this.#slot.holdings.values()].map((h) => ({ resource: h.resource, owner: h.owner, type: h.type, token: h.token, grants: [...h.grants.keys()], need: h.need })),
      highWater: this.table.highWater
    }
  }
}

function isNodeEvent (m: unknown): m is { type: 'nodeup' | 'nodedown', node: string } {
  return typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === 'nodeup' || (m as { type?: unknown }).type === 'nodedown') &&
    typeof (m as { node?: unknown }).node === 'string'
}

function sameList (a: readonly string[] | null, b: readonly string[]): boolean {
  if (a === null || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function pickFailure (replies: Map<string, Grant>): LockFailure {
  let best = FAILURE_ORDER.length - 1
  for (const r of replies.values()) {
    if (r.ok || r.reason === undefined) continue
    const i = FAILURE_ORDER.indexOf(r.reason)
    if (i >= 0 && i < best) best = i
  }
  return FAILURE_ORDER[best]!
}

function reasonText (r: unknown): string {
  if (typeof r === 'string') return r
  if (r instanceof Error) return `${r.name}: ${r.message}`
  try { return JSON.stringify(r) ?? String(r) } catch { return String(r) }
}

function safeText (v: unknown): string {
  try { return (JSON.stringify(v) ?? String(v)).slice(0, 200) } catch { return String(v).slice(0, 200) }
}

/** The locker behaviour (state: the LockerCore of this incarnation). */
export const lockerServer: GenServer<LockerCore, LockerRequest, unknown, never, LockerArgs> = {
  init (args, ctx) {
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
