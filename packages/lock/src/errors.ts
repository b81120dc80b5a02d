/**
 * Every error of the lock service, each with a stable `code`, the union of
 * those codes, and the table the codec rebuilds them from when they cross
 * the wire (see registerErrors in @tekka/actors).
 *
 * `LockArgumentError` is a `BadArgError` and keeps its code, `ERR_BAD_ARG`:
 * that code belongs to @tekka/actors' table, so from another node it
 * arrives as a BadArgError (with the same `argument`).
 */
import { BadArgError, TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'
import type { LockResult } from './types.js'

/** The codes of @tekka/lock's own errors. */
export type LockErrorCode =
  | 'ERR_LOCKER_NOT_RUNNING'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_LOCK_ABORTED'

/** An argument the lock API cannot accept: an unknown lock type, an empty resource, a bad piggyback or option. `argument` names it. */
export class LockArgumentError extends BadArgError {
  declare readonly argument: string
  constructor (argument: string, message: string) {
    super(message, argument)
  }
}

/** No locker of that name runs on this node (the lock service is not started, or is restarting). */
export class LockerNotRunningError extends TekkaError<'ERR_LOCKER_NOT_RUNNING'> {
  readonly locker: string
  constructor (locker: string, node: string) {
    super(`no locker ${JSON.stringify(locker)} is running on ${node} (start the lock service first)`, 'ERR_LOCKER_NOT_RUNNING')
    this.locker = locker
  }
}

/** `withLock` could not acquire the lock within its timeout; `last` is the last attempt's answer. */
export class LockTimeoutError extends TekkaError<'ERR_LOCK_TIMEOUT'> {
  readonly resource: string
  readonly last: LockResult | undefined
  constructor (resource: string, timeout: number, last: LockResult | undefined) {
    super(`could not lock ${JSON.stringify(resource)} within ${timeout} ms${last?.reason !== undefined ? ` (last attempt: ${last.reason} on ${last.nodes.join(', ') || '-'})` : ''}`, 'ERR_LOCK_TIMEOUT')
    this.resource = resource
    this.last = last
  }
}

/** `withLock` was aborted by its signal before it got the lock. */
export class LockAbortedError extends TekkaError<'ERR_LOCK_ABORTED'> {
  readonly resource: string
  constructor (resource: string, options?: { cause?: unknown }) {
    super(`locking ${JSON.stringify(resource)} was aborted`, 'ERR_LOCK_ABORTED', options)
    this.resource = resource
  }
}

/** Every code of this package and its class. */
export const LOCK_ERRORS = {
  ERR_LOCKER_NOT_RUNNING: LockerNotRunningError,
  ERR_LOCK_TIMEOUT: LockTimeoutError,
  ERR_LOCK_ABORTED: LockAbortedError
} as const satisfies Record<LockErrorCode, TekkaErrorClass>

registerErrors(LOCK_ERRORS)
