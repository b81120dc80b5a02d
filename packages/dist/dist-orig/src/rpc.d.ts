/**
 * RPC: functions registered by name on a node, called from other nodes
 * (Erlang's rpc:call / rpc:multicall, with named functions in place of
 * module:function). A remote call runs in a fresh process on the callee, so
 * a throw there is the call's typed failure and never harms the node.
 */
import { TekkaError, type Runtime, type ProcessContext, type Logger } from '@tekka/actors';
import { RPC_CALL, RPC_REPLY, type Signal } from './protocol.js';
import type { NetKernel } from './net-kernel.js';
export type RpcFunction = (this: ProcessContext, ...args: any[]) => unknown;
export type BadRpcCode = 'ERR_RPC_TIMEOUT' | 'ERR_RPC_NODEDOWN' | 'ERR_RPC_UNDEF' | 'ERR_RPC_EXCEPTION' | 'ERR_RPC_ABORTED';
/** A failed RPC: `code` says how (timeout, nodedown, undefined function, exception on the callee). */
export declare class BadRpcError extends TekkaError {
    readonly code: BadRpcCode;
    readonly node: string;
    readonly fn: string;
    /** For ERR_RPC_EXCEPTION: the callee's error (name, message, stack). */
    readonly remote: {
        name: string;
        message: string;
        stack?: string;
    } | undefined;
    constructor(code: BadRpcCode, node: string, fn: string, message: string, remote?: {
        name: string;
        message: string;
        stack?: string;
    });
}
export interface CallOptions {
    /** Milliseconds; default 5000. Infinity waits for ever (until nodedown). */
    timeout?: number;
    signal?: AbortSignal;
}
type RpcSignal = Extract<Signal, {
    tag: typeof RPC_CALL | typeof RPC_REPLY;
}>;
export declare class Rpc {
    #private;
    constructor(rt: Runtime, logger: Logger);
    /** @internal */
    attach(kernel: NetKernel): void;
    /** Makes `fn` callable from other nodes as `name`. Replaces an earlier registration. */
    register(name: string, fn: RpcFunction): void;
    unregister(name: string): void;
    registered(): string[];
    /** Calls `fn` on `node` with `args`; rejects with a BadRpcError. */
    call<T = unknown>(node: string, fn: string, args?: unknown[], opts?: CallOptions): Promise<T>;
    /** Calls `fn` on every node; each result is `{ node, ok: true, value }` or `{ node, ok: false, error }`. */
    multicall<T = unknown>(nodes: string[], fn: string, args?: unknown[], opts?: CallOptions): Promise<Array<{
        node: string;
        ok: true;
        value: T;
    } | {
        node: string;
        ok: false;
        error: BadRpcError;
    }>>;
    /** @internal RPC signals from a peer. */
    handle(peer: string, s: RpcSignal): void;
}
export {};
//# sourceMappingURL=rpc.d.ts.map