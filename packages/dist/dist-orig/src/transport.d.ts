import type { Socket } from 'node:net';
import type { Clock, Logger } from '@tekka/actors';
export { nodePort, parseNodeName, isNodeName, DEFAULT_BASE_PORT, PORT_OFFSET_LIMIT } from './node-name.js';
export type { NodeName } from './node-name.js';
type Pem = string | Buffer;
export interface TlsOptions {
    /** This node's private key (PEM). */
    key: Pem;
    /** This node's certificate (PEM), signed by `ca`. */
    cert: Pem;
    /** The cluster's CA certificate(s) (PEM): peers must present a certificate it signed. */
    ca: Pem | Pem[];
    /** Dialling: check that the server certificate names the host dialled (default true). */
    verifyHostname?: boolean;
}
export interface ListenOptions {
    host: string;
    /** 0 picks a free port (see `Listener.port`). */
    port: number;
    tls?: TlsOptions;
    /** Gets each accepted socket (after the TLS handshake, with TLS). */
    onConnection: (socket: Socket) => void;
    /** Deadline for a client's TLS handshake, in ms (default 5000). */
    tlsHandshakeTimeout?: number;
    backlog?: number;
    logger?: Logger;
}
export interface Listener {
    readonly host: string;
    readonly port: number;
    /** Stops accepting; sockets already handed out stay open (they belong to their connections). Idempotent. */
    close(): Promise<void>;
}
export interface DialOptions {
    host: string;
    port: number;
    tls?: TlsOptions;
    /** Deadline for TCP connect plus TLS handshake, in ms (default 5000). */
    timeout?: number;
    /**
     * Source address to connect from (the node's own address), so a node named
     * for 127.0.0.2 talks from 127.0.0.2 — as firewall rules and peers expect.
     */
    localAddress?: string;
    clock?: Clock;
    signal?: AbortSignal;
}
export declare const DEFAULT_DIAL_TIMEOUT = 5000;
/**
 * How a node accepts and makes links: `tcpTransport` (TCP, or TLS) by
 * default. Tests inject another one, such as an in-memory network of stream
 * pairs; a socket it hands out needs only what a net.Socket offers the
 * handshake and the connection (read, write, end, destroy, pause, resume,
 * cork, uncork and their events).
 */
export interface Transport {
    listen(options: ListenOptions): Promise<Listener>;
    dial(options: DialOptions): Promise<Socket>;
}
/** Starts accepting connections on host:port; EADDRINUSE becomes PortInUseError. */
export declare function listen(options: ListenOptions): Promise<Listener>;
/** Connects to host:port (TCP, or mutual TLS) within `timeout`; failures become DialError. */
export declare function dial(options: DialOptions): Promise<Socket>;
/** The default transport: `listen` and `dial` above. */
export declare const tcpTransport: Transport;
//# sourceMappingURL=transport.d.ts.map