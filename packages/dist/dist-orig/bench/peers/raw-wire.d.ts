/**
 * The raw baseline of the remote benchmarks: plain Node TCP sockets with
 * tekka's framing (4-byte length, kind byte, msgpackr body written behind
 * reserved headroom) and the same coalescing (frames queued, one socket write
 * per event-loop turn, from setImmediate), and nothing else: no actors, no
 * kernel, no signal checks, no pid extension (a pid is a plain
 * `[node, id, creation]` tuple). Both ends of the raw runs use this module.
 */
import type { Socket } from 'node:net';
/** Control frames of the raw peer, `[CTL, what, ...]`; everything else is `[tag, ...]` as in protocol.ts. */
export declare const CTL = 0;
export declare const SEND = 1;
export declare const RPC_CALL = 10;
export declare const RPC_REPLY = 11;
/** A pid, as the raw runs carry it. */
export type PidTuple = [node: string, id: number, creation: number];
export declare class RawLink {
    #private;
    constructor(socket: Socket, onMessage: (value: unknown[]) => void);
    /** Bytes queued and not yet written. */
    get queuedBytes(): number;
    send(value: unknown[]): void;
    /** Resolves once the queue is written and the socket takes more. */
    drained(): Promise<void>;
}
//# sourceMappingURL=raw-wire.d.ts.map