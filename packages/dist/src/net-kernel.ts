/**
 * The net kernel: one authenticated connection per peer node, made on first
 * use, and the routing of signals between the local runtime and its peers.
 *
 * - Outgoing: it is the runtime's RemoteRouter. A signal for a node with no
 *   connection is queued while the kernel dials it; if the dial fails the
 *   queue is dropped and links and monitors towards that node get
 *   `noconnection`, as in Erlang.
 * - Incoming: every frame is checked by `parseSignal` and applied to the
 *   runtime. A bad frame closes that link only.
 * - Simultaneous dials keep exactly one connection: the dial made by the node
 *   with the greater name wins (see `#onPeer`).
 * - Connected nodes tell each other whom they know, so non-hidden nodes form
 *   a full mesh.
 *
 * Its options arrive resolved (startNode applies the defaults once); node
 * watchers are in node-watchers.ts, the dialling address rule in
 * dial-address.ts, frame application in inbound.ts.
 *
 * Why one file of ~500 lines: dialling, accepting, the tie-break between
 * them and the up/down transitions all change one peer's state; split, each
 * part would need the others' private fields.
 */
import type { Socket } from 'node:net'
import { Pid, formatReason, type Clock, type Logger, type Ref, type RemoteName, type RemoteInbound, type RemoteRouter, type Runtime, type Timer } from '@tekka/actors'
import { createCodec, type Codec } from './codec.js'
import { Connection } from './connection.js'
import type { LinkSettings } from './connection-settings.js'
import { clientHandshake, serverHandshake, type HandshakeOptions, type PeerInfo } from './handshake.js'
import { isNodeName, nodePort } from './node-name.js'
import { NodeWatchers } from './node-watchers.js'
import { Peer } from './peer.js'
import { localAddressFor } from './dial-address.js'
import type { TlsOptions, Transport } from './transport.js'
import { applyFrame } from './inbound.js'
import { LinkFaults } from './link-faults.js'
import { DialError, HandshakeError } from './errors.js'
import type { HandshakeRefusedReason } from './events.js'
import {
  BYE, DEMONITOR, DOWN, EXIT, EXIT2, LINK, MONITOR, NODES, REG_SEND, RPC_CALL, RPC_REPLY, SEND, UNLINK,
  wireTarget, type Signal
} from './protocol.js'

/** Resolved: startNode has applied every default. */
export interface NetKernelOptions {
  runtime: Runtime
  cookie: string
  cluster: string
  /** A hidden node is not announced to others and does not appear in their `nodes()`. */
  hidden: boolean
  /** Where to listen; false for a client-only node (the ctl command). */
  listen: { host: string, port: number } | false
  /** Base port for peers' ports (ekka's rule: base + trailing digits of the short name). */
  basePort: number
  /** Deadline of a dial, of each handshake step and of a TLS handshake, ms. */
  handshakeTimeout: number
  /** Incoming connections in their handshake at once; one more is closed unread. */
  maxPendingHandshakes: number
  /** Every link's tunables (tick time, send timeout, water marks, frame size). */
  link: LinkSettings
  tls?: TlsOptions
  /** Sockets: TCP / TLS, or an in-memory network in tests. */
  transport: Transport
  clock: Clock
  logger: Logger
  /** Called for RPC_CALL / RPC_REPLY signals. */
  onRpc?: (peer: string, signal: Extract<Signal, { tag: typeof RPC_CALL | typeof RPC_REPLY }>) => void
}

/** Ordering streams for frames with no sending process. */
const NO_SENDER = {}
const RPC_STREAM = {}
/** Signals queued for a node still being dialled, before senders are held back. */
const MAX_QUEUE = 10_000

/** The `dist.handshake_refused` reason for a failed incoming handshake. */
function refusedReason (err: unknown): HandshakeRefusedReason {
  if (!(err instanceof HandshakeError)) return 'error'
  if (err.code === 'ERR_HANDSHAKE_REFUSED') return err.status ?? 'refused'
  return err.code.slice('ERR_HANDSHAKE_'.length).toLowerCase()
}

export class NetKernel implements RemoteRouter {
  readonly rt: Runtime
  readonly name: string
  readonly creation: number
  readonly opts: NetKernelOptions
  readonly codec: Codec
  readonly log: Logger
  #peers = new Map<string, Peer>()
  #server: { port: number, close: () => Promise<void> } | undefined
  #running = false
  #sockets = new Set<Socket>()
  /** Incoming connections still in their handshake (capped by maxPendingHandshakes). */
  #pending = 0
  /** Waits after a refused dial; cleared on stop so a stopped kernel holds no timer. */
  #refusedTimers = new Set<Timer>()
  readonly #watchers: NodeWatchers
  /** Why the last dial to a node failed (for clear errors in join and the like). */
  #lastError = new Map<string, Error>()
  /** The runtime's way in for signals from peers (attachRouter); kept after stop for signals still in flight. */
  #in: RemoteInbound | undefined
  /** Links to cut as a dropping network would (off until used: see link-faults.ts). */
  readonly faults = new LinkFaults((peer) => { this.#peers.get(peer)?.conn?.mute() })

  constructor (opts: NetKernelOptions) {
    this.opts = opts
    this.rt = opts.runtime
    this.name = opts.runtime.node
    this.creation = opts.runtime.creation
    this.codec = createCodec()
    this.log = opts.logger
    this.#watchers = new NodeWatchers(opts.runtime)
  }

  /** net_ticktime of every link, ms. */
  get tickTime (): number {
    return this.opts.link.tickTime
  }

  get port (): number | undefined {
    return this.#server?.port
  }

  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#in = this.rt.attachRouter(this)
    if (this.opts.listen !== false) {
      const { host, port } = this.opts.listen
      try {
        this.#server = await this.opts.transport.listen({
          host,
          port,
          tls: this.opts.tls,
          tlsHandshakeTimeout: this.opts.handshakeTimeout,
          maxPendingTls: this.opts.maxPendingHandshakes,
          onRefused: (reason, remote) => { this.#refused(reason, remote) },
          logger: this.log.child('transport'),
          onConnection: (socket) => { this.#accept(socket) }
        })
      } catch (err) {
        this.#running = false
        this.#in.detach()
        throw err
      }
      this.log.info('listening', { node: this.name, host, port: this.#server.port })
    }
  }

  /** Closes every link (peers see `disconnect`) and the listener. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    for (const t of this.#refusedTimers) this.opts.clock.clearTimeout(t)
    this.#refusedTimers.clear()
    const closing: Array<Promise<void>> = []
    for (const peer of this.#peers.values()) {
      const conn = peer.conn
      if (conn !== undefined) {
        void conn.send([BYE], { control: true })
        closing.push(conn.flushAndClose('disconnect'))
      }
    }
    await Promise.all(closing)
    for (const s of this.#sockets) s.destroy()
    await this.#server?.close()
    this.#server = undefined
    this.#in?.detach()
  }

  // ---- public API ------------------------------------------------------------

  /** Connected nodes; hidden ones only with `{ hidden: true }`. */
  nodes (opts: { hidden?: boolean } = {}): string[] {
    const out: string[] = []
    for (const p of this.#peers.values()) {
      if (p.conn !== undefined && p.info !== undefined && (opts.hidden === true || !p.info.hidden)) out.push(p.name)
    }
    return out.sort()
  }

  isConnected (node: string): boolean {
    return this.#peers.get(node)?.conn !== undefined
  }

  /** Why the last attempt to connect to `node` failed, if it did. */
  lastError (node: string): Error | undefined {
    return this.#lastError.get(node)
  }

  /** The connection to `node`, if up (for introspection: stats, queued bytes). */
  peerConnection (node: string): Connection | undefined {
    return this.#peers.get(node)?.conn
  }

  peerInfo (node: string): PeerInfo | undefined {
    const p = this.#peers.get(node)
    return p?.conn !== undefined ? p.info : undefined
  }

  /** Connects to `node` if not connected; resolves true once up, false if it cannot be reached. */
  connect (node: string): Promise<boolean> {
    if (node === this.name) return Promise.resolve(true)
    if (!this.#running || !isNodeName(node)) return Promise.resolve(false)
    const peer = this.#peer(node)
    if (peer.conn !== undefined) return Promise.resolve(true)
    const p = peer.whenSettled()
    this.#dial(peer)
    return p
  }

  /** Closes the link to `node`; nodedown with reason `disconnect` on both sides. */
  disconnect (node: string): boolean {
    const peer = this.#peers.get(node)
    if (peer?.conn === undefined) return false
    const conn = peer.conn
    void conn.send([BYE], { control: true })
    void conn.flushAndClose('disconnect')
    return true
  }

  /**
   * Sends `{ type: 'nodeup' | 'nodedown', node, reason? }` to `pid` for `node`
   * (or for every node when `node` is undefined), as net_kernel:monitor_nodes
   * and erlang:monitor_node. Monitoring a node that is not connected tries to
   * connect and reports nodedown if that fails.
   */
  monitorNode (pid: Pid, node?: string, on = true): void {
    if (!on) {
      this.#watchers.unwatch(pid, node)
      return
    }
    this.#watchers.watch(pid, node)
    if (node !== undefined && !this.isConnected(node)) {
      void this.connect(node).then((ok) => {
        if (!ok) this.rt.send(pid, { type: 'nodedown', node, reason: 'connection_failed' })
      })
    }
  }

  /** Sends a frame to `node` (queued while dialling); `stream` orders it with the same stream's other frames. */
  sendFrame (node: string, frame: unknown[], stream: object = RPC_STREAM): Promise<void> | undefined {
    return this.#out(node, frame, stream)
  }

  // ---- RemoteRouter ------------------------------------------------------------

  send (from: Pid | undefined, to: Pid | RemoteName, msg: unknown): Promise<void> | undefined {
    const frame = to instanceof Pid ? [SEND, from ?? null, to, msg] : [REG_SEND, from ?? null, to.name, msg]
    // A message that cannot be encoded throws to its sender, as a badarg would.
    return this.#out(to.node, frame, from ?? NO_SENDER)
  }

  link (from: Pid, to: Pid): void { this.#signal(to.node, [LINK, from, to], from) }
  unlink (from: Pid, to: Pid): void { this.#signal(to.node, [UNLINK, from, to], from) }
  exit (from: Pid, to: Pid, reason: unknown, link: boolean): void {
    this.#signal(to.node, [link ? EXIT : EXIT2, from, to, reason], from, 3)
  }

  monitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    this.#signal(target.node, [MONITOR, watcher, wireTarget(target), ref], watcher)
  }

  demonitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    if (this.isConnected(target.node)) this.#signal(target.node, [DEMONITOR, watcher, wireTarget(target), ref], watcher)
  }

  down (watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown): void {
    // Ordered with the dead process's own messages: its last words arrive before its DOWN.
    const stream = target instanceof Pid ? target : NO_SENDER
    if (this.isConnected(watcher.node)) this.#signal(watcher.node, [DOWN, watcher, ref, wireTarget(target), reason], stream, 4)
  }

  /**
   * A signal the runtime sends on a process's behalf. It must not throw into
   * the runtime: an exit reason that cannot be encoded (a cycle, a function)
   * travels as its printed form instead.
   */
  #signal (node: string, frame: unknown[], stream: object, reasonAt?: number): void {
    try {
      void this.#out(node, frame, stream)
    } catch (err) {
      if (reasonAt === undefined) throw err
      this.log.warn('exit reason cannot be encoded; sending its printed form', { node, error: err as Error })
      const copy = [...frame]
      copy[reasonAt] = formatReason(frame[reasonAt])
      void this.#out(node, copy, stream)
    }
  }

  // ---- connections ---------------------------------------------------------------

  #peer (node: string): Peer {
    let p = this.#peers.get(node)
    if (p === undefined) {
      p = new Peer(node)
      this.#peers.set(node, p)
    }
    return p
  }

  #out (node: string, frame: unknown[], stream: object): Promise<void> | undefined {
    if (node === this.name) return undefined
    const known = this.#peers.get(node)
    if (known?.conn !== undefined) return known.conn.send(frame, { stream })
    if (!this.#running || !isNodeName(node)) {
      this.log.debug('signal to unreachable node dropped', { node })
      queueMicrotask(() => { this.#in?.nodeDown(node); this.rt.events.publish('dist.unreachable', { peer: node }, 'debug') })
      return undefined
    }
    const peer = this.#peer(node)
    if (peer.queue.length >= MAX_QUEUE) {
      // Hold the sender until the dial settles rather than grow the queue without bound.
      return peer.whenSettled().then(() => {})
    }
    // Encode now, so a value that cannot travel fails its sender here, not the link later.
    this.codec.encode(frame)
    peer.queue.push({ frame, stream })
    this.#dial(peer)
    return undefined
  }

  #dial (peer: Peer): void {
    if (peer.dialing || peer.conn !== undefined || !this.#running) return
    peer.dialing = true
    void this.#dialNow(peer).then((result) => {
      peer.dialing = false
      if (result === 'up' || peer.conn !== undefined) return
      if (result === 'refused') {
        // The peer refused because its own dial to us wins (or it and we
        // both have a link after all): give its connection the time a
        // handshake takes.
        const timer = this.opts.clock.setTimeout(() => {
          this.#refusedTimers.delete(timer)
          if (peer.stalled && this.#peers.get(peer.name) === peer) this.#unreachable(peer)
        }, this.opts.handshakeTimeout)
        this.#refusedTimers.add(timer)
        return
      }
      if (peer.accepting > 0) return // their dial to us is in progress and will settle the waiters
      this.#unreachable(peer)
    })
  }

  async #dialNow (peer: Peer): Promise<'up' | 'refused' | 'failed'> {
    const at = peer.name.indexOf('@')
    const host = peer.name.slice(at + 1)
    const port = nodePort(peer.name, this.opts.basePort)
    let socket: Socket | undefined
    try {
      if (this.faults.isCut(peer.name)) throw new DialError(host, port, 'the link is cut (link faults)')
      socket = await this.opts.transport.dial({ host, port, tls: this.opts.tls, timeout: this.opts.handshakeTimeout, clock: this.opts.clock, ...localAddressFor(this.opts.listen, host) })
      this.#sockets.add(socket)
      const { peer: info, rest } = await clientHandshake(socket, {
        ...this.#handshakeOpts(peer.name),
        // The peer still has a link to us: is ours up too (its own dial won meanwhile)?
        hasLink: (p: PeerInfo) => this.#peers.get(p.name)?.conn !== undefined
      })
      this.#sockets.delete(socket)
      if (!this.#running) { socket.destroy(); return 'failed' }
      this.#up(peer, socket, info, rest, false)
      return 'up'
    } catch (err) {
      if (socket !== undefined) { this.#sockets.delete(socket); socket.destroy() }
      const code = (err as { code?: string }).code
      if (code === 'ERR_HANDSHAKE_REFUSED') {
        this.log.debug('dial refused by peer (simultaneous connect or already connected)', { peer: peer.name })
        return 'refused'
      }
      this.#lastError.set(peer.name, err as Error)
      this.log.warn('cannot connect', { peer: peer.name, host, port, error: err as Error })
      return 'failed'
    }
  }

  #handshakeOpts (expectedName?: string): HandshakeOptions {
    return {
      localName: this.name,
      cookie: this.opts.cookie,
      creation: this.creation,
      cluster: this.opts.cluster,
      hidden: this.opts.hidden,
      flags: 0,
      clock: this.opts.clock,
      logger: this.log.child('handshake'),
      timeout: this.opts.handshakeTimeout,
      ...(expectedName !== undefined ? { expectedName } : {})
    }
  }

  #accept (socket: Socket): void {
    if (!this.#running) { socket.destroy(); return }
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    if (this.#pending >= this.opts.maxPendingHandshakes) {
      // Closed before anything is read: idle or hostile sockets cannot pile up.
      socket.destroy()
      this.#refused('cap', remote)
      this.log.warn('too many pending handshakes: connection closed unread', { remote, max: this.opts.maxPendingHandshakes })
      return
    }
    this.#pending++
    this.#sockets.add(socket)
    let counted: Peer | undefined
    const opts = {
      ...this.#handshakeOpts(),
      onPeer: (info: PeerInfo): 'ok' | 'nok' | 'alive' => {
        const verdict = this.#onPeer(info)
        if (verdict !== 'nok') { counted = this.#peer(info.name); counted.accepting++ }
        return verdict
      }
    }
    serverHandshake(socket, opts).then(({ peer: info, rest, replaces }) => {
      this.#pending--
      this.#sockets.delete(socket)
      if (counted !== undefined) counted.accepting--
      if (!this.#running) { socket.destroy(); return }
      this.#up(this.#peer(info.name), socket, info, rest, replaces)
    }, (err: unknown) => {
      this.#pending--
      this.#sockets.delete(socket)
      socket.destroy()
      if (counted !== undefined) {
        counted.accepting--
        if (counted.stalled && counted.wanted) this.#unreachable(counted)
      }
      const reason = refusedReason(err)
      this.#refused(reason, remote)
      // One line per refusal, limited by the log's repeat limit (the message is the same for all).
      const fields = { remote, code: (err as { code?: string }).code, reason, error: err as Error }
      if (reason === 'timeout' || reason === 'closed') this.log.info('incoming connection refused', fields)
      else if (reason === 'nok' || reason === 'alive' || reason === 'not_allowed') this.log.debug('incoming connection refused', fields)
      else this.log.warn('incoming connection refused', fields)
    })
  }

  /** Incoming connections in their handshake now. */
  get pendingHandshakes (): number {
    return this.#pending
  }

  #refused (reason: HandshakeRefusedReason, remote: string): void {
    this.rt.events.publish('dist.handshake_refused', { reason, remote }, 'debug')
  }

  /**
   * The server side's verdict on a peer whose handshake has named itself:
   * a live link with the same incarnation makes the handshake ask the peer
   * ('alive'): if the peer has no link, ours is stale and the new one
   * replaces it (see handshake.ts); one with an older incarnation is stale
   * (the peer restarted) and gives way; when both nodes are dialling each
   * other, the dial of the greater name survives.
   */
  #onPeer (info: PeerInfo): 'ok' | 'nok' | 'alive' {
    if (!this.#running || info.name === this.name || this.faults.isCut(info.name)) return 'nok'
    // Called once the peer has proved the cookie; still, nothing is torn down
    // here: #up replaces a stale link only when this connection is complete.
    const peer = this.#peers.get(info.name)
    if (peer?.conn !== undefined) return peer.info?.creation === info.creation ? 'alive' : 'ok'
    if (peer?.dialing === true && this.name > info.name) return 'nok'
    return 'ok'
  }

  #up (peer: Peer, socket: Socket, info: PeerInfo, rest: Buffer, replaces: boolean): void {
    if (peer.conn !== undefined) {
      if (peer.info?.creation === info.creation && !replaces) {
        // Lost a race the handshake could not see: keep the first connection.
        socket.destroy()
        return
      }
      // The peer restarted (new creation), or told us it lost the link we
      // still had (same creation), and proved the cookie: the old link is stale.
      if (replaces) this.log.info('replacing a link the peer has lost', { peer: info.name, creation: info.creation })
      const old = peer.conn
      this.#down(peer, 'connection_closed')
      old.close('connection_closed')
    }
    const conn = new Connection(socket, {
      rest,
      peer: info.name,
      codec: this.codec,
      clock: this.opts.clock,
      logger: this.log.child('connection'),
      link: this.opts.link
    })
    // Cut while its handshake ran: born silent.
    if (this.faults.isCut(info.name)) conn.mute()
    this.#lastError.delete(info.name)
    conn.on('message', (frame: unknown) => { this.#incoming(peer, conn, frame) })
    conn.once('close', (reason: string, error?: Error) => { this.#closed(peer, conn, reason, error) })
    peer.connected(conn, info)
    this.rt.events.publish('dist.nodeup', { peer: info.name, creation: info.creation, hidden: info.hidden }, 'info')
    if (!info.hidden) {
      this.#watchers.notify({ type: 'nodeup', node: info.name })
      if (!this.opts.hidden) {
        // Tell the new peer whom we know, so non-hidden nodes form a full mesh.
        void conn.send([NODES, this.nodes().filter((n) => n !== info.name)], { control: true })
      }
    }
  }

  #unreachable (peer: Peer): void {
    this.#peers.delete(peer.name)
    this.#in?.nodeDown(peer.name)
    const error = this.#lastError.get(peer.name)
    this.rt.events.publish('dist.unreachable', { peer: peer.name, ...(error !== undefined ? { error: formatReason(error) } : {}) }, 'debug')
    const dropped = peer.unreachable()
    if (dropped > 0) this.log.debug('dropped signals for unreachable node', { peer: peer.name, count: dropped })
  }

  #closed (peer: Peer, conn: Connection, reason: string, error?: Error): void {
    if (peer.conn !== conn) return
    this.#down(peer, reason, error)
    if (peer.stalled && !peer.wanted) this.#peers.delete(peer.name)
    // Signals queued while this link was closing go out on a new one.
    if (peer.queue.length > 0) this.#dial(peer)
  }

  /** The link to `peer` is gone: nodedown for everyone who cares. */
  #down (peer: Peer, reason: string, error?: Error): void {
    peer.conn = undefined
    const info = peer.info
    peer.info = undefined
    this.#in?.nodeDown(peer.name)
    this.rt.events.publish('dist.nodedown', { peer: peer.name, reason, hidden: info?.hidden ?? false, ...(error !== undefined ? { error: formatReason(error) } : {}) }, reason === 'disconnect' ? 'info' : 'warn')
    if (info?.hidden !== true) this.#watchers.notify({ type: 'nodedown', node: peer.name, reason })
  }

  #incoming (peer: Peer, conn: Connection, frame: unknown): void {
    const s = applyFrame(frame, peer.name, this.name, this.#in!)
    if (s === undefined) return
    if (s instanceof Error) {
      this.log.warn('protocol error, closing link', { peer: peer.name, error: s })
      conn.close('protocol_error', s)
      return
    }
    switch (s.tag) {
      case RPC_CALL:
      case RPC_REPLY:
        this.opts.onRpc?.(peer.name, s)
        break
      case NODES:
        if (!this.opts.hidden && peer.info?.hidden !== true) {
          for (const n of s.nodes) if (n !== this.name && isNodeName(n) && !this.isConnected(n)) void this.connect(n)
        }
        break
      case BYE:
        conn.close('disconnect')
        break
    }
  }
}
