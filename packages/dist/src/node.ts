/**
 * A distributed node: a runtime with a name, an incarnation (`creation`),
 * the net kernel, RPC, the member table, and the components bag its parts
 * are started with. `startNode` is what the `tekka` command and the tests
 * call; everything it starts, `stop()` undoes.
 */
import { randomInt } from 'node:crypto'
import {
  BadArgError, consoleLogger, createRuntime, systemClock,
  type Clock, type Dest, type EventStream, type Logger, type Pid, type ProcessContext, type ProcessFn, type Runtime, type SpawnOptions
} from '@tekka/actors'
import { NetKernel } from './net-kernel.js'
import { Rpc } from './rpc.js'
import { CtlRegistry } from './ctl.js'
import { Applications } from './applications.js'
import { Membership } from './membership/membership.js'
import type { MembershipOptions } from './membership/types.js'
import { nodePort, parseNodeName } from './node-name.js'
import { tcpTransport, type TlsOptions, type Transport } from './transport.js'
import { linkSettings } from './connection-settings.js'
import { DEFAULT_BASE_PORT, DEFAULT_CLUSTER, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_PENDING_HANDSHAKES } from './defaults.js'
import type { MulticallResult, NetView, NodeComponents, RpcCallOptions, RpcFunction } from './components.js'
import type { ConnectionStats } from './connection.js'

export interface NodeOptions {
  /** `name@host`. */
  name: string
  cookie: string
  /** Nodes of different clusters refuse each other. Default `tekka`. */
  cluster?: string
  hidden?: boolean
  /** False for a client-only node that listens on no port (the ctl command). Default true. */
  listen?: boolean
  /** Explicit listen port; default: ekka's rule from the name and `basePort`. */
  port?: number
  /** Address to listen on; default the host part of the name. */
  host?: string
  basePort?: number
  /** net_ticktime in ms (default 8000). */
  tickTime?: number
  /** A link whose socket takes none of our bytes for this long is closed, `send_timeout` (default 4 × tickTime; 0: off). */
  sendTimeout?: number
  /** Deadline of a dial and of each handshake step, ms (default 5000). */
  handshakeTimeout?: number
  /** Incoming connections in their handshake at once; one more is closed unread (default 256). */
  maxPendingHandshakes?: number
  /** Largest frame (and message) sent or accepted, bytes (default 64 MiB). */
  maxFrameSize?: number
  /** Outgoing bytes queued on a link before senders are held back (default 8 MiB). */
  highWater?: number
  tls?: TlsOptions
  /** Sockets: TCP / TLS by default; tests inject an in-memory network (see Transport). */
  transport?: Transport
  clock?: Clock
  logger?: Logger
  /** Incarnation; random by default (tests may fix it). */
  creation?: number
  /** Where the member table is kept across restarts (`node.data_dir`); none: memory only. */
  dataDir?: string
  /** Membership timings (gossip, reconnect). */
  membership?: Omit<MembershipOptions, 'dataDir'>
}

export class DistNode {
  readonly name: string
  readonly creation: number
  readonly cluster: string
  readonly runtime: Runtime
  readonly kernel: NetKernel
  readonly rpc: Rpc
  readonly log: Logger
  /** Commands of `tekka ctl` this node answers. */
  readonly ctl = new CtlRegistry()
  /** Applications autoheal restarts (the app module, the lock service). */
  readonly applications: Applications
  /** Cluster membership. */
  readonly membership: Membership
  /** What the node's parts (plugins, apps) are started with. */
  readonly components: NodeComponents
  #stopped = false

  /** @internal use startNode */
  constructor (runtime: Runtime, kernel: NetKernel, rpc: Rpc, log: Logger, cluster: string, membership: Omit<MembershipOptions, never>) {
    this.runtime = runtime
    this.name = runtime.node
    this.creation = runtime.creation
    this.cluster = cluster
    this.kernel = kernel
    this.rpc = rpc
    this.log = log
    this.applications = new Applications(runtime.events)
    const net: NetView = {
      nodes: (o) => kernel.nodes(o),
      isConnected: (n) => kernel.isConnected(n),
      connect: async (n) => await kernel.connect(n),
      disconnect: (n) => kernel.disconnect(n),
      peerInfo: (n) => kernel.peerInfo(n),
      linkStats: (n) => kernel.peerConnection(n)?.stats,
      lastError: (n) => kernel.lastError(n),
      monitorNode: (pid, n, on) => { kernel.monitorNode(pid, n, on) },
      tickTime: kernel.tickTime
    }
    // Reads the stored member table: a corrupt one fails the start here, before anything listens.
    this.membership = new Membership({ name: this.name, runtime, net, rpc, events: runtime.events, logger: log.child('membership'), clock: runtime.clock }, cluster, membership)
    const self = this
    this.components = {
      node: { name: this.name, creation: this.creation, cluster, get port () { return self.port } },
      clock: runtime.clock,
      logger: log,
      events: runtime.events,
      runtime,
      net,
      rpc,
      membership: this.membership,
      applications: this.applications,
      ctl: this.ctl
    }
  }

  get port (): number | undefined { return this.kernel.port }
  get stopped (): boolean { return this.#stopped }
  /** The node's event stream (links, membership, and whatever its parts publish). */
  get events (): EventStream { return this.runtime.events }

  spawn (fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid { return this.runtime.spawn(fn, opts) }
  send (to: Dest, msg: unknown): void { this.runtime.send(to, msg) }
  run<T>(fn: (ctx: ProcessContext) => T | Promise<T>): Promise<T> { return this.runtime.run(fn) }

  nodes (opts?: { hidden?: boolean }): string[] { return this.kernel.nodes(opts) }
  connect (node: string): Promise<boolean> { return this.kernel.connect(node) }
  disconnect (node: string): boolean { return this.kernel.disconnect(node) }
  /** Counters of the link to `node` (bytes, messages, ticks each way), if it is up. */
  linkStats (node: string): ConnectionStats | undefined { return this.kernel.peerConnection(node)?.stats }
  /** `{ type: 'nodeup' | 'nodedown', node, reason }` messages to `pid`, for `node` or for all nodes. */
  monitorNode (pid: Pid, node?: string, on = true): void { this.kernel.monitorNode(pid, node, on) }

  register (name: string, fn: RpcFunction): void { this.rpc.register(name, fn) }
  call<T = unknown>(node: string, fn: string, args?: unknown[], opts?: RpcCallOptions): Promise<T> { return this.rpc.call<T>(node, fn, args, opts) }
  multicall<T = unknown>(nodes: string[], fn: string, args?: unknown[], opts?: RpcCallOptions): Promise<MulticallResult<T>> { return this.rpc.multicall<T>(nodes, fn, args, opts) }

  /** Closes every link (peers see `disconnect`), stops listening, kills every process. */
  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.membership.stop()
    await this.kernel.stop()
    for (const pid of this.runtime.processes()) this.runtime.exit(pid, 'kill')
    this.runtime.events.publish('node.stopped', {}, 'info')
  }
}

/**
 * Starts a node: validates its name and options, listens on its port, and
 * installs the net kernel. Defaults (defaults.ts) are applied here, once:
 * the kernel, its links and its handshakes get resolved options.
 */
export async function startNode (opts: NodeOptions): Promise<DistNode> {
  const { host } = parseNodeName(opts.name)
  // Every record of this node's parts says which node it is (a logger may be made before the name is known).
  const logger = (opts.logger ?? consoleLogger('tekka')).forNode(opts.name)
  const clock = opts.clock ?? systemClock()
  const basePort = opts.basePort ?? DEFAULT_BASE_PORT
  const cluster = opts.cluster ?? DEFAULT_CLUSTER
  // Checked before anything starts: a bad value fails startNode, not the first link.
  const link = linkSettings({ tickTime: opts.tickTime, sendTimeout: opts.sendTimeout, maxFrameSize: opts.maxFrameSize, highWater: opts.highWater })
  const handshakeTimeout = opts.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT
  if (!(handshakeTimeout > 0)) throw new BadArgError(`handshakeTimeout must be positive, got ${handshakeTimeout}`, 'handshakeTimeout')
  const maxPendingHandshakes = opts.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES
  if (!Number.isSafeInteger(maxPendingHandshakes) || maxPendingHandshakes < 1) {
    throw new BadArgError(`maxPendingHandshakes must be a positive integer, got ${maxPendingHandshakes}`, 'maxPendingHandshakes')
  }
  const listen = opts.listen === false ? false as const : { host: opts.host ?? host, port: opts.port ?? nodePort(opts.name, basePort) }
  const runtime = createRuntime({ node: opts.name, creation: opts.creation ?? randomInt(1, 2 ** 32 - 1), clock, logger })
  const rpc = new Rpc(runtime, logger.child('rpc'))
  const kernel = new NetKernel({
    runtime,
    cookie: opts.cookie,
    cluster,
    hidden: opts.hidden ?? false,
    listen,
    basePort,
    handshakeTimeout,
    maxPendingHandshakes,
    link,
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    transport: opts.transport ?? tcpTransport,
    clock,
    logger: logger.child('dist'),
    onRpc: (peer, s) => { rpc.handle(peer, s) }
  })
  rpc.attach(kernel)
  const node = new DistNode(runtime, kernel, rpc, logger, cluster, { ...opts.membership, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) })
  rpc.register('tekka.ping', () => 'pong')
  rpc.register('tekka.nodes', () => kernel.nodes())
  rpc.register('tekka.ctl', async (words: unknown, flags: unknown) => {
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) return { ok: false, text: 'bad ctl request' }
    return await node.ctl.run(words, { json: (flags as { json?: unknown } | undefined)?.json === true })
  })
  await kernel.start()
  await node.membership.start()
  return node
}
