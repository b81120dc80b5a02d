/**
 * Named error classes with a stable `code`, so callers can test
 * `err.code === 'ERR_NOPROC'` even across copies of the package or after the
 * error crossed the wire.
 */
export class TekkaError extends Error {
  readonly code: string
  constructor (message: string, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The addressed process does not exist (dead, never existed, or a name nobody holds). */
export class NoProcError extends TekkaError {
  constructor (what: string) { super(`no such process: ${what}`, 'ERR_NOPROC') }
}

/** `register` of a name that another live process holds, or of a process that already has a name. */
export class NameTakenError extends TekkaError {
  readonly registeredName: string
  constructor (name: string, message?: string) {
    super(message ?? `name already registered: ${JSON.stringify(name)}`, 'ERR_NAME_TAKEN')
    this.registeredName = name
  }
}

/** A GenServer call got no reply in time. */
export class CallTimeoutError extends TekkaError {
  readonly timeout: number
  constructor (server: string, timeout: number) {
    super(`call to ${server} timed out after ${timeout} ms`, 'ERR_CALL_TIMEOUT')
    this.timeout = timeout
  }
}

/** A GenServer call failed because the server exited (or did not exist); `reason` is its exit reason. */
export class CallExitError extends TekkaError {
  readonly reason: unknown
  constructor (server: string, reason: unknown) {
    super(`call to ${server} failed: server exited with ${formatReason(reason)}`, 'ERR_CALL_EXIT')
    this.reason = reason
  }
}

/** An argument the API cannot accept. */
export class BadArgError extends TekkaError {
  constructor (message: string) { super(message, 'ERR_BAD_ARG') }
}

/** A process that was killed is cut off: thrown out of its code at its next runtime call that cannot proceed. */
export class ProcessExitedError extends TekkaError {
  constructor (message = 'process has exited') { super(message, 'ERR_PROCESS_EXITED') }
}

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
