/**
 * Named errors of the lock service, each with a stable `code`.
 */
import { BadArgError, TekkaError } from '@tekka/actors'
import type { LockResult } from './types.js'

/** An argument the lock API cannot accept: an unknown lock type, an empty resource, a bad piggyback or option. */
export class LockArgumentError extends BadArgError {
  override readonly code = 'ERR_LOCK_BAD_ARG'
  readonly argument: string
  constructor (argument: string, message: string) {
    super(message)
    this.argument = argument
  }
}

/** No locker of that name runs on this node (the lock service is not started, or is restarting). */
export class LockerNotRunningError extends TekkaError {
  readonly locker: string
  constructor (locker: string, node: string) {
    super(`no locker ${JSON.stringify(locker)} is running on ${node} (start the lock service first)`, 'ERR_LOCKER_NOT_RUNNING')
    this.locker = locker
  }
}

/** `withLock` could not acquire the lock within its timeout; `last` is the last attempt's answer. */
export class LockTimeoutError extends TekkaError {
  readonly resource: string
  readonly last: LockResult | undefined
  constructor (resource: string, timeout: number, last: LockResult | undefined) {
    super(`could not lock ${JSON.stringify(resource)} within ${timeout} ms${last?.reason !== undefined ? ` (last attempt: ${last.reason} on ${last.nodes.join(', ') || '-'})` : ''}`, 'ERR_LOCK_TIMEOUT')
    this.resource = resource
    this.last = last
  }
}

/** `withLock` was aborted by its signal before it got the lock. */
export class LockAbortedError extends TekkaError {
  readonly resource: string
  constructor (resource: string, options?: { cause?: unknown }) {
    super(`locking ${JSON.stringify(resource)} was aborted`, 'ERR_LOCK_ABORTED', options)
    this.resource = resource
  }
}
