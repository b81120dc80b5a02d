/**
 * An established distribution link on a handshaken socket: messages out and
 * in as frames (see wire.ts), ticks, back-pressure.
 *
 * Writing. `send` encodes at once and queues (a small message is copied
 * into the outbox's current run of frames, see outbox.ts); one flush per
 * event-loop turn (setImmediate) writes what is queued, up to `fragmentSize`
 * bytes, as one socket write, and the next batch is written only when the
 * socket has taken the previous one. Control frames jump the data queue at every
 * batch, and data messages above `fragmentSize` go out in fragments, so a
 * tick or a signal waits for at most one fragment, whatever the size of the
 * message in front of it.
 *
 * Back-pressure. When queued payload exceeds `highWater` (default 8 MiB),
 * `send` returns a promise that resolves once the queue is back under
 * `lowWater` (default highWater / 2), or the link closes; the kernel awaits it
 * to hold senders back, as Erlang suspends senders on a busy dist port.
 * Below the mark it returns undefined, so the common case allocates nothing.
 *
 * Reading. Frames are decoded where they lie in the socket's chunks (no
 * buffer is made per frame); only a frame split across chunks is joined.
 * Reading pauses after each chunk until the next turn of the event loop, so
 * the processes the messages are for keep up (see #ingest).
 *
 * Ticks (Erlang's net_ticktime). Every tickTime / 4 the connection checks:
 * nothing but ticks written since the last check -> send a tick; nothing at
 * all received in 4 consecutive checks -> close with `net_tick_timeout`.
 * Both ends must use the same tickTime.
 *
 * Closing. `close` (or the socket ending, or a protocol error) clears every
 * timer, drops what is queued, destroys the socket and emits `'close'`
 * exactly once with `(reason, error?)`: `disconnect` (default of close),
 * `connection_closed` (socket ended or failed), `net_tick_timeout`,
 * `protocol_error` (garbage, oversized or out-of-order frames; also logged).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Clock, Logger } from '@tekka/actors';
import type { Codec } from './codec.js';
import type { PeerInfo } from './handshake.js';
export declare const DEFAULT_TICK_TIME = 8000;
export declare const DEFAULT_HIGH_WATER: number;
export declare const DEFAULT_FRAGMENT_SIZE: number;
export type CloseReason = 'disconnect' | 'connection_closed' | 'net_tick_timeout' | 'protocol_error';
export type ConnectionEvents = {
    message: [value: unknown];
    close: [reason: string, error?: Error];
};
export interface ConnectionOptions {
    /** The peer from the handshake (or just its name); kept on `connection.peer` / `peerName`, used in log lines. */
    peer?: PeerInfo | string;
    /** Bytes the handshake read past its end (`HandshakeResult.rest`). */
    rest?: Uint8Array;
    clock?: Clock;
    /** Default: `tekka:dist:connection` on stderr. Used as given. */
    logger?: Logger;
    codec?: Codec;
    /** Erlang's net_ticktime, in ms (default 8000); 0 or Infinity turns ticks off. */
    tickTime?: number;
    /** Queued bytes above which `send` returns a promise (default 8 MiB). */
    highWater?: number;
    /** Queued bytes at which that promise resolves (default highWater / 2). */
    lowWater?: number;
    /** Largest frame, and largest message, accepted or sent (default 64 MiB). */
    maxFrameSize?: number;
    /** Data messages above this are fragmented; also the size of one write batch (default 64 KiB). */
    fragmentSize?: number;
}
export interface SendOptions {
    /** Priority queue: ticks and signals that must not wait behind large messages. */
    control?: boolean;
    /**
     * The sender, for per-sender ordering with priority: a message from a
     * stream goes in the priority queue when it fits in one fragment and the
     * same stream has no large message still queued; otherwise it queues
     * behind that stream's large message. So small signals and messages are
     * never stuck behind another sender's multi-megabyte message, and one
     * sender's messages and signals still arrive in the order sent. Compared
     * by identity (the kernel passes the sending process's pid object).
     */
    stream?: object;
}
export interface ConnectionStats {
    bytesIn: number;
    bytesOut: number;
    messagesIn: number;
    messagesOut: number;
    ticksIn: number;
    ticksOut: number;
}
export declare class Connection extends EventEmitter<ConnectionEvents> {
    #private;
    /** The handshake's PeerInfo, when it was given. */
    readonly peer: PeerInfo | undefined;
    readonly peerName: string | undefined;
    readonly tickTime: number;
    readonly highWater: number;
    readonly lowWater: number;
    readonly maxFrameSize: number;
    readonly fragmentSize: number;
    /**
     * Takes over `socket`. Reading starts on the next turn of the event loop
     * (or at `start()`), so listeners attached right after construction see
     * every message; ticks and sends work at once.
     */
    constructor(socket: Socket, options?: ConnectionOptions);
    get closed(): boolean;
    /** Queued payload bytes not yet handed to the socket. */
    get queuedBytes(): number;
    /** Over the high-water mark: `send` is returning a promise. */
    get busy(): boolean;
    get stats(): ConnectionStats;
    /** Starts reading now instead of on the next turn. Idempotent. */
    start(): this;
    /**
     * Queues `value`. Returns a promise while the connection is over its
     * high-water mark (await it to hold the sender back), else undefined.
     * Throws FrameEncodeError for a value msgpack cannot hold and
     * FrameTooLargeError for one above maxFrameSize. After close, drops the
     * value silently (as Erlang drops sends to a lost node).
     */
    send(value: unknown, options?: SendOptions): Promise<void> | undefined;
    /**
     * Closes the link once everything queued has been handed to the socket
     * (or after `timeout` ms, whichever comes first): for a last message, such
     * as a goodbye, that must not be dropped by `close`.
     */
    flushAndClose(reason?: string, timeout?: number): Promise<void>;
    /** Closes the link (idempotent): timers cleared, queue dropped, socket destroyed, `'close'` emitted once. */
    close(reason?: string, error?: Error): void;
}
//# sourceMappingURL=connection.d.ts.map