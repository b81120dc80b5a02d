/**
 * A tekka runtime on Erlang's distribution: an ErlDistNode whose packets are
 * read into control messages and delivered to the runtime's processes, and
 * the runtime's sends to Erlang pids and `{ name, node }` written as SEND and
 * REG_SEND. Plus what erl expects of any node: a `net_kernel` that answers
 * `is_auth`, so `net_adm:ping/1` gives pong, and `ping(peer)` the other way.
 *
 * ```ts
 * const node = await startErlangNode({ name: 'tk@127.0.0.1', cookie: 'secret' })
 * node.runtime.spawn(async (ctx) => { const m = await ctx.receive(); ... }, { name: 'box' })  // erl: {box, 'tk@127.0.0.1'} ! hello
 * await node.ping('e1@127.0.0.1')                      // 'pong'
 * node.runtime.send({ name: 'logger', node: 'e1@127.0.0.1' }, tuple(atom('hi'), 1))
 * await node.stop()
 * ```
 *
 * - The runtime is the node's (`runtime` given: its node name must be this
 *   name, and it must have no router yet: a tekka node on both protocols at
 *   once is not built yet). Without one, a runtime is made with the Erlang
 *   creation, so pids print the same on both sides.
 * - Messages cross as the ETF mapping gives them, with pids and references
 *   mapped as ./mapping.ts says. A message with no Erlang term throws
 *   EtfEncodeError in the sender's `ctx.send`.
 * - A send to a node with no link dials it first (as erl connects on demand);
 *   messages wait, in order, and are dropped if the dial fails.
 * - A packet that cannot be read closes that link with reason `bad_packet`
 *   (logged, and emitted as 'bad_packet' with the ErlPacketError); the node
 *   keeps serving. A send to a pid or name that is not there is dropped, as
 *   in Erlang.
 * - `registerRpc(module, fn, impl)`: rpc:call / erpc:call from erl (a
 *   SPAWN_REQUEST of erpc:execute_call) runs impl; other spawns: notsup.
 * - Links, exit signals and monitors cross both ways (LINK, UNLINK_ID and its
 *   ack, EXIT / EXIT2 with payload, MONITOR_P, DEMONITOR_P,
 *   MONITOR_P_EXIT) and the runtime applies Erlang's exit-signal rules. A
 *   reason crosses as an atom when it is a string (`'normal'`, `'kill'`),
 *   an Error as `{error, <<Message>>}`, anything else as its term. A link or
 *   monitor to a node with no link up gets `noconnection` at once; losing a
 *   link is `noconnection` to every link and monitor across it.
 */
import { EventEmitter } from 'node:events'
import {
  BadArgError, NOCONNECTION, Pid, Ref, TIMEOUT, createRuntime, silentLogger,
  type Logger, type RemoteInbound, type RemoteName, type RemoteRouter, type Runtime
} from '@tekka/actors'
import { Atom, type ErlPid, Tuple, atom, tuple, type Term } from '../etf/terms.js'
import type { ErlConnection, ErlCloseReason } from '../dist/connection.js'
import { exitControl, linkControl, monitorControl, monitorExitControl, readControl, regSendControl, sendControl, spawnReplyControl, unlinkAckControl, unlinkControl, type Control } from '../dist/control.js'
import { ErlPacketError } from '../dist/errors.js'
import { DEFAULT_DFLAGS, DFLAG } from '../dist/flags.js'
import { startErlDist, type ErlDistNode, type ErlDistNodeOptions } from '../dist/node.js'
import { PacketReader, encodeMessage, packetOf, type EncodedMessage } from '../dist/packet.js'
import { ForeignRef, PidMapping } from './mapping.js'

export interface ErlangNodeOptions extends Omit<ErlDistNodeOptions, 'onFrame'> {
  /** The runtime to attach (its node must be `name`, with no router yet). Default: a new one. */
  runtime?: Runtime
  /** Fragmented messages in flight per link. Default 64. */
  maxFragmented?: number
}

export interface ErlangNodeEvents {
  bad_packet: [peer: string, err: ErlPacketError]
}

/** What this node advertises by default: DEFAULT_DFLAGS, the atom cache in distribution headers, fragments, spawn requests (erpc). */
export const ERLANG_NODE_DFLAGS = DEFAULT_DFLAGS | DFLAG.DIST_HDR_ATOM_CACHE | DFLAG.FRAGMENTS | DFLAG.SPAWN

const GEN_CALL = atom('$gen_call')
const IS_AUTH = atom('is_auth')
const YES = atom('yes')
const NET_KERNEL = 'net_kernel'
const ERPC = atom('erpc')
const EXECUTE_CALL = atom('execute_call')
/** An exit reason `{'$erl', Term}` crosses as Term (an rpc answer built here). */
const ERL_REASON = atom('$erl')

export class ErlangNode extends EventEmitter<ErlangNodeEvents> {
  readonly name: string
  readonly dist: ErlDistNode
  readonly runtime: Runtime
  readonly #mapping: PidMapping
  readonly #inbound: RemoteInbound
  readonly #logger: Logger
  /** Packets waiting for a link being dialled, per peer. */
  readonly #queued = new Map<string, EncodedMessage[]>()
  #netKernel: Pid | undefined
  #unlinkId = 1
  readonly #rpcs = new Map<string, (...args: unknown[]) => unknown>()

  /** @internal use startErlangNode */
  constructor (dist: ErlDistNode, runtime: Runtime, opts: ErlangNodeOptions) {
    super()
    this.name = dist.name
    this.dist = dist
    this.runtime = runtime
    this.#logger = opts.logger ?? silentLogger('tekka:erlang:node')
    this.#mapping = new PidMapping({ node: this.name, erlCreation: dist.creation, tekkaCreation: runtime.creation })
    this.#inbound = runtime.attachRouter(this.#router())
    for (const peer of dist.nodes()) { const c = dist.connection(peer); if (c !== undefined) this.#attach(peer, c, opts) }
    dist.on('nodeup', (peer, conn) => { this.#attach(peer, conn, opts) })
    dist.on('nodedown', (peer, reason) => { this.#down(peer, reason) })
    this.#netKernel = this.#startNetKernel()
  }

  /** erl's net_adm:ping/1: 'pong' when `peer` is reachable and its net_kernel answers is_auth within `timeout` ms (default 5000), else 'pang'. */
  async ping (peer: string, opts: { timeout?: number } = {}): Promise<'pong' | 'pang'> {
    try {
      await this.dist.connect(peer)
    } catch (err) {
      this.#logger.debug('ping: no link', { peer, error: (err as Error).message })
      return 'pang'
    }
    return await this.runtime.run(async (ctx) => {
      const ref = ctx.makeRef()
      ctx.send({ name: NET_KERNEL, node: peer }, tuple(GEN_CALL, tuple(ctx.self as unknown as Term, ref as unknown as Term), tuple(IS_AUTH, atom(this.name))))
      const isReply = (m: unknown): m is Tuple => m instanceof Tuple && m.size === 2 && ref.equals(m.elements[0])
      const reply = await ctx.receive(isReply, { timeout: opts.timeout ?? 5000 })
      return reply !== TIMEOUT && reply.elements[1] === YES ? 'pong' : 'pang'
    })
  }

  /** Stops the distribution (every link closes) and detaches from the runtime. */
  async stop (): Promise<void> {
    await this.dist.stop()
    if (this.#netKernel !== undefined) this.runtime.exit(this.#netKernel, 'kill')
    this.#netKernel = undefined
    this.#inbound.detach()
  }

  #router (): RemoteRouter {
    const m = this.#mapping
    return {
      send: (from, to, msg) => { this.#send(from, to, msg); return undefined },
      link: (from, to) => {
        if (!this.#signal(to.node, () => ({ control: linkControl(m.pidToErlang(from), m.pidToErlang(to)) }))) this.#inbound.exit(to, from, NOCONNECTION, true)
      },
      unlink: (from, to) => {
        this.#signal(to.node, (c) => ({ control: unlinkControl(m.pidToErlang(from), m.pidToErlang(to), (c.flags & DFLAG.UNLINK_ID) !== 0n ? this.#unlinkId++ : undefined) }))
      },
      exit: (from, to, reason, link) => {
        this.#signal(to.node, (c) => exitControl(m.pidToErlang(from), m.pidToErlang(to), this.#reasonOut(reason), link, (c.flags & DFLAG.EXIT_PAYLOAD) !== 0n))
      },
      monitor: (watcher, target, ref) => {
        if (!this.#signal(target.node, () => ({ control: monitorControl(m.pidToErlang(watcher), this.#proc(target), m.refToErlang(ref)) }))) this.#inbound.down(watcher, ref, target, NOCONNECTION)
      },
      demonitor: (watcher, target, ref) => {
        this.#signal(target.node, () => ({ control: monitorControl(m.pidToErlang(watcher), this.#proc(target), m.refToErlang(ref), true) }))
      },
      down: (watcher, ref, target, reason) => {
        this.#signal(watcher.node, (c) => monitorExitControl(this.#proc(target), m.pidToErlang(watcher), m.refToErlang(ref), this.#reasonOut(reason), (c.flags & DFLAG.EXIT_PAYLOAD) !== 0n))
      }
    }
  }

  #proc (p: Pid | RemoteName): ErlPid | Atom {
    return p instanceof Pid ? this.#mapping.pidToErlang(p) : atom(p.name)
  }

  /** An exit reason for Erlang: `{'$erl', T}` is the term T as it is (the erpc answers); a string is the atom (`'normal'` is normal), an Error `{error, <<Message>>}`, the rest its term (an atom naming it if it has none). */
  #reasonOut (reason: unknown): Term {
    if (typeof reason === 'string') return atom(reason)
    if (reason instanceof Tuple && reason.size === 2 && reason.elements[0] === ERL_REASON) return reason.elements[1]
    if (reason instanceof Error) return tuple(atom('error'), Buffer.from(reason.message))
    const t = this.#mapping.toErlang(reason)
    try { encodeMessage(tuple(0), t) } catch { return atom(String(reason)) }
    return t
  }

  /** An exit reason from Erlang: an atom is its name (the tekka reasons are strings), the rest the term. */
  #reasonIn (t: Term): unknown {
    return t instanceof Atom ? t.name : this.#mapping.toTekka(t)
  }

  /** A link, exit or monitor signal to `peer` over its link, built for that link's flags; false when there is no link (never throws: the runtime calls this as processes end). */
  #signal (peer: string, build: (conn: ErlConnection) => { control: Tuple, message?: Term }): boolean {
    const conn = this.dist.connection(peer)
    if (conn === undefined || this.#queued.has(peer)) return false
    try {
      const { control, message } = build(conn)
      return conn.send(packetOf(encodeMessage(control, message), withHeader(conn)))
    } catch (err) {
      this.#logger.warn('erlang signal not sent', { peer, error: (err as Error).message })
      return false
    }
  }

  #send (from: Pid | undefined, to: Pid | RemoteName, msg: unknown): void {
    const message = this.#mapping.toErlang(msg)
    const packet = to instanceof Pid
      ? encodeMessage(sendControl(this.#mapping.pidToErlang(to)), message)
      : encodeMessage(regSendControl(this.#mapping.pidToErlang(from ?? this.runtime.rootPid), atom(to.name)), message)
    const peer = to.node
    const conn = this.dist.connection(peer)
    const queued = this.#queued.get(peer)
    if (conn !== undefined && queued === undefined) { conn.send(packetOf(packet, withHeader(conn))); return }
    if (queued !== undefined) { queued.push(packet); return }
    if (!this.dist.running) return
    this.#queued.set(peer, [packet])
    this.dist.connect(peer).then((c) => {
      const q = this.#queued.get(peer) ?? []
      this.#queued.delete(peer)
      for (const p of q) c.send(packetOf(p, withHeader(c)))
    }, (err: Error) => {
      const q = this.#queued.get(peer) ?? []
      this.#queued.delete(peer)
      this.#logger.warn('erlang node unreachable: messages dropped', { peer, dropped: q.length, error: err.message })
    })
  }

  #attach (peer: string, conn: ErlConnection, opts: ErlangNodeOptions): void {
    const reader = new PacketReader({ maxFragmented: opts.maxFragmented })
    conn.on('frame', (packet: Buffer) => {
      if (!conn.open) return
      let c: Control
      try {
        const m = reader.read(packet)
        if (m === undefined) return
        c = readControl(m)
      } catch (err) {
        if (!(err instanceof ErlPacketError)) throw err
        this.#logger.warn('erlang packet unreadable: closing the link', { peer, code: err.code, error: err.message })
        this.emit('bad_packet', peer, err)
        void conn.close('bad_packet')
        return
      }
      this.#deliver(peer, c)
    })
  }

  #deliver (peer: string, c: Control): void {
    const m = this.#mapping
    const local = (p: ErlPid): Pid | undefined => {
      const t = m.pidToTekka(p)
      if (t instanceof Pid && t.node === this.name) return t
      this.#logger.debug('a signal for a pid not of this node: dropped', { peer, op: c.op, to: p.toString() })
      return undefined
    }
    const remote = (p: ErlPid): Pid | undefined => { const t = m.pidToTekka(p); return t instanceof Pid ? t : undefined }
    switch (c.op) {
      case 'send': {
        const to = local(c.to)
        if (to !== undefined) this.#inbound.deliver(to, m.toTekka(c.message))
        return
      }
      case 'reg_send':
        this.#inbound.deliver(c.to.name, m.toTekka(c.message))
        return
      case 'link':
      case 'unlink':
      case 'exit': {
        const to = local(c.to)
        const from = remote(c.from)
        if (to === undefined || from === undefined) return
        if (c.op === 'link') this.#inbound.link(from, to)
        else if (c.op === 'exit') this.#inbound.exit(from, to, this.#reasonIn(c.reason), c.link)
        else {
          this.#inbound.unlink(from, to)
          const id = c.id
          if (id !== undefined) this.#signal(peer, () => ({ control: unlinkAckControl(id, c.to, c.from) }))
        }
        return
      }
      case 'monitor':
      case 'demonitor': {
        const watcher = remote(c.from)
        const target = c.to instanceof Atom ? { name: c.to.name, node: this.name } : local(c.to)
        if (watcher === undefined || target === undefined) return
        if (c.op === 'monitor') this.#inbound.monitor(watcher, target, new ForeignRef(c.ref))
        else this.#inbound.demonitor(watcher, target, new ForeignRef(c.ref))
        return
      }
      case 'down': {
        const watcher = local(c.to)
        const ref = m.refToTekka(c.ref)
        const target = c.from instanceof Atom ? { name: c.from.name, node: peer } : remote(c.from)
        if (watcher === undefined || !(ref instanceof Ref) || target === undefined) return
        this.#inbound.down(watcher, ref, target, this.#reasonIn(c.reason))
        return
      }
      case 'spawn_request':
        this.#spawnRequest(peer, c)
        return
      default:
        this.#logger.debug('erlang control message not bridged: ignored', { peer, op: c.name })
    }
  }

  /**
   * Registers `impl` as `module:fn` for rpc:call / erpc:call from Erlang
   * nodes: called with the call's arguments (tekka values), its result (or
   * promise) is the call's; a throw is `{badrpc, {'EXIT', {{tekka_error, <<Message>>}, []}}}` there.
   */
  registerRpc (module: string, fn: string, impl: (...args: unknown[]) => unknown): void {
    if (typeof impl !== 'function') throw new BadArgError(`rpc ${module}:${fn} needs a function`)
    this.#rpcs.set(`${module}:${fn}`, impl)
  }

  /**
   * erpc:call (and so rpc:call) arrives as SPAWN_REQUEST of
   * `erpc:execute_call(Ref, M, F, A)` with a monitor: run the registered
   * function in a new tekka process monitored by the caller, whose exit
   * reason is the answer (`{Ref, return, Result}`, or erpc's error forms;
   * `undef` for a function not registered). Any other spawn is refused
   * with `notsup`.
   */
  #spawnRequest (peer: string, c: Extract<Control, { op: 'spawn_request' }>): void {
    const m = this.#mapping
    const from = m.pidToTekka(c.from)
    const args = c.args
    const opts = Array.isArray(c.options) ? c.options as Term[] : []
    const ok = c.module === ERPC && c.fn === EXECUTE_CALL && Array.isArray(args) && args.length === 4 &&
      args[1] instanceof Atom && args[2] instanceof Atom && (Array.isArray(args[3]) || typeof args[3] === 'string') && from instanceof Pid
    if (!ok) {
      this.#signal(peer, () => ({ control: spawnReplyControl(c.reqId, c.from, 0, atom('notsup')) }))
      return
    }
    const [ref, mod, fn, list] = args as [Term, Atom, Atom, Term[] | string]
    // A list of small integers came as STRING_EXT: its code points are the arguments.
    const fargs: Term[] = typeof list === 'string' ? Array.from(list, (ch) => ch.codePointAt(0) as number) : list
    const impl = this.#rpcs.get(`${mod.name}:${fn.name}`)
    const pid = this.runtime.spawn(async (ctx) => {
      if (impl === undefined) { ctx.exit(tuple(ERL_REASON, tuple(ref, atom('error'), atom('undef'), [tuple(mod, fn, fargs, [])]))); return }
      let result: unknown
      try {
        result = await impl(...fargs.map((a) => m.toTekka(a)))
      } catch (err) {
        ctx.exit(tuple(ERL_REASON, tuple(ref, atom('error'), tuple(atom('tekka_error'), Buffer.from(err instanceof Error ? err.message : String(err))), [])))
      }
      ctx.exit(tuple(ERL_REASON, tuple(ref, atom('return'), m.toErlang(result))))
    })
    let flags = 0
    if (opts.includes(atom('monitor'))) { this.#inbound.monitor(from, pid, new ForeignRef(c.reqId)); flags |= 2 }
    if (opts.includes(atom('link'))) { this.#inbound.link(from, pid); flags |= 1 }
    this.#signal(peer, () => ({ control: spawnReplyControl(c.reqId, c.from, flags, m.pidToErlang(pid)) }))
  }

  #down (peer: string, reason: ErlCloseReason): void {
    this.#logger.debug('erlang nodedown', { peer, reason })
    this.#inbound.nodeDown(peer)
  }

  /** net_kernel's part that peers use: `{'$gen_call', {From, Tag}, {is_auth, Node}}` answered `{Tag, yes}`. */
  #startNetKernel (): Pid {
    return this.runtime.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive()
        if (m instanceof Tuple && m.size === 3 && m.elements[0] === GEN_CALL && m.elements[1] instanceof Tuple && m.elements[1].size === 2) {
          const [from, tag] = m.elements[1].elements
          const req = m.elements[2]
          if (from instanceof Pid && req instanceof Tuple && req.elements[0] === IS_AUTH) {
            ctx.send(from, tuple(tag, YES))
            continue
          }
        }
        ctx.log.debug('net_kernel: request not handled', { message: String(m) })
      }
    }, { name: NET_KERNEL })
  }
}

/** erl takes only packets with a distribution header on a link with the atom cache. */
function withHeader (conn: ErlConnection): boolean {
  return (conn.flags & DFLAG.DIST_HDR_ATOM_CACHE) !== 0n
}

/**
 * Starts an Erlang-only tekka node: the distribution (listening, registered
 * with epmd or by the port rule) and a runtime (a new one, or `runtime`)
 * attached to it.
 */
export async function startErlangNode (opts: ErlangNodeOptions): Promise<ErlangNode> {
  const rt = opts.runtime
  if (rt !== undefined && rt.node !== opts.name) throw new BadArgError(`the runtime is node ${rt.node}, not ${opts.name}: an Erlang node's runtime must have its name`)
  if (rt?.whereis(NET_KERNEL) !== undefined) throw new BadArgError(`the runtime has a process registered as ${NET_KERNEL}: that name is the Erlang node's`)
  const dist = await startErlDist({ ...opts, flags: opts.flags ?? ERLANG_NODE_DFLAGS })
  try {
    const runtime = rt ?? createRuntime({ node: opts.name, creation: dist.creation, clock: opts.clock, logger: opts.logger ?? silentLogger('tekka') })
    return new ErlangNode(dist, runtime, opts)
  } catch (err) {
    await dist.stop()
    throw err
  }
}
