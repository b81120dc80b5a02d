/**
 * Control messages: the first term of a distribution message, a tuple whose
 * first element is the operation (erl_ext_dist's table), read into a typed
 * value, and the ones this node writes.
 *
 * Read with their fields checked: the sends (SEND, SEND_TT, SEND_SENDER(_TT),
 * REG_SEND(_TT)), LINK, UNLINK, UNLINK_ID, the exit signals (EXIT, EXIT2,
 * their _TT and PAYLOAD_ forms), MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT and
 * PAYLOAD_MONITOR_P_EXIT, SPAWN_REQUEST(_TT). The other operations of the protocol come back
 * as `{ op: 'other', code }` (the caller decides). An operation number the protocol
 * does not have, a field of the wrong type or a send without its message is
 * an ErlPacketError ERR_ERL_CONTROL.
 *
 * ```ts
 * const c = readControl(reader.read(packet))    // { op: 'send', to: ErlPid, message }
 * conn.send(passThrough(sendControl(to), msg))
 * ```
 */
import { Atom, ErlPid, ErlRef, Tuple, atom, tuple, type Term } from '../etf/terms.js'
import { ErlPacketError } from './errors.js'
import type { DistMessage } from './packet.js'

export const CONTROL = {
  LINK: 1,
  SEND: 2,
  EXIT: 3,
  UNLINK: 4,
  NODE_LINK: 5,
  REG_SEND: 6,
  GROUP_LEADER: 7,
  EXIT2: 8,
  SEND_TT: 12,
  EXIT_TT: 13,
  REG_SEND_TT: 16,
  EXIT2_TT: 18,
  MONITOR_P: 19,
  DEMONITOR_P: 20,
  MONITOR_P_EXIT: 21,
  SEND_SENDER: 22,
  SEND_SENDER_TT: 23,
  PAYLOAD_EXIT: 24,
  PAYLOAD_EXIT_TT: 25,
  PAYLOAD_EXIT2: 26,
  PAYLOAD_EXIT2_TT: 27,
  PAYLOAD_MONITOR_P_EXIT: 28,
  SPAWN_REQUEST: 29,
  SPAWN_REQUEST_TT: 30,
  SPAWN_REPLY: 31,
  SPAWN_REPLY_TT: 32,
  ALIAS_SEND: 33,
  ALIAS_SEND_TT: 34,
  UNLINK_ID: 35,
  UNLINK_ID_ACK: 36
} as const

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(CONTROL).map(([k, v]) => [v, k]))

export type Control =
  | { op: 'send', from: ErlPid | undefined, to: ErlPid, message: Term }
  | { op: 'reg_send', from: ErlPid, to: Atom, message: Term }
  | { op: 'link', from: ErlPid, to: ErlPid }
  /** UNLINK, or UNLINK_ID with its `id` (to be acknowledged). */
  | { op: 'unlink', from: ErlPid, to: ErlPid, id: Term | undefined }
  /** EXIT / EXIT2 (`link`: a linked process died; else exit/2), with or without payload and trace token. */
  | { op: 'exit', from: ErlPid, to: ErlPid, reason: Term, link: boolean }
  | { op: 'monitor', from: ErlPid, to: ErlPid | Atom, ref: ErlRef }
  | { op: 'demonitor', from: ErlPid, to: ErlPid | Atom, ref: ErlRef }
  /** MONITOR_P_EXIT: what `from` (a pid or the name monitored) ended with; `to` is the watcher. */
  | { op: 'down', from: ErlPid | Atom, to: ErlPid, ref: ErlRef, reason: Term }
  /** SPAWN_REQUEST(_TT): spawn `module:fn(args...)` for `from`; `options` as erlang:spawn_request/5 got them (link, monitor). */
  | { op: 'spawn_request', reqId: ErlRef, from: ErlPid, module: Atom, fn: Atom, args: Term, options: Term }
  | { op: 'other', code: number, name: string, control: Tuple, message: Term | undefined }

const EMPTY = atom('')

function bad (what: string): never {
  throw new ErlPacketError('ERR_ERL_CONTROL', 0, what)
}

function field<T extends Term> (c: Tuple, i: number, is: (t: Term) => t is T, what: string, op: string): T {
  const v = c.elements[i]
  if (!is(v)) bad(`${op}'s ${what} (element ${i + 1}) is not a${/^[aeiou]/.test(what) ? 'n' : ''} ${what}`)
  return v
}

const isPid = (t: Term): t is ErlPid => t instanceof ErlPid
const isAtom = (t: Term): t is Atom => t instanceof Atom
const isRef = (t: Term): t is ErlRef => t instanceof ErlRef
const isProc = (t: Term): t is ErlPid | Atom => t instanceof ErlPid || t instanceof Atom
const isAny = (_t: Term): _t is Term => true

/** The control message of `m`, its fields checked. */
export function readControl (m: DistMessage): Control {
  const c = m.control
  const code = c.elements[0]
  if (typeof code !== 'number' || NAMES[code] === undefined) bad(`an unknown operation ${String(code)} in the control message`)
  const name = NAMES[code]
  const arity = (n: number): void => { if (c.size !== n) bad(`${name} with ${c.size} elements (it has ${n})`) }
  const withMessage = (): Term => {
    if (m.message === undefined) bad(`${name} without its message`)
    return m.message
  }
  switch (code) {
    case CONTROL.SEND:
    case CONTROL.SEND_TT:
      arity(code === CONTROL.SEND ? 3 : 4)
      return { op: 'send', from: undefined, to: field(c, 2, isPid, 'pid', name), message: withMessage() }
    case CONTROL.SEND_SENDER:
    case CONTROL.SEND_SENDER_TT:
      arity(code === CONTROL.SEND_SENDER ? 3 : 4)
      return { op: 'send', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name), message: withMessage() }
    case CONTROL.REG_SEND:
    case CONTROL.REG_SEND_TT:
      arity(code === CONTROL.REG_SEND ? 4 : 5)
      return { op: 'reg_send', from: field(c, 1, isPid, 'pid', name), to: field(c, 3, isAtom, 'atom', name), message: withMessage() }
    case CONTROL.LINK:
      arity(3)
      return { op: 'link', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name) }
    case CONTROL.UNLINK:
      arity(3)
      return { op: 'unlink', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name), id: undefined }
    case CONTROL.UNLINK_ID:
      arity(4)
      return { op: 'unlink', id: c.elements[1], from: field(c, 2, isPid, 'pid', name), to: field(c, 3, isPid, 'pid', name) }
    case CONTROL.EXIT:
    case CONTROL.EXIT2:
      arity(4)
      return { op: 'exit', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name), reason: c.elements[3], link: code === CONTROL.EXIT }
    case CONTROL.EXIT_TT:
    case CONTROL.EXIT2_TT:
      arity(5)
      return { op: 'exit', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name), reason: c.elements[4], link: code === CONTROL.EXIT_TT }
    case CONTROL.PAYLOAD_EXIT:
    case CONTROL.PAYLOAD_EXIT2:
    case CONTROL.PAYLOAD_EXIT_TT:
    case CONTROL.PAYLOAD_EXIT2_TT: {
      const tt = code === CONTROL.PAYLOAD_EXIT_TT || code === CONTROL.PAYLOAD_EXIT2_TT
      arity(tt ? 4 : 3)
      return { op: 'exit', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isPid, 'pid', name), reason: withMessage(), link: code === CONTROL.PAYLOAD_EXIT || code === CONTROL.PAYLOAD_EXIT_TT }
    }
    case CONTROL.MONITOR_P:
    case CONTROL.DEMONITOR_P:
      arity(4)
      return { op: code === CONTROL.MONITOR_P ? 'monitor' : 'demonitor', from: field(c, 1, isPid, 'pid', name), to: field(c, 2, isProc, 'pid or atom', name), ref: field(c, 3, isRef, 'reference', name) }
    case CONTROL.MONITOR_P_EXIT:
      arity(5)
      return { op: 'down', from: field(c, 1, isProc, 'pid or atom', name), to: field(c, 2, isPid, 'pid', name), ref: field(c, 3, isRef, 'reference', name), reason: field(c, 4, isAny, 'term', name) }
    case CONTROL.PAYLOAD_MONITOR_P_EXIT:
      arity(4)
      return { op: 'down', from: field(c, 1, isProc, 'pid or atom', name), to: field(c, 2, isPid, 'pid', name), ref: field(c, 3, isRef, 'reference', name), reason: withMessage() }
    case CONTROL.SPAWN_REQUEST:
    case CONTROL.SPAWN_REQUEST_TT: {
      arity(code === CONTROL.SPAWN_REQUEST ? 6 : 7)
      const mfa = c.elements[4]
      if (!(mfa instanceof Tuple) || mfa.size !== 3 || !(mfa.elements[0] instanceof Atom) || !(mfa.elements[1] instanceof Atom)) bad(`${name}'s {Module, Function, Arity} is not one`)
      return { op: 'spawn_request', reqId: field(c, 1, isRef, 'reference', name), from: field(c, 2, isPid, 'pid', name), module: mfa.elements[0], fn: mfa.elements[1], args: withMessage(), options: c.elements[5] }
    }
    default:
      return { op: 'other', code, name, control: c, message: m.message }
  }
}

/** SEND's control tuple: `{2, '', To}`. */
export function sendControl (to: ErlPid): Tuple {
  return tuple(CONTROL.SEND, EMPTY, to)
}

/** REG_SEND's control tuple: `{6, From, '', ToName}`. */
export function regSendControl (from: ErlPid, to: Atom): Tuple {
  return tuple(CONTROL.REG_SEND, from, EMPTY, to)
}

/** LINK: `{1, From, To}`. */
export function linkControl (from: ErlPid, to: ErlPid): Tuple {
  return tuple(CONTROL.LINK, from, to)
}

/** UNLINK_ID `{35, Id, From, To}` (UNLINK `{4, From, To}` when `id` is undefined: a peer without DFLAG_UNLINK_ID). */
export function unlinkControl (from: ErlPid, to: ErlPid, id: Term | undefined): Tuple {
  return id === undefined ? tuple(CONTROL.UNLINK, from, to) : tuple(CONTROL.UNLINK_ID, id, from, to)
}

/** UNLINK_ID_ACK: `{36, Id, From, To}`. */
export function unlinkAckControl (id: Term, from: ErlPid, to: ErlPid): Tuple {
  return tuple(CONTROL.UNLINK_ID_ACK, id, from, to)
}

/** An exit signal: PAYLOAD_EXIT / PAYLOAD_EXIT2 `{24|26, From, To}` with the reason as the message when `payload`, else EXIT / EXIT2 `{3|8, From, To, Reason}`. */
export function exitControl (from: ErlPid, to: ErlPid, reason: Term, link: boolean, payload: boolean): { control: Tuple, message?: Term } {
  if (payload) return { control: tuple(link ? CONTROL.PAYLOAD_EXIT : CONTROL.PAYLOAD_EXIT2, from, to), message: reason }
  return { control: tuple(link ? CONTROL.EXIT : CONTROL.EXIT2, from, to, reason) }
}

/** MONITOR_P `{19, From, To, Ref}` / DEMONITOR_P `{20, ...}`; `to` a pid or a registered name. */
export function monitorControl (from: ErlPid, to: ErlPid | Atom, ref: ErlRef, demonitor = false): Tuple {
  return tuple(demonitor ? CONTROL.DEMONITOR_P : CONTROL.MONITOR_P, from, to, ref)
}

/** The monitored process is gone: PAYLOAD_MONITOR_P_EXIT `{28, From, To, Ref}` + reason when `payload`, else MONITOR_P_EXIT `{21, From, To, Ref, Reason}`. */
export function monitorExitControl (from: ErlPid | Atom, to: ErlPid, ref: ErlRef, reason: Term, payload: boolean): { control: Tuple, message?: Term } {
  if (payload) return { control: tuple(CONTROL.PAYLOAD_MONITOR_P_EXIT, from, to, ref), message: reason }
  return { control: tuple(CONTROL.MONITOR_P_EXIT, from, to, ref, reason) }
}

/** SPAWN_REPLY `{31, ReqId, To, Flags, Result}`: Flags 1 linked, 2 monitored; Result the new pid or an error atom. */
export function spawnReplyControl (reqId: ErlRef, to: ErlPid, flags: number, result: ErlPid | Atom): Tuple {
  return tuple(CONTROL.SPAWN_REPLY, reqId, to, flags, result)
}
