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
 */
import { isIP, type Socket } from 'node:net'
import { Pid, formatReason, type Clock, type Logger, type Ref, type RemoteName, type RemoteInbound, type RemoteRouter, type Runtime, type Timer } from '@tekka/actors'
import { createCodec, type Codec } from './codec.js'
import { Connection } from './connection.js'
import { clientHandshake, serverHandshake, type PeerInfo } from './handshake.js'
import { isNodeName, nodePort } from './node-name.js'
import { tcpTransport, type TlsOptions, type Transport } from './transport.js'
import {
  BYE, DEMONITOR, DOWN, EXIT, EXIT2, LINK, MONITOR, NODES, REG_SEND, RPC_CALL, RPC_REPLY, SEND, UNLINK,
  parseSignal, wireTarget, type Signal
} from './protocol.js'

export type NodeDownReason = 'connection_closed' | 'net_tick_timeout' | 'disconnect' | 'protocol_error' | string

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
  tickTime: number
  /** See ConnectionOptions.sendTimeout (default 4 × tickTime; 0: off). */
  sendTimeout?: number
  handshakeTimeout: number
  maxFrameSize: number
  highWater?: number
  tls?: TlsOptions
  /** Sockets: TCP / TLS by default (tests inject an in-memory network). */
  transport?: Transport
  clock: Clock
  logger: Logger
  /** Called for RPC_CALL / RPC_REPLY signals. */
  onRpc?: (peer: string, signal: Extract<Signal, { tag: typeof RPC_CALL | typeof RPC_REPLY }>) => void
}

export interface NodeUpInfo {
  node: string
  creation: number
  hidden: boolean
}

interface Peer {
  readonly name: string
  conn: Connection | undefined
  info: PeerInfo | undefined
  /** Signals waiting for the connection. */
  queue: Array<{ frame: unknown[], stream: object }>
  dialing: boolean
  /** Incoming handshakes in progress from this peer. */
  accepting: number
  waiters: Array<(ok: boolean) => void>
}

/** Ordering streams for frames with no sending process. */
const NO_SENDER = {}
const RPC_STREAM = {}
/** Signals queued for a node still being dialled, before senders are held back. */
const MAX_QUEUE = 10_000

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
  /** Waits after a refused dial; cleared on stop so a stopped kernel holds no timer. */
  #refusedTimers = new Set<Timer>()
  /** Pids watching node up/down: pid key -> { pid, node (undefined = all) }. */
  #nodeWatchers = new Map<string, { pid: Pid, nodes: Set<string> | 'all' }>()
  /** Why the last dial to a node failed (for clear errors in join and the like). */
  #lastError = new Map<string, Error>()
  /** The runtime's way in for signals from peers (attachRouter); kept after stop for signals still in flight. */
  #in: RemoteInbound | undefined

  constructor (opts: NetKernelOptions) {
    this.opts = opts
    this.rt = opts.runtime
    this.name = opts.runtime.node
    this.creation = opts.runtime.creation
    this.codec = createCodec()
    this.log = opts.logger
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
        this.#server = await (this.opts.transport ?? tcpTransport).listen({
          host,
          port,
          tls: this.opts.tls,
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
        conn.send([BYE], { control: true })
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
    const p = new Promise<boolean>((resolve) => { peer.waiters.push(resolve) })
    this.#dial(peer)
    return p
  }

  /** Closes the link to `node`; nodedown with reason `disconnect` on both sides. */
  disconnect (node: string): boolean {
    const peer = this.#peers.get(node)
    if (peer?.conn === undefined) return false
    const conn = peer.conn
    conn.send([BYE], { control: true })
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
    const key = pid.key
    if (!on) {
      const w = this.#nodeWatchers.get(key)
      if (w === undefined) return
      if (node === undefined || w.nodes === 'all') this.#nodeWatchers.delete(key)
      else { w.nodes.delete(node); if (w.nodes.size === 0) this.#nodeWatchers.delete(key) }
      return
    }
    if (node === undefined) {
      this.#nodeWatchers.set(key, { pid, nodes: 'all' })
      return
    }
    let w = this.#nodeWatchers.get(key)
    if (w === undefined) this.#nodeWatchers.set(key, w = { pid, nodes: new Set() })
    if (w.nodes !== 'all') w.nodes.add(node)
    if (!this.isConnected(node)) {
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
      this.#out(node, frame, stream)
    } catch (err) {
      if (reasonAt === undefined) throw err
      this.log.warn('exit reason cannot be encoded; sending its printed form', { node, error: err as Error })
      const copy = [...frame]
      copy[reasonAt] = formatReason(frame[reasonAt])
      this.#out(node, copy, stream)
    }
  }

  // ---- connections ---------------------------------------------------------------

  #peer (node: string): Peer {
    let p = this.#peers.get(node)
    if (p === undefined) {
      p = { name: node, conn: undefined, info: undefined, queue: [], dialing: false, accepting: 0, waiters: [] }
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
      return new Promise((resolve) => { peer.waiters.push(() => { resolve() }) })
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
          if (peer.conn === undefined && !peer.dialing && peer.accepting === 0 && this.#peers.get(peer.name) === peer) this.#unreachable(peer)
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
      socket = await (this.opts.transport ?? tcpTransport).dial({ host, port, tls: this.opts.tls, timeout: this.opts.handshakeTimeout, ...this.#localAddress(host) })
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

  /**
   * Dial from the address this node listens on when it is a specific one of
   * the same family as the peer (127.0.0.2 dials 127.0.0.3 from 127.0.0.2).
   */
  #localAddress (peerHost: string): { localAddress?: string } {
    const l = this.opts.listen
    if (l === false) return {}
    const fam = isIP(l.host)
    if (fam === 0 || l.host === '0.0.0.0' || l.host === '::' || fam !== isIP(peerHost)) return {}
    const loop = (h: string): boolean => h.startsWith('127.') || h === '::1'
    if (loop(l.host) !== loop(peerHost)) return {}
    return { localAddress: l.host }
  }

  #handshakeOpts (expectedName?: string): Parameters<typeof clientHandshake>[1] {
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
      this.#sockets.delete(socket)
      if (counted !== undefined) counted.accepting--
      if (!this.#running) { socket.destroy(); return }
      this.#up(this.#peer(info.name), socket, info, rest, replaces)
    }, (err: unknown) => {
      this.#sockets.delete(socket)
      socket.destroy()
      if (counted !== undefined) {
        counted.accepting--
        if (counted.conn === undefined && !counted.dialing && counted.accepting === 0 && counted.waiters.length + counted.queue.length > 0) this.#unreachable(counted)
      }
      const code = (err as { code?: string }).code
      this.log.warn('incoming connection refused', { remote: `${socket.remoteAddress}:${socket.remotePort}`, code, error: err as Error })
    })
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
    if (!this.#running || info.name === this.name) return 'nok'
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
      tickTime: this.opts.tickTime,
      ...(this.opts.sendTimeout !== undefined ? { sendTimeout: this.opts.sendTimeout } : {}),
      maxFrameSize: this.opts.maxFrameSize,
      ...(this.opts.highWater !== undefined ? { highWater: this.opts.highWater } : {})
    })
    peer.conn = conn
    peer.info = info
    this.#lastError.delete(info.name)
    conn.on('message', (frame: unknown) => { this.#incoming(peer, conn, frame) })
    conn.once('close', (reason: string, error?: Error) => { this.#closed(peer, conn, reason, error) })
    const queued = peer.queue
    peer.queue = []
    for (const q of queued) conn.send(q.frame, { stream: q.stream })
    const waiters = peer.waiters
    peer.waiters = []
    for (const w of waiters) w(true)
    this.rt.events.publish('dist.nodeup', { peer: info.name, creation: info.creation, hidden: info.hidden }, 'info')
    if (!info.hidden) {
      this.#notifyWatchers(info.name, { type: 'nodeup', node: info.name })
      if (!this.opts.hidden) {
        // Tell the new peer whom we know, so non-hidden nodes form a full mesh.
        conn.send([NODES, this.nodes().filter((n) => n !== info.name)], { control: true })
      }
    }
  }

  #unreachable (peer: Peer): void {
    const queued = peer.queue.length
    peer.queue = []
    const waiters = peer.waiters
    peer.waiters = []
    if (queued > 0) this.log.debug('dropped signals for unreachable node', { peer: peer.name, count: queued })
    this.#peers.delete(peer.name)
    this.#in?.nodeDown(peer.name)
    const error = this.#lastError.get(peer.name)
    this.rt.events.publish('dist.unreachable', { peer: peer.name, ...(error !== undefined ? { error: error.message } : {}) }, 'debug')
    for (const w of waiters) w(false)
  }

  #closed (peer: Peer, conn: Connection, reason: string, error?: Error): void {
    if (peer.conn !== conn) return
    this.#down(peer, reason, error)
    if (peer.queue.length === 0 && peer.waiters.length === 0 && !peer.dialing && peer.accepting === 0) this.#peers.delete(peer.name)
    // Signals queued while this link was closing go out on a new one.
    if (peer.queue.length > 0) this.#dial(peer)
  }

  /** The link to `peer` is gone: nodedown for everyone who cares. */
  #down (peer: Peer, reason: string, error?: Error): void {
    peer.conn = undefined
    const info = peer.info
    peer.info = undefined
    this.#in?.nodeDown(peer.name)
    this.rt.events.publish('dist.nodedown', { peer: peer.name, reason, hidden: info?.hidden ?? false, ...(error !== undefined ? { error: error.message } : {}) }, reason === 'disconnect' ? 'info' : 'warn')
    if (info?.hidden !== true) this.#notifyWatchers(peer.name, { type: 'nodedown', node: peer.name, reason })
  }

  #notifyWatchers (node: string, msg: { type: 'nodeup' | 'nodedown', node: string, reason?: string }): void {
    for (const [key, w] of this.#nodeWatchers) {
      if (w.nodes !== 'all' && !w.nodes.has(node)) continue
      if (!this.rt.isAlive(w.pid) && w.pid.node === this.name) { this.#nodeWatchers.delete(key); continue }
      this.rt.send(w.pid, msg)
      // erlang:monitor_node is one-shot.
      if (msg.type === 'nodedown' && w.nodes !== 'all') {
        w.nodes.delete(node)
        if (w.nodes.size === 0) this.#nodeWatchers.delete(key)
      }
    }
  }

  #incoming (peer: Peer, conn: Connection, frame: unknown): void {
    // The common case first: a SEND to a local pid, checked as parseSignal checks it, without making a Signal.
    if (Array.isArray(frame) && frame.length === 4 && frame[0] === SEND) {
      const from: unknown = frame[1]
      const to: unknown = frame[2]
      if ((from === null || (from instanceof Pid && from.node === peer.name)) && to instanceof Pid && to.node === this.name) {
        this.#in!.deliver(to, frame[3])
        return
      }
    }
    let s: Signal
    try {
      s = parseSignal(frame, peer.name, this.name)
    } catch (err) {
      this.log.warn('protocol error, closing link', { peer: peer.name, error: err as Error })
      conn.close('protocol_error', err as Error)
      return
    }
    const rt = this.#in!
    switch (s.tag) {
      case SEND: rt.deliver(s.to, s.msg); break
      case REG_SEND: rt.deliver(s.to, s.msg); break
      case LINK: rt.link(s.from, s.to); break
      case UNLINK: rt.unlink(s.from, s.to); break
      case EXIT: rt.exit(s.from, s.to, s.reason, true); break
      case EXIT2: rt.exit(s.from, s.to, s.reason, false); break
      case MONITOR: rt.monitor(s.watcher, s.target, s.ref); break
      case DEMONITOR: rt.demonitor(s.watcher, s.target, s.ref); break
      case DOWN: rt.down(s.watcher, s.ref, s.target, s.reason); break
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
