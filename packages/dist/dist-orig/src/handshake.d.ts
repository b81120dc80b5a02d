import type { Socket } from 'node:net';
import type { Clock, Logger } from '@tekka/actors';
/** The protocol version this code speaks best, and the oldest it still speaks. */
export declare const PROTOCOL_VERSION = 1;
export declare const MIN_PROTOCOL_VERSION = 1;
export declare const DEFAULT_HANDSHAKE_TIMEOUT = 5000;
/** What the handshake learned about the other node. `version` is the negotiated one. */
export interface PeerInfo {
    name: string;
    creation: number;
    flags: number;
    cluster: string;
    hidden: boolean;
    version: number;
}
/**
 * The kernel's answer once the client is authenticated: `ok` accepts;
 * `nok` ("a connection to you is being set up by me and wins"), `alive`
 * ("an older connection exists") and `not_allowed` refuse.
 */
export type PeerStatus = 'ok' | 'nok' | 'alive' | 'not_allowed';
export interface HandshakeOptions {
    localName: string;
    /** The shared secret; used only as an HMAC key, never sent. */
    cookie: string | Uint8Array;
    /** This incarnation of the local node (32-bit). */
    creation: number;
    cluster: string;
    hidden?: boolean;
    /** Capability bits, passed through to the peer as `peer.flags`. */
    flags?: number;
    clock?: Clock;
    /** Default: `tekka:dist:handshake` on stderr. */
    logger?: Logger;
    /** Deadline of each step, in ms (default 5000). */
    timeout?: number;
    /** Client: the node dialled; a server with another name is refused (ERR_HANDSHAKE_NAME). */
    expectedName?: string;
    /** Server: the kernel's tie-break, called once the client proved the cookie. May return a promise. */
    onPeer?: (peer: PeerInfo) => PeerStatus | Promise<PeerStatus>;
    /** Highest / lowest protocol version offered (default PROTOCOL_VERSION / MIN_PROTOCOL_VERSION). */
    version?: number;
    minVersion?: number;
    signal?: AbortSignal;
}
export interface HandshakeResult {
    peer: PeerInfo;
    /** Bytes already read past the handshake: the start of the connection's stream. */
    rest: Buffer;
}
/** Dialling side. Resolves once both sides proved the cookie and the server accepted; the socket is then paused. */
export declare function clientHandshake(socket: Socket, opts: HandshakeOptions): Promise<HandshakeResult>;
/** Accepting side. Resolves once the client proved the cookie and `onPeer` said ok; the socket is then paused. */
export declare function serverHandshake(socket: Socket, opts: HandshakeOptions): Promise<HandshakeResult>;
//# sourceMappingURL=handshake.d.ts.map