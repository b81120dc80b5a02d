/**
 * Every error of @tekka/dist, with its code: the wire (frames, handshake,
 * dials), RPC, membership, the cookie and the configuration. The codes are
 * the typed union `DistErrorCode`, and `DIST_ERRORS` is the table the codec
 * rebuilds remote errors from, so each crosses the wire as itself (see
 * TekkaError in @tekka/actors).
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

export type HandshakeErrorCode =
  | 'ERR_HANDSHAKE_COOKIE'
  | 'ERR_HANDSHAKE_NAME'
  | 'ERR_HANDSHAKE_CLUSTER'
  | 'ERR_HANDSHAKE_VERSION'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_HANDSHAKE_PROTOCOL'
  | 'ERR_HANDSHAKE_REFUSED'
  | 'ERR_HANDSHAKE_CLOSED'

export type BadRpcCode = 'ERR_RPC_TIMEOUT' | 'ERR_RPC_NODEDOWN' | 'ERR_RPC_UNDEF' | 'ERR_RPC_EXCEPTION' | 'ERR_RPC_ABORTED'

export type JoinErrorCode = 'ERR_JOIN_UNREACHABLE' | 'ERR_JOIN_REFUSED' | 'ERR_JOIN_BUSY'

/** The codes of @tekka/dist. */
export type DistErrorCode =
  | 'ERR_FRAME_DECODE' | 'ERR_FRAME_ENCODE' | 'ERR_FRAME_TOO_LARGE' | 'ERR_PROTOCOL'
  | HandshakeErrorCode
  | 'ERR_PORT_IN_USE' | 'ERR_DIAL' | 'ERR_DIAL_TIMEOUT' | 'ERR_BAD_NODE_NAME'
  | BadRpcCode
  | JoinErrorCode | 'ERR_MEMBERSHIP_STORE'
  | 'ERR_COOKIE' | 'ERR_CONFIG'

/** Bytes that are not a valid frame body: bad msgpack, unknown extension, wrong shape. */
export class FrameDecodeError extends TekkaError<'ERR_FRAME_DECODE'> {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_FRAME_DECODE', options)
  }
}

/** A value that msgpackr cannot encode (a cycle, a BigInt too large, ...). */
export class FrameEncodeError extends TekkaError<'ERR_FRAME_ENCODE'> {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_FRAME_ENCODE', options)
  }
}

/** A frame (or a reassembled message) larger than the configured maximum. */
export class FrameTooLargeError extends TekkaError<'ERR_FRAME_TOO_LARGE'> {
  readonly size: number
  readonly max: number
  constructor (size: number, max: number, what = 'frame') {
    super(`${what} of ${size} bytes exceeds the maximum of ${max} bytes`, 'ERR_FRAME_TOO_LARGE')
    this.size = size
    this.max = max
  }
}

/** Well-formed frames in an order or of a kind the protocol does not allow. */
export class ProtocolError extends TekkaError<'ERR_PROTOCOL'> {
  constructor (message: string) {
    super(message, 'ERR_PROTOCOL')
  }
}

/**
 * A handshake that did not end in a connection. `status` is the refusal
 * status that crossed the wire (sent or received), when there was one, so the
 * kernel can tell a tie-break loss (`nok`) from an older live link (`alive`).
 */
export class HandshakeError extends TekkaError<HandshakeErrorCode> {
  readonly status: string | undefined
  constructor (code: HandshakeErrorCode, message: string, options?: { cause?: unknown, status?: string }) {
    super(message, code, options)
    this.status = options?.status
  }
}

/** The listen port is taken (another node with the same port offset, usually). */
export class PortInUseError extends TekkaError<'ERR_PORT_IN_USE'> {
  readonly host: string
  readonly port: number
  constructor (host: string, port: number, options?: { cause?: unknown }) {
    super(`port ${port} on ${host} is in use (is another node with the same port offset running?)`, 'ERR_PORT_IN_USE', options)
    this.host = host
    this.port = port
  }
}

/** An outgoing connection could not be set up; `cause` holds the socket error. */
export class DialError extends TekkaError<'ERR_DIAL' | 'ERR_DIAL_TIMEOUT'> {
  readonly host: string
  readonly port: number
  constructor (host: string, port: number, message: string, options?: { cause?: unknown, code?: 'ERR_DIAL' | 'ERR_DIAL_TIMEOUT' }) {
    super(`cannot connect to ${host}:${port}: ${message}`, options?.code ?? 'ERR_DIAL', options)
    this.host = host
    this.port = port
  }
}

/** A node name that is not `name@host`. */
export class BadNodeNameError extends TekkaError<'ERR_BAD_NODE_NAME'> {
  readonly nodeName: unknown
  constructor (nodeName: unknown, why: string) {
    super(`invalid node name ${typeof nodeName === 'string' ? JSON.stringify(nodeName) : typeof nodeName}: ${why}`, 'ERR_BAD_NODE_NAME')
    this.nodeName = nodeName
  }
}

/** A failed RPC: `code` says how (timeout, nodedown, undefined function, exception on the callee). */
export class BadRpcError extends TekkaError<BadRpcCode> {
  readonly node: string
  readonly fn: string
  /**
   * For ERR_RPC_EXCEPTION: the error the function threw on the callee, as the
   * codec rebuilt it (its class, code and fields; see codec-errors.ts). Also
   * the `cause`.
   */
  readonly remote: Error | undefined
  constructor (code: BadRpcCode, node: string, fn: string, message: string, remote?: Error) {
    super(message, code, remote === undefined ? undefined : { cause: remote })
    this.node = node
    this.fn = fn
    this.remote = remote
  }
}

/** A join that could not be made; `code` says why, the message names the node and the cause. */
export class JoinError extends TekkaError<JoinErrorCode> {
  readonly node: string
  constructor (code: JoinErrorCode, node: string, message: string, cause?: unknown) {
    super(message, code, cause === undefined ? undefined : { cause })
    this.node = node
  }
}

/** The stored member table cannot be read: the node does not start (silently starting alone would split the cluster). */
export class MembershipStoreError extends TekkaError<'ERR_MEMBERSHIP_STORE'> {
  readonly file: string
  constructor (file: string, why: string, cause?: unknown) {
    super(`membership file ${file}: ${why}. Fix it, or remove it to start this node as a cluster of its own.`, 'ERR_MEMBERSHIP_STORE', cause === undefined ? undefined : { cause })
    this.file = file
  }
}

/** A cookie that cannot be used: empty, malformed, or a file with loose permissions. */
export class CookieError extends TekkaError<'ERR_COOKIE'> {
  /** The cookie file concerned, when the problem is with the file. */
  readonly file: string | undefined
  constructor (message: string, file?: string, cause?: unknown) {
    super(message, 'ERR_COOKIE', cause === undefined ? undefined : { cause })
    this.file = file
  }
}

/**
 * A configuration value, key or file that cannot be used. `key` and `source`
 * (`tekka.conf:12`, `env TEKKA_NODE__NAME`, `override`) are set when known,
 * so tools can point at the culprit without parsing the message.
 */
export class ConfigError extends TekkaError<'ERR_CONFIG'> {
  readonly key: string | undefined
  readonly source: string | undefined
  constructor (message: string, details: { key?: string, source?: string, cause?: unknown } = {}) {
    super(message, 'ERR_CONFIG', details.cause === undefined ? undefined : { cause: details.cause })
    this.key = details.key
    this.source = details.source
  }
}

/** Every code of this package and its class. */
export const DIST_ERRORS = {
  ERR_FRAME_DECODE: FrameDecodeError,
  ERR_FRAME_ENCODE: FrameEncodeError,
  ERR_FRAME_TOO_LARGE: FrameTooLargeError,
  ERR_PROTOCOL: ProtocolError,
  ERR_HANDSHAKE_COOKIE: HandshakeError,
  ERR_HANDSHAKE_NAME: HandshakeError,
  ERR_HANDSHAKE_CLUSTER: HandshakeError,
  ERR_HANDSHAKE_VERSION: HandshakeError,
  ERR_HANDSHAKE_TIMEOUT: HandshakeError,
  ERR_HANDSHAKE_PROTOCOL: HandshakeError,
  ERR_HANDSHAKE_REFUSED: HandshakeError,
  ERR_HANDSHAKE_CLOSED: HandshakeError,
  ERR_PORT_IN_USE: PortInUseError,
  ERR_DIAL: DialError,
  ERR_DIAL_TIMEOUT: DialError,
  ERR_BAD_NODE_NAME: BadNodeNameError,
  ERR_RPC_TIMEOUT: BadRpcError,
  ERR_RPC_NODEDOWN: BadRpcError,
  ERR_RPC_UNDEF: BadRpcError,
  ERR_RPC_EXCEPTION: BadRpcError,
  ERR_RPC_ABORTED: BadRpcError,
  ERR_JOIN_UNREACHABLE: JoinError,
  ERR_JOIN_REFUSED: JoinError,
  ERR_JOIN_BUSY: JoinError,
  ERR_MEMBERSHIP_STORE: MembershipStoreError,
  ERR_COOKIE: CookieError,
  ERR_CONFIG: ConfigError
} as const satisfies Record<DistErrorCode, TekkaErrorClass>

registerErrors(DIST_ERRORS)
