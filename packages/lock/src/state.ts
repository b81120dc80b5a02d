/**
 * The state of one locker incarnation, and the small operations every part
 * of it uses (owner records, the member list, timers, sending). The parts
 * that handle its messages are functions over this state, one concern per
 * file:
 *
 * - acquire.ts, release.ts: a caller's leader / quorum / all request, from
 *   the targets to the answer (the owner side);
 * - grants.ts: ops from peer lockers: grants, releases, settles (the table side);
 * - peers.ts: replies from peer lockers, and a peer locker or node going down (rule 1);
 * - owners.ts: an owner going down, or out of reach (rule 2);
 * - readiness.ts: when a new incarnation or a new leader may grant (rule 3);
 * - housekeeping.ts: request deadlines, leases, forgetting idle owners;
 * - locker.ts: the GenServer that puts them together, and the local fast path.
 */
import type { Clock, EventStream, Logger, Pid, ProcessContext, Ref, Timer } from '@tekka/actors'
import { Outbox } from './outbox.js'
import { RELEASE, RESPONSE, type LockerRefusal, type ResponseMsg } from './protocol.js'
import { RingCache } from './ring.js'
import type { Holding, Slot } from './slot.js'
import { LockTable, type OwnerRec } from './table.js'
import type { LockFailure, LockResult, LockType, LockerComponents, LockerConfig, Piggyback, PiggybackResult } from './types.js'

/** What a locker process is started with. */
export interface LockerArgs {
  readonly config: LockerConfig
  readonly components: LockerComponents
  readonly log: Logger
  readonly wallClock: () => number
  /** Where the lock functions find this locker, and what outlives its incarnations. */
  readonly slot: Slot
}

/** Who asked: where the answer goes. */
export interface Caller { readonly pid: Pid, readonly ref: Ref }

/** One target's answer to an acquire. */
export interface Grant {
  readonly ok: boolean
  readonly token?: number
  readonly reason?: LockFailure
  readonly granter?: Pid
  readonly pb?: PiggybackResult | null
}

export interface PendingAcquire {
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

export interface PendingRelease {
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

export type Pending = PendingAcquire | PendingRelease

/** A peer locker that granted locks to owners here, and this locker's monitor on it. */
export interface Peer { readonly pid: Pid, readonly ref: Ref }

/** A release a node did not hear, to send again when it is back. */
interface Unacked { readonly op: unknown[], readonly at: number }

/** Messages a locker sends itself (timers, events of the node, piggyback results). */
export const TICK = 'tekka_lock_tick'
export type Tick =
  | { t: typeof TICK, k: 'deadline' }
  | { t: typeof TICK, k: 'house' }
  | { t: typeof TICK, k: 'sync' }
  | { t: typeof TICK, k: 'ready', leader: boolean, gen: number }
  | { t: typeof TICK, k: 'orphan', key: string, gen: number }
  | { t: typeof TICK, k: 'pb', to: Pid | null, id: number, token: number, result: PiggybackResult }
  | { t: typeof TICK, k: 'members' }
  | { t: typeof TICK, k: 'node', up: boolean, node: string }

export const isTick = (m: unknown): m is Tick => typeof m === 'object' && m !== null && (m as Tick).t === TICK

const MAX_UNACKED = 10_000

/** Rule 3's state (see readiness.ts). */
export interface Readiness {
  startGraceOver: boolean
  readonly confirmed: Set<string>
  leaderSelf: boolean
  leaderGen: number
  leaderGraceOver: boolean
  readonly leaderConfirmed: Set<string>
  readonly syncs: Map<number, { node: string, leaderGen: number | undefined }>
  syncTimer: Timer | undefined
  announced: boolean
}

export class LockerState {
  readonly ctx: ProcessContext
  readonly pid: Pid
  readonly nodeName: string
  readonly config: LockerConfig
  readonly table = new LockTable()
  readonly clock: Clock
  readonly log: Logger
  readonly events: EventStream
  readonly net: LockerComponents['net']
  readonly membership: LockerComponents['membership']
  readonly rpc: LockerComponents['rpc']
  readonly wall: () => number
  readonly slot: Slot
  readonly selfNodes: readonly string[]
  readonly owners = new Map<string, OwnerRec>()
  /** The same records by pid object: a caller passes its own `ctx.self` every time, so no key is built on the fast path. */
  readonly ownersByPid = new WeakMap<Pid, OwnerRec>()
  readonly peers = new Map<string, Peer>()
  /** Pid objects known to be in `peers` (a fast path; peerDown clears it). */
  watched = new WeakSet<Pid>()
  readonly pendings = new Map<number, Pending>()
  readonly outbox: Outbox
  readonly unacked = new Map<string, Unacked[]>()
  readonly ring = new RingCache()
  readonly timers = new Set<Timer>()
  members: string[] | undefined
  membersQueued = false
  seq: number
  deadlineTimer: Timer | undefined
  armedAt = Infinity
  disposed = false
  readonly readiness: Readiness

  constructor (ctx: ProcessContext, args: LockerArgs) {
    const c = args.components
    this.ctx = ctx
    this.pid = ctx.self
    this.nodeName = c.node.name
    this.config = args.config
    this.clock = c.clock
    this.log = args.log
    this.events = c.events
    this.net = c.net
    this.membership = c.membership
    this.rpc = c.rpc
    this.wall = args.wallClock
    this.slot = args.slot
    this.selfNodes = Object.freeze([this.nodeName])
    this.outbox = new Outbox(ctx, args.config.name)
    // Ids of this incarnation's requests start from the wall clock, so they
    // do not repeat an earlier incarnation's (replicas match releases by id).
    this.seq = Math.floor(this.wall() * 1000)
    // Seeded from the wall clock: tokens stay above an earlier incarnation's.
    this.table.raise(this.seq)
    this.readiness = {
      startGraceOver: this.config.grace <= 0,
      confirmed: new Set(),
      leaderSelf: false,
      leaderGen: 0,
      leaderGraceOver: true,
      leaderConfirmed: new Set(),
      syncs: new Map(),
      syncTimer: undefined,
      announced: false
    }
  }

  /** The record of owner `pid`, made (and monitored) if need be. */
  owner (pid: Pid): OwnerRec {
    let rec = this.ownersByPid.get(pid)
    if (rec === undefined || rec.gone) {
      const key = pid.key
      rec = this.owners.get(key)
      if (rec === undefined) {
        rec = { pid, key, ref: undefined, resources: new Set(), held: 0, orphanGen: 0, holdings: undefined, gone: false }
        this.owners.set(key, rec)
      }
      this.ownersByPid.set(pid, rec)
    }
    if (rec.ref === undefined) rec.ref = this.ctx.monitor(pid)
    return rec
  }

  /** A pid's key, from its owner record when there is one (no string to build). */
  keyOf (pid: Pid): string {
    const rec = this.ownersByPid.get(pid)
    return rec !== undefined ? rec.key : pid.key
  }

  /** Members (every one, up or down), sorted; cached until a membership event. */
  memberList (): string[] {
    if (this.members === undefined) {
      const names = [...this.membership.nodelist()]
      if (!names.includes(this.nodeName)) names.push(this.nodeName)
      this.members = names.sort()
    }
    return this.members
  }

  /** `msg` to this locker in `ms`, unless it is gone by then. */
  after (ms: number, msg: Tick): void {
    if (this.disposed) return
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t)
      this.ctx.runtime.send(this.pid, msg)
    }, ms)
    this.timers.add(t)
  }

  /** One timer for every pending request: armed for the earliest deadline. */
  arm (deadline: number): void {
    if (deadline >= this.armedAt) return
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer)
    this.armedAt = deadline
    this.deadlineTimer = this.clock.setTimeout(() => {
      this.deadlineTimer = undefined
      this.ctx.runtime.send(this.pid, { t: TICK, k: 'deadline' } satisfies Tick)
    }, Math.max(0, deadline - this.clock.now()))
  }

  answer (to: Caller, result: LockResult | LockerRefusal): void {
    this.ctx.send(to.pid, { t: RESPONSE, ref: to.ref, result } satisfies ResponseMsg)
  }

  send (node: string, op: unknown[]): void {
    this.outbox.send(node, op)
  }

  nextSeq (): number {
    return ++this.seq
  }

  wallMicros (): number {
    return Math.floor(this.wall() * 1000)
  }

  /** Dials `node` without waiting: a request that found it unconnected fails, the next one may not. */
  kick (node: string): void {
    void this.net.connect(node).catch(() => false)
  }

  /** Sends a release that wants no answer; kept to send again when the node comes back if it is not connected. */
  releaseOn (t: string, resource: string, owner: Pid, seq: number, retry: boolean): void {
    if (t === this.nodeName) {
      this.table.release(resource, owner.key, seq)
      return
    }
    const op = [RELEASE, 0, resource, owner, seq]
    if (this.net.isConnected(t)) this.send(t, op)
    else if (retry && seq !== 0) this.queueUnacked(t, op)
  }

  queueUnacked (node: string, op: unknown[]): void {
    let q = this.unacked.get(node)
    if (q === undefined) this.unacked.set(node, q = [])
    if (q.length >= MAX_UNACKED) q.shift()
    q.push({ op, at: this.clock.now() })
  }

  dropHolding (h: Holding): void {
    this.slot.removeHolding(h)
    this.owners.get(h.ownerKey)?.holdings?.delete(h.key)
  }

  /** Watches a locker that granted a lock to an owner here: if it or its node goes, the grant goes (rule 1). */
  watchPeer (pid: Pid): void {
    // Pids read from the wire are cached objects: most replies come from one already watched.
    if (this.watched.has(pid)) return
    const key = pid.key
    if (!this.peers.has(key)) this.peers.set(key, { pid, ref: this.ctx.monitor(pid) })
    this.watched.add(pid)
  }
}

export function reasonText (r: unknown): string {
  if (typeof r === 'string') return r
  if (r instanceof Error) return `${r.name}: ${r.message}`
  try { return JSON.stringify(r) ?? String(r) } catch { return String(r) }
}
