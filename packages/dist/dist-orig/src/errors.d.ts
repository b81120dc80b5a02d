/**
 * Named errors of the wire layer. Each has a stable `code` so the net kernel
 * (and operators reading logs) can tell a wrong cookie from a timeout from a
 * corrupt stream without parsing messages.
 */
import { TekkaError } from '@tekka/actors';
/** Bytes that are not a valid frame body: bad msgpack, unknown extension, wrong shape. */
export declare class FrameDecodeError extends TekkaError {
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/** A value that msgpackr cannot encode (a cycle, a BigInt too large, ...). */
export declare class FrameEncodeError extends TekkaError {
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/** A frame (or a reassembled message) larger than the configured maximum. */
export declare class FrameTooLargeError extends TekkaError {
    readonly size: number;
    readonly max: number;
    constructor(size: number, max: number, what?: string);
}
/** Well-formed frames in an order or of a kind the protocol does not allow. */
export declare class ProtocolError extends TekkaError {
    constructor(message: string);
}
export type HandshakeErrorCode = 'ERR_HANDSHAKE_COOKIE' | 'ERR_HANDSHAKE_NAME' | 'ERR_HANDSHAKE_CLUSTER' | 'ERR_HANDSHAKE_VERSION' | 'ERR_HANDSHAKE_TIMEOUT' | 'ERR_HANDSHAKE_PROTOCOL' | 'ERR_HANDSHAKE_REFUSED' | 'ERR_HANDSHAKE_CLOSED';
/**
 * A handshake that did not end in a connection. `status` is the refusal
 * status that crossed the wire (sent or received), when there was one, so the
 * kernel can tell a tie-break loss (`nok`) from an older live link (`alive`).
 */
export declare class HandshakeError extends TekkaError {
    readonly code: HandshakeErrorCode;
    readonly status: string | undefined;
    constructor(code: HandshakeErrorCode, message: string, options?: {
        cause?: unknown;
        status?: string;
    });
}
/** The listen port is taken (another node with the same port offset, usually). */
export declare class PortInUseError extends TekkaError {
    readonly host: string;
    readonly port: number;
    constructor(host: string, port: number, options?: {
        cause?: unknown;
    });
}
/** An outgoing connection could not be set up; `cause` holds the socket error. */
export declare class DialError extends TekkaError {
    readonly host: string;
    readonly port: number;
    constructor(host: string, port: number, message: string, options?: {
        cause?: unknown;
        code?: 'ERR_DIAL' | 'ERR_DIAL_TIMEOUT';
    });
}
/** A node name that is not `name@host`. */
export declare class BadNodeNameError extends TekkaError {
    readonly nodeName: unknown;
    constructor(nodeName: unknown, why: string);
}
//# sourceMappingURL=errors.d.ts.map