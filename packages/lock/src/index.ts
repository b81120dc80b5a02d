/**
 * @tekka/lock — the cluster lock service (ekka_locker for tekka).
 *
 * A locker runs on every node (the `tekka` command starts it from the
 * `lock.` config keys; code starts it with `createLockService`). A lock is
 * owned by the process that acquires it, and dies with it.
 *
 * ```ts
 * import { createLockService, acquire, release, withLock } from '@tekka/lock'
 *
 * const locks = createLockService({ lease: 15_000 })({ node })
 * await locks.start()
 *
 * await node.run(async (ctx) => {
 *   const { ok, nodes, token } = await acquire(ctx, 'jobs/cleanup', 'quorum')
 *   if (ok) {
 *     try { await runCleanup({ fence: token }) } finally { await release(ctx, 'jobs/cleanup', 'quorum') }
 *   }
 *   // or: retry with backoff, always release
 *   await withLock(ctx, 'jobs/cleanup', ({ token }) => runCleanup({ fence: token }), { type: 'leader', timeout: 10_000 })
 * })
 * ```
 *
 * `local` and `all` locks are not safe across partitions; `leader` and
 * `quorum` locks are (see the README for what they assume).
 */
export { acquire, release, withLock } from './client.js'
export { createLockService, lockerConfig } from './service.js'
export type { LockService } from './service.js'
export { DEFAULT_LOCKER, lockerServer } from './locker.js'
export type { LockerArgs, LockerRequest } from './locker.js'
export { lockerInfo, subscribeLocks } from './inspect.js'
export { findNodes, buildRing, replicaCount, majority, resourceHash } from './ring.js'
export type { RingMember } from './ring.js'
export { LockArgumentError, LockerNotRunningError, LockTimeoutError, LockAbortedError } from './errors.js'
export { LOCK_TYPES } from './types.js'
export type {
  LockType, Piggyback, PiggybackResult, LockFailure, LockResult, HeldLock, LockCallOptions, WithLockOptions,
  LockerInit, LockerComponents, LockerConfig, LockEvent, LockEventName, LockerInfo
} from './types.js'
export { plugin } from './plugin.js'
