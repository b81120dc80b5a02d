/**
 * The lock service's contract: lock types, results, options, what it is
 * built from. Types only, no runtime dependencies (besides the list of lock
 * types). Its events are in events.ts.
 */
import type { EventStream, Pid, Runtime } from '@tekka/actors'
import type { ApplicationRegistry, MembershipView, NetView, NodeComponents, RpcService } from '@tekka/dist'

/**
 * Where a lock lives (ekka_locker's types):
 *
 * - `local`: this node's lock table. Not partition-safe (it is one node's view).
 * - `leader`: the lock table of the leader, the oldest member of the whole
 *   member list, up or down.
 * - `quorum`: the resource's replica set on the hash ring of all members (up
 *   or down); acquiring needs a majority of that set.
 * - `all`: every member that is up. Not partition-safe.
 */
export type LockType = 'local' | 'leader' | 'quorum' | 'all'

export const LOCK_TYPES: readonly LockType[] = Object.freeze(['local', 'leader', 'quorum', 'all'])

/** The name of the locker the lock functions use unless told another (`{ locker }`). */
export const DEFAULT_LOCKER = 'tekka_locker'

/**
 * A function run on each node that grants the lock, right after it granted
 * it (ekka's `{M, F, A}`): the name of an RPC function registered on every
 * node (`rpc.register(fn, impl)`), and its arguments.
 */
export interface Piggyback {
  readonly fn: string
  readonly args?: readonly unknown[]
}

/** What a piggyback returned on one node, or how it failed there (the lock is granted either way). */
export interface PiggybackResult {
  readonly node: string
  readonly ok: boolean
  readonly value?: unknown
  readonly error?: string
}

/**
 * Why an acquire failed:
 * `held` (another owner holds it), `unreachable` (a node of the lock's set
 * is not connected, or its link went down), `timeout` (no answer in time),
 * `not_ready` (a node restarted, or became leader, less than `grace` ago and
 * could not yet confirm that no lock it may have granted before is still
 * held), `not_leader` (the node asked does not think it is the leader),
 * `view` (the nodes disagree on the member list, so on the replica set).
 */
export type LockFailure = 'held' | 'unreachable' | 'timeout' | 'not_ready' | 'not_leader' | 'view'

/**
 * The answer to acquire and release (ekka's `{boolean(), [node()]}`).
 * On success `nodes` are the nodes that hold the lock (or released it); on
 * failure, the nodes that refused or could not be reached.
 */
export interface LockResult {
  readonly ok: boolean
  readonly nodes: readonly string[]
  /**
   * Fencing token of a successful acquire: strictly greater than the token
   * of every earlier successful acquire of the same resource (under the
   * assumptions in the README). Pass it to the guarded resource, which
   * rejects writes with a smaller token than one it has seen.
   */
  readonly token?: number
  /** Piggyback results, one per granting node, when a piggyback was given. */
  readonly results?: readonly PiggybackResult[]
  /** Why an acquire failed. */
  readonly reason?: LockFailure
}

/** A held lock, as `withLock` hands it to its function. */
export interface HeldLock {
  readonly resource: string
  readonly type: LockType
  readonly token: number
  readonly nodes: readonly string[]
  readonly results?: readonly PiggybackResult[]
}

export interface LockCallOptions {
  /** Name of the locker to use (default `tekka_locker`). */
  locker?: string
  /** Milliseconds to wait for the nodes of a leader / quorum / all lock (default: the locker's `timeout`). */
  timeout?: number
}

export interface WithLockOptions extends LockCallOptions {
  /** Lock type (default `local`). */
  type?: LockType
  piggyback?: Piggyback
  /** Give up acquiring after this many ms (default 5000; Infinity waits for ever). Each attempt is bounded by `attemptTimeout`. */
  timeout?: number
  /** Bound of one acquire attempt (default: the locker's timeout). */
  attemptTimeout?: number
  signal?: AbortSignal
  /** First and largest pause between attempts, in ms (default 5 and 500; doubled each time, with jitter). */
  backoff?: { min?: number, max?: number }
}

/** The user's configuration of a locker; defaults applied by `lockerConfig`. */
export interface LockerInit {
  /** Registered name of the locker process (default `tekka_locker`); several lockers with different names are independent lock spaces. */
  name?: string
  /**
   * A lock held longer than this (ms) first gets its owner watched, then, if
   * still held at the next check, killed (ekka). 0 or Infinity turns it off.
   * Default 15000 (`lock.lease`).
   */
  lease?: number
  /** How often leases are checked (ms). Default 2 × lease (`lock.lease_check`). */
  leaseCheck?: number
  /**
   * Safety margin in ms, default 2 × the node's tick time: how long a node
   * keeps the leader / quorum locks of an owner whose node it lost before
   * freeing them, and how long a restarted locker (or a new leader) refuses
   * leader / quorum locks unless every member confirms earlier that it holds
   * nothing granted by the previous one. Must exceed the time a node needs to
   * notice a lost link (1.25 × tick time, more for one-way partitions).
   * 0 turns the safety off (ekka's behaviour).
   */
  grace?: number
  /** Bound (ms) of one leader / quorum / all acquire or release, unless the call gives its own. Default 5000. */
  timeout?: number
}

/**
 * What a locker is built from (two-step construction: init, then
 * components): the parts of the node's `NodeComponents` it uses, so
 * `node.components` fits, and so does an in-memory stand-in. Leases, grace
 * periods and timeouts read `clock`.
 */
export interface LockerComponents {
  readonly node: Pick<NodeComponents['node'], 'name'>
  readonly clock: NodeComponents['clock']
  readonly logger: NodeComponents['logger']
  /** Where its events go (see events.ts); node up / down and membership changes come from here too. */
  readonly events: EventStream
  /** The node's processes, and its named tables (the locker's slot: see slot.ts). */
  readonly runtime: Runtime
  readonly net: Pick<NetView, 'isConnected' | 'connect' | 'tickTime'>
  /** Runs piggybacks. */
  readonly rpc: Pick<RpcService, 'call'>
  readonly membership: Pick<MembershipView, 'leader' | 'nodelist'>
  /** The service registers itself, so autoheal stops and starts it. */
  readonly applications: Pick<ApplicationRegistry, 'register' | 'unregister'>
  /**
   * Milliseconds since the epoch, with a fraction: seeds fencing tokens so a
   * restarted node (which forgot its counters) still issues larger ones.
   * Default `performance.timeOrigin + performance.now()`.
   */
  readonly wallClock?: () => number
}

/** Config with defaults applied. */
export interface LockerConfig {
  readonly name: string
  readonly lease: number
  readonly leaseCheck: number
  readonly grace: number
  readonly timeout: number
}

/** A snapshot of one locker, for tests and operators. */
export interface LockerInfo {
  readonly node: string
  readonly name: string
  readonly pid: Pid
  readonly ready: { readonly quorum: boolean, readonly leader: boolean }
  /** This node's lock table. */
  readonly locks: ReadonlyArray<{ resource: string, owner: Pid, type: LockType, token: number, age: number }>
  /** Leader / quorum / all locks held by owners on this node, with the nodes that granted them. */
  readonly holdings: ReadonlyArray<{ resource: string, owner: Pid, type: LockType, token: number, grants: string[], need: number }>
  /** Highest fencing token this locker has issued or seen. */
  readonly highWater: number
  /** Acquires by owners on this node since the service started, by type: granted and refused (counters, across locker restarts). */
  readonly acquires: { readonly ok: Readonly<Record<LockType, number>>, readonly failed: Readonly<Record<LockType, number>> }
}
