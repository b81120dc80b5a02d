/**
 * The signals nodes exchange once a link is up, as compact arrays
 * `[tag, ...fields]`. Everything read from a peer is checked here before the
 * kernel acts on it: a frame of the wrong shape, an unknown tag, or a signal
 * that claims to come from a process of a third node is a protocol error,
 * and the kernel closes that link (and only that link).
 */
import { Pid, Ref, type RemoteName } from '@tekka/actors';
export declare const SEND = 1;
export declare const REG_SEND = 2;
export declare const LINK = 3;
export declare const UNLINK = 4;
export declare const EXIT = 5;
export declare const EXIT2 = 6;
export declare const MONITOR = 7;
export declare const DEMONITOR = 8;
export declare const DOWN = 9;
export declare const RPC_CALL = 10;
export declare const RPC_REPLY = 11;
export declare const NODES = 12;
export declare const BYE = 13;
export type Signal = {
    tag: typeof SEND;
    from: Pid | null;
    to: Pid;
    msg: unknown;
} | {
    tag: typeof REG_SEND;
    from: Pid | null;
    to: string;
    msg: unknown;
} | {
    tag: typeof LINK | typeof UNLINK;
    from: Pid;
    to: Pid;
} | {
    tag: typeof EXIT | typeof EXIT2;
    from: Pid;
    to: Pid;
    reason: unknown;
} | {
    tag: typeof MONITOR | typeof DEMONITOR;
    watcher: Pid;
    target: Pid | RemoteName;
    ref: Ref;
} | {
    tag: typeof DOWN;
    watcher: Pid;
    ref: Ref;
    target: Pid | RemoteName;
    reason: unknown;
} | {
    tag: typeof RPC_CALL;
    id: number;
    fn: string;
    args: unknown[];
} | {
    tag: typeof RPC_REPLY;
    id: number;
    ok: boolean;
    value: unknown;
} | {
    tag: typeof NODES;
    nodes: string[];
} | {
    tag: typeof BYE;
};
/**
 * Checks a frame received from `peer` by node `local` and returns it as a
 * Signal. Throws ProtocolError for anything else.
 */
export declare function parseSignal(frame: unknown, peer: string, local: string): Signal;
/** How a monitor target travels: a pid, or the bare registered name (its node is implied). */
export declare function wireTarget(t: Pid | RemoteName): Pid | string;
//# sourceMappingURL=protocol.d.ts.map