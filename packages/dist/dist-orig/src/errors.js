/**
 * Named errors of the wire layer. Each has a stable `code` so the net kernel
 * (and operators reading logs) can tell a wrong cookie from a timeout from a
 * corrupt stream without parsing messages.
 */
import { TekkaError } from '@tekka/actors';
/** Bytes that are not a valid frame body: bad msgpack, unknown extension, wrong shape. */
export class FrameDecodeError extends TekkaError {
    constructor(message, options) {
        super(message, 'ERR_FRAME_DECODE', options);
    }
}
/** A value that msgpackr cannot encode (a cycle, a BigInt too large, ...). */
export class FrameEncodeError extends TekkaError {
    constructor(message, options) {
        super(message, 'ERR_FRAME_ENCODE', options);
    }
}
/** A frame (or a reassembled message) larger than the configured maximum. */
export class FrameTooLargeError extends TekkaError {
    size;
    max;
    constructor(size, max, what = 'frame') {
        super(`${what} of ${size} bytes exceeds the maximum of ${max} bytes`, 'ERR_FRAME_TOO_LARGE');
        this.size = size;
        this.max = max;
    }
}
/** Well-formed frames in an order or of a kind the protocol does not allow. */
export class ProtocolError extends TekkaError {
    constructor(message) {
        super(message, 'ERR_PROTOCOL');
    }
}
/**
 * A handshake that did not end in a connection. `status` is the refusal
 * status that crossed the wire (sent or received), when there was one, so the
 * kernel can tell a tie-break loss (`nok`) from an older live link (`alive`).
 */
export class HandshakeError extends TekkaError {
    status;
    constructor(code, message, options) {
        super(message, code, options);
        this.status = options?.status;
    }
}
/** The listen port is taken (another node with the same port offset, usually). */
export class PortInUseError extends TekkaError {
    host;
    port;
    constructor(host, port, options) {
        super(`port ${port} on ${host} is in use (is another node with the same port offset running?)`, 'ERR_PORT_IN_USE', options);
        this.host = host;
        this.port = port;
    }
}
/** An outgoing connection could not be set up; `cause` holds the socket error. */
export class DialError extends TekkaError {
    host;
    port;
    constructor(host, port, message, options) {
        super(`cannot connect to ${host}:${port}: ${message}`, options?.code ?? 'ERR_DIAL', options);
        this.host = host;
        this.port = port;
    }
}
/** A node name that is not `name@host`. */
export class BadNodeNameError extends TekkaError {
    nodeName;
    constructor(nodeName, why) {
        super(`invalid node name ${typeof nodeName === 'string' ? JSON.stringify(nodeName) : typeof nodeName}: ${why}`, 'ERR_BAD_NODE_NAME');
        this.nodeName = nodeName;
    }
}
//# sourceMappingURL=errors.js.map