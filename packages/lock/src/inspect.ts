/**
 * Introspection: a snapshot of a running locker, and its events, for tests,
 * operators and apps whose lock service the `tekka` command started.
 */
import type { ProcessContext, Runtime } from '@tekka/actors'
import { LOCK_EVENTS, type LockEvent } from './events.js'
import { lockerHandle } from './slot.js'
import { DEFAULT_LOCKER, type LockerInfo } from './types.js'

type On = { runtime: Runtime } | Runtime | ProcessContext

function runtimeOf (on: On): Runtime {
  return 'scheduler' in on ? on : (on as { runtime: Runtime }).runtime
}

/** The locker `name` of a node (or runtime, or process context), if it runs. */
export function lockerInfo (on: On, name = DEFAULT_LOCKER): LockerInfo | undefined {
  return lockerHandle(runtimeOf(on), name)?.info()
}

/**
 * Calls `fn` with every event of the locker `name` on that node (across its
 * restarts; it may be called before the locker starts): a reader of the
 * node's event stream (`runtime.events`), filtered by locker. Returns the
 * unsubscribe. `fn` runs synchronously where the event happens: a
 * `lock.lost` event comes before its owner is killed.
 */
export function subscribeLocks (on: On, fn: (e: LockEvent) => void, name = DEFAULT_LOCKER): () => void {
  return runtimeOf(on).events.on(LOCK_EVENTS, (e) => { if (e.locker === name) fn(e) })
}
