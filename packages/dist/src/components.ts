/**
 * What a part of a node (a plugin: discovery, heal, lock; an app) gets from
 * the node: a small bag of views, typed here, instead of the node itself.
 * A part sees only what it uses, and a test can hand it in-memory
 * stand-ins. Types only (model: js-libp2p's `Components`).
 *
 * ```ts
 * const start = (components: NodeComponents) => {
 *   const log = components.logger.child('my-part')
 *   components.events.on('dist.nodedown', (e) => { log.info('lost', { peer: e.peer }) })
 *   components.rpc.register('my-part.ping', () => 'pong')
 * }
 * start(node.components)
 * ```
 */
import type { Clock, EventStream, Logger, Pid, ProcessContext, Runtime } from '@tekka/actors'
import type { PeerInfo } from './handshake.js'
import type { ConnectionStats } from './connection.js'
import type { ClusterStatus, Member } from './membership/types.js'
import type { ApplicationInfo, Application } from './applications.js'
import type { CtlHandler } from './ctl.js'
import type { BadRpcError } from './errors.js'

/** This node's identity. */
export interface NodeIdentity {
  /** `name@host`. */
  readonly name: string
  /** This incarnation (random at each start). */
  readonly creation: number
  /** The cluster name exchanged in the handshake (`cluster.name`). */
  readonly cluster: string
  /** The port it listens on; undefined for a client-only node. */
  readonly port: number | undefined
}

/** The links to other nodes (Erlang's net_kernel). */
export interface NetView {
  /** Connected nodes; hidden ones only with `{ hidden: true }`. */
  nodes(opts?: { hidden?: boolean }): string[]
  isConnected(node: string): boolean
  /** Connects if not connected; true once up, false if it cannot be reached. */
  connect(node: string): Promise<boolean>
  /** Closes the link (nodedown `disconnect` on both sides); false if there was none. */
  disconnect(node: string): boolean
  /** The handshake facts of a connected peer (its creation, flags). */
  peerInfo(node: string): PeerInfo | undefined
  /** Counters of the link to `node` (bytes, messages, ticks each way), if it is up. */
  linkStats(node: string): ConnectionStats | undefined
  /** Why the last dial to `node` failed, if it did. */
  lastError(node: string): Error | undefined
  /** `{ type: 'nodeup' | 'nodedown', node, reason? }` messages to `pid`, for `node` or every node (net_kernel:monitor_nodes). */
  monitorNode(pid: Pid, node?: string, on?: boolean): void
  /** net_ticktime in ms: a link silent this long is down. */
  readonly tickTime: number
}

/** A function other nodes may call; it runs in a fresh process (`this` is its context). */
export type RpcFunction = (this: ProcessContext, ...args: any[]) => unknown

export interface RpcCallOptions {
  /** Milliseconds; default 5000. Infinity waits for ever (until nodedown). */
  timeout?: number
  signal?: AbortSignal
}

export type MulticallResult<T> = Array<{ node: string, ok: true, value: T } | { node: string, ok: false, error: BadRpcError }>

/** Named functions callable from other nodes (rpc:call / rpc:multicall). */
export interface RpcService {
  register(name: string, fn: RpcFunction): void
  unregister(name: string): void
  call<T = unknown>(node: string, fn: string, args?: unknown[], opts?: RpcCallOptions): Promise<T>
  multicall<T = unknown>(nodes: string[], fn: string, args?: unknown[], opts?: RpcCallOptions): Promise<MulticallResult<T>>
}

/** The cluster's member table as this node sees it (ekka_membership), and the changes a part may ask for. */
export interface MembershipView {
  readonly cluster: string
  /** This incarnation's guid (sorting guids sorts members by age). */
  readonly guid: string
  isMember(node: string): boolean
  members(): Member[]
  /** Member names, optionally only those up or down. */
  nodelist(status?: 'up' | 'down'): string[]
  /** The oldest member, up or down. */
  leader(): string | undefined
  /** The oldest member that is up. */
  coordinator(): string | undefined
  /** Nodes with a recorded partition. */
  partitions(): string[]
  status(): ClusterStatus
  join(seed: string): Promise<'joined' | 'ignored'>
  leave(): Promise<void>
  forceLeave(node: string): Promise<boolean>
  /** Marks `node` (this one, or a member) as healing, for autoheal. */
  setHealing(node: string, on: boolean): void
  /** Records a partition with `node` (or its end), for autoheal and `cluster status`. */
  reportPartition(event: 'occurred' | 'healed', node: string): void
}

/** Parts of the node that autoheal stops and starts again (ekka's applications). */
export interface ApplicationRegistry {
  register(app: Application, running?: boolean): void
  unregister(name: string): void
  list(): ApplicationInfo[]
  stopAll(): Promise<void>
  startAll(): Promise<Array<{ name: string, error: Error }>>
}

/** Operator commands this node answers (`tekka ctl ... <command>`). */
export interface CtlCommands {
  register(command: string, help: string, handler: CtlHandler): void
  unregister(command: string): void
}

/** The bag a node hands its parts. */
export interface NodeComponents {
  readonly node: NodeIdentity
  readonly clock: Clock
  /** The node's logger; a part takes a child named after itself. */
  readonly logger: Logger
  /** The node's event stream: publish what the part decides, read what others saw. */
  readonly events: EventStream
  /** Spawn, send, exit, whereis: the node's processes. */
  readonly runtime: Runtime
  readonly net: NetView
  readonly rpc: RpcService
  readonly membership: MembershipView
  readonly applications: ApplicationRegistry
  readonly ctl: CtlCommands
}
