/**
 * The errors of @tekka/management, each with a stable `code`, and the table
 * the codec rebuilds them from (see registerErrors in @tekka/actors).
 */
import { TekkaError, type TekkaErrorClass } from '@tekka/actors'

export type ManagementErrorCode = 'ERR_MANAGEMENT_LISTEN'

/** The endpoint could not listen on `management.host`:`management.port` (in use, no such address): the node does not start. */
export class ManagementListenError extends TekkaError<'ERR_MANAGEMENT_LISTEN'> {
  readonly host: string
  readonly port: number
  constructor (host: string, port: number, cause: Error) {
    super(`management endpoint cannot listen on ${host}:${port} (management.host / management.port): ${cause.message}`, 'ERR_MANAGEMENT_LISTEN', { cause })
    this.host = host
    this.port = port
  }
}

export const MANAGEMENT_ERRORS: Readonly<Record<ManagementErrorCode, TekkaErrorClass>> = {
  ERR_MANAGEMENT_LISTEN: ManagementListenError
}
