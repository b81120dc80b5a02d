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
import { EventEmitter } from 'node:events';
import { Pid, type Clock, type Logger, type Ref, type RemoteName, type RemoteRouter, type Runtime } from '@tekka/actors';
import { type Codec } from './codec.js';
import { Connection } from './connection.js';
import { type PeerInfo } from './handshake.js';
import { type TlsOptions, type Transport } from './transport.js';
import { RPC_CALL, RPC_REPLY, type Signal } from './protocol.js';
export type NodeDownReason = 'connection_closed' | 'net_tick_timeout' | 'disconnect' | 'protocol_error' | string;
export interface NetKernelOptions {
    runtime: Runtime;
    cookie: string;
    cluster: string;
    /** A hidden node is not announced to others and does not appear in their `nodes()`. */
    hidden: boolean;
    /** Where to listen; false for a client-only node (the ctl command). */
    listen: {
        host: string;
        port: number;
    } | false;
    /** Base port for peers' ports (ekka's rule: base + trailing digits of the short name). */
    basePort: number;
    tickTime: number;
    handshakeTimeout: number;
    maxFrameSize: number;
    highWater?: number;
    tls?: TlsOptions;
    /** Sockets: TCP / TLS by default (tests inject an in-memory network). */
    transport?: Transport;
    clock: Clock;
    logger: Logger;
    /** Called for RPC_CALL / RPC_REPLY signals. */
    onRpc?: (peer: string, signal: Extract<Signal, {
        tag: typeof RPC_CALL | typeof RPC_REPLY;
    }>) => void;
}
export interface NodeUpInfo {
    node: string;
    creation: number;
    hidden: boolean;
}
export declare class NetKernel extends EventEmitter implements RemoteRouter {
    #private;
    readonly rt: Runtime;
    readonly name: string;
    readonly creation: number;
    readonly opts: NetKernelOptions;
    readonly codec: Codec;
    readonly log: Logger;
    constructor(opts: NetKernelOptions);
    get port(): number | undefined;
    start(): Promise<void>;
    /** Closes every link (peers see `disconnect`) and the listener. */
    stop(): Promise<void>;
    /** Connected nodes; hidden ones only with `{ hidden: true }`. */
    nodes(opts?: {
        hidden?: boolean;
    }): string[];
    isConnected(node: string): boolean;
    /** Why the last attempt to connect to `node` failed, if it did. */
    lastError(node: string): Error | undefined;
    /** The connection to `node`, if up (for introspection: stats, queued bytes). */
    peerConnection(node: string): Connection | undefined;
    peerInfo(node: string): PeerInfo | undefined;
    /** Connects to `node` if not connected; resolves true once up, false if it cannot be reached. */
    connect(node: string): Promise<boolean>;
    /** Closes the link to `node`; nodedown with reason `disconnect` on both sides. */
    disconnect(node: string): boolean;
    /**
     * Sends `{ type: 'nodeup' | 'nodedown', node, reason? }` to `pid` for `node`
     * (or for every node when `node` is undefined), as net_kernel:monitor_nodes
     * and erlang:monitor_node. Monitoring a node that is not connected tries to
     * connect and reports nodedown if that fails.
     */
    monitorNode(pid: Pid, node?: string, on?: boolean): void;
    /** Sends a frame to `node` (queued while dialling); `stream` orders it with the same stream's other frames. */
    sendFrame(node: string, frame: unknown[], stream?: object): Promise<void> | undefined;
    send(from: Pid | undefined, to: Pid | RemoteName, msg: unknown): Promise<void> | undefined;
    link(from: Pid, to: Pid): void;
    unlink(from: Pid, to: Pid): void;
    exit(from: Pid, to: Pid, reason: unknown, link: boolean): void;
    monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void;
    demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void;
    down(watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown): void;
}
//# sourceMappingURL=net-kernel.d.ts.map