import { type Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { type HandshakeOptions, type HandshakeResult } from '../../src/handshake.js';
export interface SocketPair {
    client: Socket;
    server: Socket;
    close: () => void;
}
/** A connected pair of real TCP sockets on 127.0.0.1. */
export declare function socketPair(): Promise<SocketPair>;
export declare function opts(name: string, extra?: Partial<HandshakeOptions>): HandshakeOptions;
export interface Settled<T> {
    ok: boolean;
    value?: T;
    error?: unknown;
}
export declare function settled<T>(p: Promise<T>): Promise<Settled<T>>;
/** Runs both sides of a handshake on a fresh socket pair. */
export declare function handshakePair(client: HandshakeOptions, server: HandshakeOptions): Promise<{
    pair: SocketPair;
    client: Settled<HandshakeResult>;
    server: Settled<HandshakeResult>;
}>;
export declare function codeOf(r: Settled<unknown>): string | undefined;
/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export declare function once<T extends unknown[]>(emitter: EventEmitter, event: string, ms?: number): Promise<T>;
export declare function sleep(ms: number): Promise<void>;
/** Polls `cond` until true or `ms` elapse. */
export declare function until(cond: () => boolean, ms?: number, what?: string): Promise<void>;
//# sourceMappingURL=wire.d.ts.map