/**
 * Exit reasons and the system messages processes receive. Reasons are
 * values: the strings below, an Error (an uncaught throw, message and stack
 * kept), or anything a process passes to `exit`.
 */
import type { Pid, Ref, RemoteName } from './pid.js'

/** The process finished its function. Does not kill non-trapping links. */
export const NORMAL = 'normal'
/** Sent with `exit(pid, KILL)`: cannot be trapped; links and monitors see `killed`. */
export const KILL = 'kill'
export const KILLED = 'killed'
/** The process did not exist when linked or monitored. */
export const NOPROC = 'noproc'
/** The connection to the process's node was lost. */
export const NOCONNECTION = 'noconnection'
/** Orderly stop asked by a supervisor. */
export const SHUTDOWN = 'shutdown'

/** `{ type: 'EXIT', from, reason }`: an exit signal turned into a message by `trapExit`. */
export interface ExitMessage {
  readonly type: 'EXIT'
  readonly from: Pid
  readonly reason: unknown
}

/** `{ type: 'DOWN', ref, pid, reason }`: a monitored process has exited. */
export interface DownMessage {
  readonly type: 'DOWN'
  readonly ref: Ref
  readonly pid: Pid | RemoteName
  readonly reason: unknown
}

export function isExitMessage (m: unknown): m is ExitMessage {
  return typeof m === 'object' && m !== null && (m as ExitMessage).type === 'EXIT' && 'from' in m
}

export function isDownMessage (m: unknown): m is DownMessage {
  return typeof m === 'object' && m !== null && (m as DownMessage).type === 'DOWN' && 'ref' in m
}

/** A receive match for the DOWN message of one monitor: `await ctx.receive(downFor(ref))`. */
export function downFor (ref: Ref): (m: unknown) => m is DownMessage {
  return (m: unknown): m is DownMessage => isDownMessage(m) && m.ref.equals(ref)
}

/** A receive match for the EXIT message from one linked process. */
export function exitFrom (pid: Pid): (m: unknown) => m is ExitMessage {
  return (m: unknown): m is ExitMessage => isExitMessage(m) && m.from.equals(pid)
}

/** `{ shutdown: detail }`, a shutdown that carries a detail, as OTP's `{shutdown, Term}`. */
export function isShutdown (reason: unknown): boolean {
  return reason === SHUTDOWN || (typeof reason === 'object' && reason !== null && 'shutdown' in reason && Object.keys(reason).length === 1)
}

/** Reasons that are not failures: normal and shutdown (transient children are not restarted for them). */
export function isNormalExit (reason: unknown): boolean {
  return reason === NORMAL || isShutdown(reason)
}
