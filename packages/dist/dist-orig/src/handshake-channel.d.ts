import type { Socket } from 'node:net';
import type { Clock, Logger } from '@tekka/actors';
import type { HandshakeErrorCode } from './errors.js';
/** Largest handshake message; real ones are a few hundred bytes. */
export declare const HANDSHAKE_MAX_FRAME: number;
/** Bytes a peer may send ahead of the handshake before it is treated as hostile. */
export declare const HANDSHAKE_MAX_BUFFERED: number;
export type Message = Record<string, unknown> & {
    t: string;
};
export declare function codeForStatus(status: string): HandshakeErrorCode;
export interface ChannelOptions {
    clock: Clock;
    logger: Logger;
    timeout: number;
    signal?: AbortSignal | undefined;
}
export declare class HandshakeChannel {
    #private;
    /** Who is on the other end, for messages: a node name once known. */
    peerLabel: string;
    constructor(socket: Socket, opts: ChannelOptions, peerLabel: string);
    /** Sends a message; `transcript` adds it to the hash the cookie proofs sign. */
    send(msg: Message, transcript?: boolean): void;
    /** SHA-256 over every transcript message so far, each length-prefixed. */
    transcriptDigest(): Buffer;
    /**
     * The next message, which must be of type `expected`; a `status` message is
     * the peer's refusal and rejects with the matching code. Deadline: `timeout`.
     */
    receive(expected: string, transcript?: boolean): Promise<Message>;
    /** Waits for a local decision (the kernel's onPeer) under the same deadline. */
    within<T>(what: string, value: T | Promise<T>): Promise<T>;
    /** Throws why the peer can no longer be talked to, if it cannot (closed while we were deciding). */
    ensureOpen(): void;
    /** Tells the peer why we stop (a `status` message), closes our side, and throws the matching error. */
    refuse(status: string, message: string, extra?: Record<string, unknown>): never;
    /** Tears the socket down after a failure and returns the error to throw (as a HandshakeError when it was not one). */
    fail(err: unknown): unknown;
    /** Success: pauses the socket (the connection resumes it), unhooks, and returns the bytes read past the handshake. */
    release(): Buffer;
}
//# sourceMappingURL=handshake-channel.d.ts.map