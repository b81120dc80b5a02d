/**
 * The events @tekka/lock adds to a node's stream (`components.events`, the
 * runtime's EventStream), so an operator can see why a lock went away or an
 * owner was killed. The log is one reader of the stream: each event is its
 * log line, at the level given here. Every payload names its `locker` (a
 * node may run several lock spaces).
 *
 * ```ts
 * node.events.on('lock.lost', (e) => { console.log(`${e.owner} lost ${e.lockType} lock ${e.resource}: ${e.reason}`) })
 * ```
 *
 * Subscribers run synchronously where the event happens: `lock.lost` and
 * `lock.lease_kill` come before the owner is killed.
 *
 * No event is published per acquire or release: the local path takes a
 * lock in about a microsecond, and the log reads every event.
 */
import type { Pid, TekkaEvent } from '@tekka/actors'
import type { LockType } from './types.js'

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** The locker grants leader / quorum locks from now on (after its start, or after its node became the leader). Level info. */
    'lock.ready': { locker: string }
    /** A lock outlived its lease at a check: its owner is watched, and killed at the next check if it still holds it. Level warn. */
    'lock.lease_expired': { locker: string, resource: string, owner: Pid, lockType: LockType, age: number }
    /** Still held at the next check: the owner is killed (published before the kill). Level error. */
    'lock.lease_kill': { locker: string, resource: string, owner: Pid, lockType: LockType, age: number }
    /**
     * Too few of the nodes that granted a leader / quorum lock are still
     * reachable from the owner's node (or the lock service stops), so the
     * owner is killed before another owner can get the lock (published
     * before the kill). `grants` are the grants left, `need` how many it
     * needed. Level warn.
     */
    'lock.lost': { locker: string, resource: string, owner: Pid, lockType: LockType, reason: string, grants: string[], need: number }
    /** An owner died: its lock on `resource` in this node's table is freed. Level debug. */
    'lock.owner_down': { locker: string, resource: string, owner: Pid, lockType: LockType, reason: string }
    /** The link to an owner's node went down: its locks here are kept for `grace` ms, then freed unless the owner is reachable again. Level info. */
    'lock.orphaned': { locker: string, owner: Pid, reason: string }
  }
}

/** Every lock event type. */
export const LOCK_EVENTS = Object.freeze(['lock.ready', 'lock.lease_expired', 'lock.lease_kill', 'lock.lost', 'lock.owner_down', 'lock.orphaned'] as const)

export type LockEventType = typeof LOCK_EVENTS[number]

/** One lock event, as the stream delivers it (header: `type`, `node`, `time`, `level`). */
export type LockEvent = TekkaEvent<LockEventType>
