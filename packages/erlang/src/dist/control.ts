/**
 * Control messages: the first term of a distribution message, a tuple whose
 * first element is the operation (erl_ext_dist's table), read into a typed
 * value, and the ones this node writes.
 *
 * Read with their fields checked: SEND (2), SEND_TT (12), SEND_SENDER (22),
 * SEND_SENDER_TT (23), REG_SEND (6), REG_SEND_TT (16). The other operations
 * of the protocol come back as `{ op: 'other', code }` (the caller decides;
 * links and monitors are not bridged yet). An operation number the protocol
 * does not have, a field of the wrong type or a send without its message is
 * an ErlPacketError ERR_ERL_CONTROL.
 *
 * ```ts
 * const c = readControl(reader.read(packet))    // { op: 'send', to: ErlPid, message }
 * conn.send(passThrough(sendControl(to), msg))
 * ```
 */
import { Atom, ErlPid, type Tuple, atom, tuple, type Term } from '../etf/terms.js'
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
