/**
 * Frames from a peer, applied to the local runtime: each is checked by
 * `parseSignal` (the common case, a SEND to a local pid, is checked inline
 * without building a Signal) and handed to the runtime's RemoteInbound. The
 * signals that are the net kernel's own (RPC, NODES, BYE) are given back to
 * it, and so is a protocol error: the kernel closes that link.
 */
import { Pid, type RemoteInbound } from '@tekka/actors'
import {
  type BYE, DEMONITOR, DOWN, EXIT, EXIT2, LINK, MONITOR, type NODES, REG_SEND, type RPC_CALL, type RPC_REPLY, SEND, UNLINK,
  parseSignal, type Signal
} from './protocol.js'

/** The signals the net kernel handles itself. */
export type KernelSignal = Extract<Signal, { tag: typeof RPC_CALL | typeof RPC_REPLY | typeof NODES | typeof BYE }>

/**
 * Applies `frame` from `peer` to the runtime of node `self`. Returns
 * undefined when the runtime took it, the signal when it is the kernel's, or
 * the error that makes it a protocol error.
 */
export function applyFrame (frame: unknown, peer: string, self: string, rt: RemoteInbound): KernelSignal | Error | undefined {
  if (Array.isArray(frame) && frame.length === 4 && frame[0] === SEND) {
    const from: unknown = frame[1]
    const to: unknown = frame[2]
    if ((from === null || (from instanceof Pid && from.node === peer)) && to instanceof Pid && to.node === self) {
      rt.deliver(to, frame[3])
      return undefined
    }
  }
  let s: Signal
  try {
    s = parseSignal(frame, peer, self)
  } catch (err) {
    return err as Error
  }
  switch (s.tag) {
    case SEND: rt.deliver(s.to, s.msg); return undefined
    case REG_SEND: rt.deliver(s.to, s.msg); return undefined
    case LINK: rt.link(s.from, s.to); return undefined
    case UNLINK: rt.unlink(s.from, s.to); return undefined
    case EXIT: rt.exit(s.from, s.to, s.reason, true); return undefined
    case EXIT2: rt.exit(s.from, s.to, s.reason, false); return undefined
    case MONITOR: rt.monitor(s.watcher, s.target, s.ref); return undefined
    case DEMONITOR: rt.demonitor(s.watcher, s.target, s.ref); return undefined
    case DOWN: rt.down(s.watcher, s.ref, s.target, s.reason); return undefined
    default: return s
  }
}
