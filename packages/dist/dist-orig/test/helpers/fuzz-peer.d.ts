/**
 * Raw peers for the bad-input tests: a TCP socket to a node that the test
 * writes arbitrary bytes to, before the handshake (`rawSocket`) or after a
 * real one (`RawPeer.open`, then `write` whatever bytes). Both read what the
 * node sends and tell when, and by whom, the socket was closed.
 *
 * ```ts
 * const peer = await RawPeer.open({ host, port, name: 'fuzz1@127.0.0.1', cookie, expectedName: 'n1@127.0.0.1' })
 * peer.write(Buffer.from([0, 0, 0, 2, 0x7f, 0]))
 * assert.is(await peer.waitClosed(3000), 'closed')
 * ```
 */
import { type Socket } from 'node:net';
import { Pid, Ref } from '@tekka/actors';
import { type Codec } from '../../src/codec.js';
/** A frame as Connection writes it: length prefix, kind byte, msgpack body. */
export declare function frameOf(codec: Codec, value: unknown, kind?: number): Buffer;
export interface RawSocket {
    readonly socket: Socket;
    readonly localPort: number;
    /** Bytes the node sent. */
    readonly received: () => Buffer;
    /** Resolves with the time (Date.now()) the socket closed. */
    readonly closedAt: Promise<number>;
    readonly isClosed: () => boolean;
}
/** A plain TCP connection to host:port, errors swallowed (a reset is a way of closing). */
export declare function rawSocket(host: string, port: number, timeoutMs?: number): Promise<RawSocket>;
/** Resolves with 'closed' when `closed` settles within `ms`, else 'timeout'. */
export declare function closedWithin(closed: Promise<unknown>, ms: number): Promise<'closed' | 'timeout'>;
export interface RawPeerOptions {
    host: string;
    port: number;
    /** Our node name (`name@host`). */
    name: string;
    cookie: string;
    /** The node dialled. */
    expectedName: string;
    creation?: number;
    cluster?: string;
    hidden?: boolean;
    /** Dial and handshake deadline, in ms (default 5000). */
    timeout?: number;
}
export type WaitResult<T> = {
    kind: 'message';
    value: T;
} | {
    kind: 'closed';
} | {
    kind: 'timeout';
};
/**
 * An authenticated connection whose stream after the handshake is ours to
 * write raw. What the node sends is decoded (DATA and CONTROL frames) for
 * `waitFor`; anything it cannot decode is counted, not thrown.
 */
export declare class RawPeer {
    #private;
    readonly name: string;
    readonly creation: number;
    readonly socket: Socket;
    readonly localPort: number;
    readonly codec: Codec;
    /** Resolves once the socket has closed. */
    readonly closed: Promise<void>;
    /** Frames in, and frames in that could not be decoded. */
    framesIn: number;
    undecodable: number;
    static open(opts: RawPeerOptions): Promise<RawPeer>;
    private constructor();
    get isClosed(): boolean;
    /** We half-closed or destroyed the socket (else the node closed it). */
    get endedByUs(): boolean;
    /** A pid of this (fake) node. */
    pid(id: number): Pid;
    ref(id: number): Ref;
    frame(value: unknown, kind?: number): Buffer;
    /** Writes raw bytes; false once the socket is closed. */
    write(bytes: Uint8Array): boolean;
    /** Half-closes: the node reads everything written so far, then sees the end of the stream. */
    end(): void;
    destroy(): void;
    /** The first decoded message (from now on) that `match` accepts, or why none came. */
    waitFor<T = unknown>(match: (v: unknown) => boolean, ms: number): Promise<WaitResult<T>>;
    /** 'closed' once the socket has closed within `ms`, else 'timeout'. */
    waitClosed(ms: number): Promise<'closed' | 'timeout'>;
}
//# sourceMappingURL=fuzz-peer.d.ts.map