/**
 * A distributed node: a runtime with a name, an incarnation (`creation`),
 * the net kernel and RPC. `startNode` is what the `tekka` command and the
 * tests call; everything it starts, `stop()` undoes.
 */
import { EventEmitter } from 'node:events'
import { randomInt } from 'node:crypto'
import {
  consoleLogger, createRuntime, systemClock,
  type Clock, type Dest, type Logger, type Pid, type ProcessContext, type ProcessFn, type Runtime, type SpawnOptions
} from '@tekka/actors'
import { NetKernel, type NodeUpInfo } from './net-kernel.js'
import { Rpc, type CallOptions, type RpcFunction } from './rpc.js'
import { CtlRegistry } from './ctl.js'
import { Applications } from './applications.js'
import { Membership, type MembershipOptions } from './membership/membership.js'
import { nodePort, parseNodeName, type TlsOptions, type Transport } from './transport.js'

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
  handshakeTimeout?: number
  maxFrameSize?: number
  /** Outgoing bytes queued on a link before senders are held back. */
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

const nodes = new WeakMap<Runtime, DistNode>()

/** The distributed node a runtime (or a process's ctx) belongs to. */
export function nodeOf (x: Runtime | ProcessContext): DistNode {
  const rt = 'runtime' in x ? x.runtime : x
  const n = nodes.get(rt)
  if (n === undefined) throw new TypeError(`runtime ${rt.node} is not a distributed node`)
  return n
}

export class DistNode extends EventEmitter {
  readonly name: string
  readonly creation: number
  readonly runtime: Runtime
  readonly kernel: NetKernel
  readonly rpc: Rpc
  readonly log: Logger
  /** Commands of `tekka ctl` this node answers. */
  readonly ctl = new CtlRegistry()
  /** Applications autoheal restarts (the app module, the lock service). */
  readonly applications: Applications
  /** Cluster membership (set by startNode). */
  membership!: Membership
  #stopped = false

  /** @internal use startNode */
  constructor (runtime: Runtime, kernel: NetKernel, rpc: Rpc, log: Logger) {
    super()
    this.runtime = runtime
    this.name = runtime.node
    this.creation = runtime.creation
    this.kernel = kernel
    this.rpc = rpc
    this.log = log
    this.applications = new Applications(log.child('applications'))
    kernel.on('nodeup', (e: NodeUpInfo) => { this.emit('nodeup', e) })
    kernel.on('nodedown', (e: { node: string, reason: string, hidden: boolean }) => { this.emit('nodedown', e) })
  }

  get port (): number | undefined { return this.kernel.port }
  get stopped (): boolean { return this.#stopped }

  spawn (fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid { return this.runtime.spawn(fn, opts) }
  send (to: Dest, msg: unknown): void { this.runtime.send(to, msg) }
  run<T>(fn: (ctx: ProcessContext) => T | Promise<T>): Promise<T> { return this.runtime.run(fn) }

  nodes (opts?: { hidden?: boolean }): string[] { return this.kernel.nodes(opts) }
  connect (node: string): Promise<boolean> { return this.kernel.connect(node) }
  disconnect (node: string): boolean { return this.kernel.disconnect(node) }
  /** `{ type: 'nodeup' | 'nodedown', node, reason }` messages to `pid`, for `node` or for all nodes. */
  monitorNode (pid: Pid, node?: string, on = true): void { this.kernel.monitorNode(pid, node, on) }

  register (name: string, fn: RpcFunction): void { this.rpc.register(name, fn) }
  call<T = unknown>(node: string, fn: string, args?: unknown[], opts?: CallOptions): Promise<T> { return this.rpc.call<T>(node, fn, args, opts) }
  multicall<T = unknown>(nodes: string[], fn: string, args?: unknown[], opts?: CallOptions): ReturnType<Rpc['multicall']> { return this.rpc.multicall<T>(nodes, fn, args, opts) as ReturnType<Rpc['multicall']> }

  /** Closes every link (peers see `disconnect`), stops listening, kills every process. */
  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.membership?.stop()
    await this.kernel.stop()
    for (const pid of this.runtime.processes()) this.runtime.exit(pid, 'kill')
    this.emit('stopped')
  }
}

/** Starts a node: validates its name, listens on its port, and installs the net kernel. */
export async function startNode (opts: NodeOptions): Promise<DistNode> {
  const { host } = parseNodeName(opts.name)
  const logger = opts.logger ?? consoleLogger('tekka')
  const clock = opts.clock ?? systemClock()
  const basePort = opts.basePort ?? 4370
  const runtime = createRuntime({ node: opts.name, creation: opts.creation ?? randomInt(1, 2 ** 32 - 1), clock, logger })
  const rpc = new Rpc(runtime, logger.child('rpc'))
  const kernel = new NetKernel({
    runtime,
    cookie: opts.cookie,
    cluster: opts.cluster ?? 'tekka',
    hidden: opts.hidden ?? false,
    listen: opts.listen === false ? false : { host: opts.host ?? host, port: opts.port ?? nodePort(opts.name, basePort) },
    basePort,
    tickTime: opts.tickTime ?? 8000,
    ...(opts.sendTimeout !== undefined ? { sendTimeout: opts.sendTimeout } : {}),
    handshakeTimeout: opts.handshakeTimeout ?? 5000,
    maxFrameSize: opts.maxFrameSize ?? 64 * 1024 * 1024,
    ...(opts.highWater !== undefined ? { highWater: opts.highWater } : {}),
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    ...(opts.transport !== undefined ? { transport: opts.transport } : {}),
    clock,
    logger: logger.child('dist'),
    onRpc: (peer, s) => { rpc.handle(peer, s) }
  })
  rpc.attach(kernel)
  const node = new DistNode(runtime, kernel, rpc, logger)
  nodes.set(runtime, node)
  rpc.register('tekka.ping', () => 'pong')
  rpc.register('tekka.nodes', () => kernel.nodes())
  rpc.register('tekka.ctl', async (words: unknown, flags: unknown) => {
    if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) return { ok: false, text: 'bad ctl request' }
    return await node.ctl.run(words, { json: (flags as { json?: unknown } | undefined)?.json === true })
  })
  node.ctl.register('ping', 'answers pong', () => ({ ok: true, text: 'pong', json: { pong: node.name } }))
  node.ctl.register('nodes', 'connected nodes', () => {
    const list = kernel.nodes()
    return { ok: true, text: list.join('\n'), json: { node: node.name, nodes: list } }
  })
  // Reads the stored member table: a corrupt one fails the start here, before anything listens.
  node.membership = new Membership(node, opts.cluster ?? 'tekka', { ...opts.membership, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) })
  await kernel.start()
  await node.membership.start()
  return node
}
