/**
 * The errors of the Erlang distribution side of @tekka/erlang that
 * @tekka/dist has no class for: talking to epmd, and distribution packets
 * that cannot be read. A handshake that fails is a
 * HandshakeError of @tekka/dist (same codes: cookie, timeout, protocol,
 * refused, closed, version), so callers catch one class for both protocols.
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

export type EpmdErrorCode =
  /** No epmd answers at that address (not started, wrong ERL_EPMD_PORT). */
  | 'ERR_EPMD_UNREACHABLE'
  /** ALIVE2 refused: another node holds the name. */
  | 'ERR_EPMD_NAME_TAKEN'
  /** PORT_PLEASE2: epmd knows no node of that name. */
  | 'ERR_EPMD_NOT_FOUND'
  /** An answer that is not epmd's protocol, or none in time. */
  | 'ERR_EPMD_PROTOCOL'

/** What was wrong with a distribution packet from a peer. */
export type ErlPacketErrorCode =
  /** Not a packet of the protocol: an unknown kind, a header or term cut short or malformed. */
  | 'ERR_ERL_PACKET'
  /** The control message is not a tuple of an operation this node knows, with its fields. */
  | 'ERR_ERL_CONTROL'
  /** A fragment (DIST_FRAG_HEADER / DIST_FRAG_CONT) out of sequence, or fragments beyond the limits. */
  | 'ERR_ERL_FRAGMENT'

/** A distribution packet this node cannot read: the link to that peer is closed with it (erl does the same), the node carries on. `offset` is the byte of the packet where it went wrong. */
export class ErlPacketError extends TekkaError<ErlPacketErrorCode> {
  readonly offset: number
  constructor (code: ErlPacketErrorCode, offset: number, message: string, options?: { cause?: unknown }) {
    super(`erlang distribution packet: ${message} (at byte ${offset})`, code, options)
    this.offset = offset
  }
}

/** A request to epmd that failed; the message names the epmd (host:port) and the node name asked about. */
export class EpmdError extends TekkaError<EpmdErrorCode> {
  readonly host: string
  readonly port: number
  constructor (code: EpmdErrorCode, host: string, port: number, message: string, options?: { cause?: unknown }) {
    super(`epmd at ${host}:${port}: ${message}`, code, options)
    this.host = host
    this.port = port
  }
}

export const ERLANG_DIST_ERRORS = {
  ERR_EPMD_UNREACHABLE: EpmdError,
  ERR_EPMD_NAME_TAKEN: EpmdError,
  ERR_EPMD_NOT_FOUND: EpmdError,
  ERR_EPMD_PROTOCOL: EpmdError,
  ERR_ERL_PACKET: ErlPacketError,
  ERR_ERL_CONTROL: ErlPacketError,
  ERR_ERL_FRAGMENT: ErlPacketError
} as const satisfies Record<EpmdErrorCode | ErlPacketErrorCode, TekkaErrorClass>

registerErrors(ERLANG_DIST_ERRORS)
