/**
 * @tekka/lock — the cluster lock service (ekka_locker for tekka).
 *
 * A locker runs on every node (the `tekka` command starts it through
 * `plugin`, from the `lock.` config keys; code starts it with
 * `createLockService(init)(components)`). A lock is owned by the process
 * that acquires it, and dies with it.
 *
 * ```ts
 * import { createLockService, acquire, release, withLock } from '@tekka/lock'
 *
 * const locks = createLockService({ lease: 15_000 })(node.components)
 * await locks.start()
 *
 * await node.run(async (ctx) => {
 *   const { ok, token } = await acquire(ctx, 'jobs/cleanup', 'quorum')
 *   if (ok) {
 *     try { await runCleanup({ fence: token }) } finally { await release(ctx, 'jobs/cleanup', 'quorum') }
 *   }
 *   // or: retry with backoff, always release
 *   await withLock(ctx, 'jobs/cleanup', ({ token }) => runCleanup({ fence: token }), { type: 'leader', timeout: 10_000 })
 * })
 * node.events.on('lock.lost', (e) => { console.log(`${e.owner} lost ${e.resource}: ${e.reason}`) })
 * ```
 *
 * `local` and `all` locks are not safe across partitions; `leader` and
 * `quorum` locks are (see the README for what they assume).
 */
import './events.js'

export { acquire, release, withLock } from './client.js'
export { createLockService } from './service.js'
export type { LockService } from './service.js'
export { lockConfig, lockerConfig } from './config.js'
export { plugin } from './plugin.js'
export { lockerInfo, subscribeLocks } from './inspect.js'
export { LOCK_EVENTS } from './events.js'
export type { LockEvent, LockEventType } from './events.js'
export { findNodes, buildRing, replicaCount, majority, resourceHash } from './ring.js'
export type { RingMember } from './ring.js'
export { LockArgumentError, LockerNotRunningError, LockTimeoutError, LockAbortedError, LOCK_ERRORS } from './errors.js'
export type { LockErrorCode } from './errors.js'
export { LOCK_TYPES, DEFAULT_LOCKER } from './types.js'
export type {
  LockType, Piggyback, PiggybackResult, LockFailure, LockResult, HeldLock, LockCallOptions, WithLockOptions,
  LockerInit, LockerComponents, LockerConfig, LockerInfo
} from './types.js'
