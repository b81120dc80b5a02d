/**
 * The errors of the Erlang distribution side of @tekka/erlang that
 * @tekka/dist has no class for: talking to epmd. A handshake that fails is a
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
  ERR_EPMD_PROTOCOL: EpmdError
} as const satisfies Record<EpmdErrorCode, TekkaErrorClass>

registerErrors(ERLANG_DIST_ERRORS)
