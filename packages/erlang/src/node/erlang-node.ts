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
 * - Links and monitors are not bridged yet: a link or monitor from tekka to an
 *   Erlang process gets `noconnection` at once (as with no distribution);
 *   LINK, MONITOR_P and the other operations from erl are logged and ignored.
 */
import { EventEmitter } from 'node:events'
import {
  BadArgError, NOCONNECTION, Pid, TIMEOUT, createRuntime, silentLogger,
  type Logger, type RemoteInbound, type RemoteName, type RemoteRouter, type Runtime
} from '@tekka/actors'
import { Tuple, atom, tuple, type Term } from '../etf/terms.js'
import type { ErlConnection, ErlCloseReason } from '../dist/connection.js'
import { readControl, regSendControl, sendControl, type Control } from '../dist/control.js'
import { ErlPacketError } from '../dist/errors.js'
import { DEFAULT_DFLAGS, DFLAG } from '../dist/flags.js'
import { startErlDist, type ErlDistNode, type ErlDistNodeOptions } from '../dist/node.js'
import { PacketReader, encodeMessage, packetOf, type EncodedMessage } from '../dist/packet.js'
import { PidMapping } from './mapping.js'

export interface ErlangNodeOptions extends Omit<ErlDistNodeOptions, 'onFrame'> {
  /** The runtime to attach (its node must be `name`, with no router yet). Default: a new one. */
  runtime?: Runtime
  /** Fragmented messages in flight per link. Default 64. */
  maxFragmented?: number
}

export interface ErlangNodeEvents {
  bad_packet: [peer: string, err: ErlPacketError]
}

/** What this node advertises by default: DEFAULT_DFLAGS, the atom cache in distribution headers, fragments. */
export const ERLANG_NODE_DFLAGS = DEFAULT_DFLAGS | DFLAG.DIST_HDR_ATOM_CACHE | DFLAG.FRAGMENTS

const GEN_CALL = atom('$gen_call')
const IS_AUTH = atom('is_auth')
const YES = atom('yes')
const NET_KERNEL = 'net_kernel'

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
    return {
      send: (from, to, msg) => { this.#send(from, to, msg); return undefined },
      link: (from, to) => { this.#inbound.exit(to, from, NOCONNECTION, true) },
      unlink: () => {},
      exit: (from, to) => { this.#logger.debug('exit signals to erlang are not bridged yet', { from: String(from), to: String(to) }) },
      monitor: (watcher, target, ref) => { this.#inbound.down(watcher, ref, target, NOCONNECTION) },
      demonitor: () => {},
      down: () => {}
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
    if (c.op === 'send') {
      const to = this.#mapping.pidToTekka(c.to)
      if (!(to instanceof Pid) || to.node !== this.name) {
        this.#logger.debug('SEND to a pid not of this node: dropped', { peer, to: c.to.toString() })
        return
      }
      this.#inbound.deliver(to, this.#mapping.toTekka(c.message))
    } else if (c.op === 'reg_send') {
      this.#inbound.deliver(c.to.name, this.#mapping.toTekka(c.message))
    } else {
      this.#logger.debug('erlang control message not bridged yet: ignored', { peer, op: c.name })
    }
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
