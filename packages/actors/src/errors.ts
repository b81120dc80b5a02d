/**
 * tekka's one error hierarchy. Every error tekka throws is a `TekkaError`
 * with a stable `code` from a typed union, so callers can test
 * `err.code === 'ERR_NOPROC'` even across copies of the package, in logs, or
 * after the error crossed the wire. Each package declares its codes and the
 * class of each in one table (`ACTORS_ERRORS` here) and registers it; the
 * codec rebuilds a remote error from its code with `errorClassOf`, so it
 * arrives as the same class with the same code (model: undici's
 * lib/core/errors.js).
 *
 * ```ts
 * try { await call(ctx, 'counter', 'get') } catch (err) {
 *   if (err instanceof TekkaError && err.code === 'ERR_CALL_TIMEOUT') ...
 * }
 * ```
 *
 * The registry is the one piece of process-wide state here, on purpose: a
 * class table is a fact about the code loaded in this process, like
 * `Symbol.for`, and every node of the process must decode the same way.
 */
import { Pid, Ref } from './pid.js'

/** The base of every tekka error. `code` is stable; the message is for people. */
export class TekkaError<C extends string = string> extends Error {
  readonly code: C
  constructor (message: string, code: C, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A TekkaError class, as the error tables list them. */
export type TekkaErrorClass = abstract new (...args: never[]) => TekkaError

/** The codes of @tekka/actors. */
export type ActorsErrorCode =
  | 'ERR_NOPROC'
  | 'ERR_NAME_TAKEN'
  | 'ERR_CALL_TIMEOUT'
  | 'ERR_CALL_EXIT'
  | 'ERR_BAD_ARG'
  | 'ERR_PROCESS_EXITED'
  | 'ERR_START_FAILED'
  | 'ERR_BAD_RETURN'
  | 'ERR_NO_HANDLER'
  | 'ERR_CHILD_NOT_FOUND'
  | 'ERR_CHILD_RUNNING'
  | 'ERR_CHILD_RESTARTING'
  | 'ERR_CHILD_EXISTS'
  | 'ERR_TIMEOUT'

/** The addressed process does not exist (dead, never existed, or a name nobody holds). */
export class NoProcError extends TekkaError<'ERR_NOPROC'> {
  constructor (what: string) { super(`no such process: ${what}`, 'ERR_NOPROC') }
}

/** `register` of a name that another live process holds, or of a process that already has a name. */
export class NameTakenError extends TekkaError<'ERR_NAME_TAKEN'> {
  readonly registeredName: string
  constructor (name: string, message?: string) {
    super(message ?? `name already registered: ${JSON.stringify(name)}`, 'ERR_NAME_TAKEN')
    this.registeredName = name
  }
}

/** A GenServer call got no reply in time. */
export class CallTimeoutError extends TekkaError<'ERR_CALL_TIMEOUT'> {
  readonly timeout: number
  constructor (server: string, timeout: number) {
    super(`call to ${server} timed out after ${timeout} ms`, 'ERR_CALL_TIMEOUT')
    this.timeout = timeout
  }
}

/** A GenServer call failed because the server exited (or did not exist); `reason` is its exit reason. */
export class CallExitError extends TekkaError<'ERR_CALL_EXIT'> {
  readonly reason: unknown
  constructor (server: string, reason: unknown) {
    super(`call to ${server} failed: server exited with ${formatReason(reason)}`, 'ERR_CALL_EXIT')
    this.reason = reason
  }
}

/**
 * An argument the API cannot accept. `argument` names it when one is to
 * blame; packages with their own kind of bad argument extend this class and
 * keep its code, so `code === 'ERR_BAD_ARG'` finds them all.
 */
export class BadArgError extends TekkaError<'ERR_BAD_ARG'> {
  readonly argument: string | undefined
  constructor (message: string, argument?: string) {
    super(message, 'ERR_BAD_ARG')
    this.argument = argument
  }
}

/** A process that was killed is cut off: thrown out of its code at its next runtime call that cannot proceed. */
export class ProcessExitedError extends TekkaError<'ERR_PROCESS_EXITED'> {
  constructor (message = 'process has exited') { super(message, 'ERR_PROCESS_EXITED') }
}

/** A GenServer (or supervisor, or supervised child) failed to start; `reason` is why (its exit reason, or `timeout`). */
export class StartError extends TekkaError<'ERR_START_FAILED'> {
  readonly reason: unknown
  constructor (what: string, reason: unknown) {
    super(`${what} failed to start: ${reasonText(reason)}`, 'ERR_START_FAILED', reason instanceof Error ? { cause: reason } : undefined)
    this.reason = reason
  }
}

/** A callback returned something that is not a result built by reply / noreply / stop (OTP's `bad_return_value`). */
export class BadReturnError extends TekkaError<'ERR_BAD_RETURN'> {
  readonly value: unknown
  constructor (callback: string, value: unknown) {
    super(`${callback} returned a bad value: ${reasonText(value)}`, 'ERR_BAD_RETURN')
    this.value = value
  }
}

/** The server got a call or a cast but its behaviour has no handler for it. */
export class NoHandlerError extends TekkaError<'ERR_NO_HANDLER'> {
  readonly callback: string
  constructor (callback: string) {
    super(`the behaviour has no ${callback}`, 'ERR_NO_HANDLER')
    this.callback = callback
  }
}

/** No child with that id. */
export class ChildNotFoundError extends TekkaError<'ERR_CHILD_NOT_FOUND'> {
  readonly id: string
  constructor (id: string) { super(`no child ${JSON.stringify(id)}`, 'ERR_CHILD_NOT_FOUND'); this.id = id }
}

/** The child is running (restartChild, deleteChild need it stopped). */
export class ChildRunningError extends TekkaError<'ERR_CHILD_RUNNING'> {
  readonly id: string
  constructor (id: string) { super(`child ${JSON.stringify(id)} is running`, 'ERR_CHILD_RUNNING'); this.id = id }
}

/** The supervisor is retrying this child's restart. */
export class ChildRestartingError extends TekkaError<'ERR_CHILD_RESTARTING'> {
  readonly id: string
  constructor (id: string) { super(`child ${JSON.stringify(id)} is restarting`, 'ERR_CHILD_RESTARTING'); this.id = id }
}

/** startChild with an id in use: `pid` is set when that child is running (OTP's already_started), unset when it is only a spec (already_present). */
export class ChildExistsError extends TekkaError<'ERR_CHILD_EXISTS'> {
  readonly id: string
  readonly pid: Pid | undefined
  constructor (id: string, pid: Pid | undefined) {
    super(pid === undefined ? `child ${JSON.stringify(id)} is already present` : `child ${JSON.stringify(id)} is already started as ${pid}`, 'ERR_CHILD_EXISTS')
    this.id = id
    this.pid = pid
  }
}

/** A wait gave up: `what` did not happen within `timeout` ms. */
export class TimeoutError extends TekkaError<'ERR_TIMEOUT'> {
  readonly timeout: number
  constructor (what: string, timeout: number) {
    super(`${what} did not happen within ${timeout} ms`, 'ERR_TIMEOUT')
    this.timeout = timeout
  }
}

/** Every code of this package and its class: the table the codec rebuilds remote errors from. */
export const ACTORS_ERRORS = {
  ERR_NOPROC: NoProcError,
  ERR_NAME_TAKEN: NameTakenError,
  ERR_CALL_TIMEOUT: CallTimeoutError,
  ERR_CALL_EXIT: CallExitError,
  ERR_BAD_ARG: BadArgError,
  ERR_PROCESS_EXITED: ProcessExitedError,
  ERR_START_FAILED: StartError,
  ERR_BAD_RETURN: BadReturnError,
  ERR_NO_HANDLER: NoHandlerError,
  ERR_CHILD_NOT_FOUND: ChildNotFoundError,
  ERR_CHILD_RUNNING: ChildRunningError,
  ERR_CHILD_RESTARTING: ChildRestartingError,
  ERR_CHILD_EXISTS: ChildExistsError,
  ERR_TIMEOUT: TimeoutError
} as const satisfies Record<ActorsErrorCode, TekkaErrorClass>

// ---- the registry -------------------------------------------------------------

const classes = new Map<string, TekkaErrorClass>()

/**
 * Makes each class of `table` the one errors with its code are rebuilt as
 * when they arrive from another node. Each package registers its table when
 * its errors module loads; a code registered twice with another class is a
 * bug in the tables, and throws.
 */
export function registerErrors (table: Readonly<Record<string, TekkaErrorClass>>): void {
  for (const [code, Class] of Object.entries(table)) {
    const had = classes.get(code)
    if (had !== undefined && had !== Class) throw new TypeError(`error code ${code} is already ${had.name}, not ${Class.name}`)
    classes.set(code, Class)
  }
}

/** The class registered for `code`, if any. */
export function errorClassOf (code: string): TekkaErrorClass | undefined {
  return classes.get(code)
}

registerErrors(ACTORS_ERRORS)

// ---- text ----------------------------------------------------------------------

/** Short printable form of an exit reason for logs and error messages. */
export function formatReason (reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`
  if (typeof reason === 'string') return reason
  try {
    return JSON.stringify(reason) ?? String(reason)
  } catch {
    return String(reason)
  }
}

/** An exit reason with pids, refs and nested values spelled out (for messages). */
export function reasonText (r: unknown): string {
  if (r instanceof Pid || r instanceof Ref) return r.toString()
  if (typeof r !== 'object' || r === null || r instanceof Error) return formatReason(r)
  if (Array.isArray(r)) return `[${r.map(reasonText).join(', ')}]`
  return `{ ${Object.entries(r).map(([k, v]) => `${k}: ${reasonText(v)}`).join(', ')} }`
}
