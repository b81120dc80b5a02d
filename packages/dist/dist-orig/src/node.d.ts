/**
 * A distributed node: a runtime with a name, an incarnation (`creation`),
 * the net kernel and RPC. `startNode` is what the `tekka` command and the
 * tests call; everything it starts, `stop()` undoes.
 */
import { EventEmitter } from 'node:events';
import { type Clock, type Dest, type Logger, type Pid, type ProcessContext, type ProcessFn, type Runtime, type SpawnOptions } from '@tekka/actors';
import { NetKernel } from './net-kernel.js';
import { Rpc, type CallOptions, type RpcFunction } from './rpc.js';
import { CtlRegistry } from './ctl.js';
import { Applications } from './applications.js';
import { Membership, type MembershipOptions } from './membership/membership.js';
import { type TlsOptions, type Transport } from './transport.js';
export interface NodeOptions {
    /** `name@host`. */
    name: string;
    cookie: string;
    /** Nodes of different clusters refuse each other. Default `tekka`. */
    cluster?: string;
    hidden?: boolean;
    /** False for a client-only node that listens on no port (the ctl command). Default true. */
    listen?: boolean;
    /** Explicit listen port; default: ekka's rule from the name and `basePort`. */
    port?: number;
    /** Address to listen on; default the host part of the name. */
    host?: string;
    basePort?: number;
    /** net_ticktime in ms (default 8000). */
    tickTime?: number;
    handshakeTimeout?: number;
    maxFrameSize?: number;
    /** Outgoing bytes queued on a link before senders are held back. */
    highWater?: number;
    tls?: TlsOptions;
    /** Sockets: TCP / TLS by default; tests inject an in-memory network (see Transport). */
    transport?: Transport;
    clock?: Clock;
    logger?: Logger;
    /** Incarnation; random by default (tests may fix it). */
    creation?: number;
    /** Where the member table is kept across restarts (`node.data_dir`); none: memory only. */
    dataDir?: string;
    /** Membership timings (gossip, reconnect). */
    membership?: Omit<MembershipOptions, 'dataDir'>;
}
/** The distributed node a runtime (or a process's ctx) belongs to. */
export declare function nodeOf(x: Runtime | ProcessContext): DistNode;
export declare class DistNode extends EventEmitter {
    #private;
    readonly name: string;
    readonly creation: number;
    readonly runtime: Runtime;
    readonly kernel: NetKernel;
    readonly rpc: Rpc;
    readonly log: Logger;
    /** Commands of `tekka ctl` this node answers. */
    readonly ctl: CtlRegistry;
    /** Applications autoheal restarts (the app module, the lock service). */
    readonly applications: Applications;
    /** Cluster membership (set by startNode). */
    membership: Membership;
    /** @internal use startNode */
    constructor(runtime: Runtime, kernel: NetKernel, rpc: Rpc, log: Logger);
    get port(): number | undefined;
    get stopped(): boolean;
    spawn(fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid;
    send(to: Dest, msg: unknown): void;
    run<T>(fn: (ctx: ProcessContext) => T | Promise<T>): Promise<T>;
    nodes(opts?: {
        hidden?: boolean;
    }): string[];
    connect(node: string): Promise<boolean>;
    disconnect(node: string): boolean;
    /** `{ type: 'nodeup' | 'nodedown', node, reason }` messages to `pid`, for `node` or for all nodes. */
    monitorNode(pid: Pid, node?: string, on?: boolean): void;
    register(name: string, fn: RpcFunction): void;
    call<T = unknown>(node: string, fn: string, args?: unknown[], opts?: CallOptions): Promise<T>;
    multicall<T = unknown>(nodes: string[], fn: string, args?: unknown[], opts?: CallOptions): ReturnType<Rpc['multicall']>;
    /** Closes every link (peers see `disconnect`), stops listening, kills every process. */
    stop(): Promise<void>;
}
/** Starts a node: validates its name, listens on its port, and installs the net kernel. */
export declare function startNode(opts: NodeOptions): Promise<DistNode>;
//# sourceMappingURL=node.d.ts.map