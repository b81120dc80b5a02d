/**
 * The signals nodes exchange once a link is up, as compact arrays
 * `[tag, ...fields]`. Everything read from a peer is checked here before the
 * kernel acts on it: a frame of the wrong shape, an unknown tag, or a signal
 * that claims to come from a process of a third node is a protocol error,
 * and the kernel closes that link (and only that link).
 */
import { Pid, Ref, type RemoteName } from '@tekka/actors'
import { ProtocolError } from './errors.js'

export const SEND = 1
export const REG_SEND = 2
export const LINK = 3
export const UNLINK = 4
export const EXIT = 5
export const EXIT2 = 6
export const MONITOR = 7
export const DEMONITOR = 8
export const DOWN = 9
export const RPC_CALL = 10
export const RPC_REPLY = 11
export const NODES = 12
export const BYE = 13

export type Signal =
  | { tag: typeof SEND, from: Pid | null, to: Pid, msg: unknown }
  | { tag: typeof REG_SEND, from: Pid | null, to: string, msg: unknown }
  | { tag: typeof LINK | typeof UNLINK, from: Pid, to: Pid }
  | { tag: typeof EXIT | typeof EXIT2, from: Pid, to: Pid, reason: unknown }
  | { tag: typeof MONITOR | typeof DEMONITOR, watcher: Pid, target: Pid | RemoteName, ref: Ref }
  | { tag: typeof DOWN, watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown }
  | { tag: typeof RPC_CALL, id: number, fn: string, args: unknown[] }
  | { tag: typeof RPC_REPLY, id: number, ok: boolean, value: unknown }
  | { tag: typeof NODES, nodes: string[] }
  | { tag: typeof BYE }

const isPid = (v: unknown): v is Pid => v instanceof Pid
const isRef = (v: unknown): v is Ref => v instanceof Ref

/** A received value for an error message: short, and never throwing (JSON.stringify throws on a BigInt). */
function show (v: unknown): string {
  let s: string
  try {
    s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v)
  } catch {
    s = typeof v
  }
  return s.length > 40 ? `${s.slice(0, 40)}...` : s
}

function bad (what: string, frame: unknown[]): never {
  throw new ProtocolError(`malformed ${what} signal (${frame.length} fields)`)
}

function fromPeer (pid: Pid, peer: string, what: string): Pid {
  if (pid.node !== peer) throw new ProtocolError(`${what} signal from ${pid}, which is not a process of ${peer}`)
  return pid
}

function toLocal (pid: Pid, local: string, what: string): Pid {
  if (pid.node !== local) throw new ProtocolError(`${what} signal addressed to ${pid}, which is not a process of ${local}`)
  return pid
}

function target (v: unknown, local: string, what: string, frame: unknown[]): Pid | RemoteName {
  if (isPid(v)) return toLocal(v, local, what)
  if (typeof v === 'string' && v.length > 0) return { name: v, node: local }
  return bad(what, frame)
}

/**
 * Checks a frame received from `peer` by node `local` and returns it as a
 * Signal. Throws ProtocolError for anything else.
 */
export function parseSignal (frame: unknown, peer: string, local: string): Signal {
  if (!Array.isArray(frame) || frame.length === 0) throw new ProtocolError('a signal must be a non-empty array')
  const f = frame as unknown[]
  switch (f[0]) {
    case SEND: {
      if (f.length !== 4 || !(f[1] === null || isPid(f[1])) || !isPid(f[2])) bad('SEND', f)
      return { tag: SEND, from: f[1] === null ? null : fromPeer(f[1], peer, 'SEND'), to: toLocal(f[2], local, 'SEND'), msg: f[3] }
    }
    case REG_SEND: {
      if (f.length !== 4 || !(f[1] === null || isPid(f[1])) || typeof f[2] !== 'string') bad('REG_SEND', f)
      return { tag: REG_SEND, from: f[1] === null ? null : fromPeer(f[1], peer, 'REG_SEND'), to: f[2], msg: f[3] }
    }
    case LINK:
    case UNLINK: {
      const what = f[0] === LINK ? 'LINK' : 'UNLINK'
      if (f.length !== 3 || !isPid(f[1]) || !isPid(f[2])) bad(what, f)
      return { tag: f[0], from: fromPeer(f[1], peer, what), to: toLocal(f[2], local, what) }
    }
    case EXIT:
    case EXIT2: {
      const what = f[0] === EXIT ? 'EXIT' : 'EXIT2'
      if (f.length !== 4 || !isPid(f[1]) || !isPid(f[2])) bad(what, f)
      return { tag: f[0], from: fromPeer(f[1], peer, what), to: toLocal(f[2], local, what), reason: f[3] }
    }
    case MONITOR:
    case DEMONITOR: {
      const what = f[0] === MONITOR ? 'MONITOR' : 'DEMONITOR'
      if (f.length !== 4 || !isPid(f[1]) || !isRef(f[3])) bad(what, f)
      const ref = f[3]
      if (ref.node !== peer) throw new ProtocolError(`${what} with reference ${ref} not made by ${peer}`)
      return { tag: f[0], watcher: fromPeer(f[1], peer, what), target: target(f[2], local, what, f), ref }
    }
    case DOWN: {
      if (f.length !== 5 || !isPid(f[1]) || !isRef(f[2])) bad('DOWN', f)
      const t = f[3]
      let tgt: Pid | RemoteName
      if (isPid(t)) tgt = fromPeer(t, peer, 'DOWN')
      else if (typeof t === 'string' && t.length > 0) tgt = { name: t, node: peer }
      else bad('DOWN', f)
      return { tag: DOWN, watcher: toLocal(f[1], local, 'DOWN'), ref: f[2], target: tgt, reason: f[4] }
    }
    case RPC_CALL: {
      if (f.length !== 4 || !Number.isSafeInteger(f[1]) || typeof f[2] !== 'string' || !Array.isArray(f[3])) bad('RPC_CALL', f)
      return { tag: RPC_CALL, id: f[1] as number, fn: f[2], args: f[3] as unknown[] }
    }
    case RPC_REPLY: {
      if (f.length !== 4 || !Number.isSafeInteger(f[1]) || typeof f[2] !== 'boolean') bad('RPC_REPLY', f)
      return { tag: RPC_REPLY, id: f[1] as number, ok: f[2], value: f[3] }
    }
    case NODES: {
      if (f.length !== 2 || !Array.isArray(f[1]) || !(f[1] as unknown[]).every((n) => typeof n === 'string')) bad('NODES', f)
      return { tag: NODES, nodes: f[1] as string[] }
    }
    case BYE:
      if (f.length !== 1) bad('BYE', f)
      return { tag: BYE }
    default:
      throw new ProtocolError(`unknown signal tag ${show(f[0])}`)
  }
}

/** How a monitor target travels: a pid, or the bare registered name (its node is implied). */
export function wireTarget (t: Pid | RemoteName): Pid | string {
  return t instanceof Pid ? t : t.name
}
