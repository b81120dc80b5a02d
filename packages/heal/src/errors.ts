/**
 * Every error of the heal service, each with a stable `code`, the union of
 * those codes, and the table the codec rebuilds them from when they cross
 * the wire (see registerErrors in @tekka/actors).
 *
 * `HealOptionError` is a `BadArgError` and keeps its code, `ERR_BAD_ARG`:
 * that code belongs to @tekka/actors' table, so `err.code === 'ERR_BAD_ARG'`
 * finds every bad argument, and `argument` names the option.
 */
import { BadArgError, TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

/** The codes of @tekka/heal's own errors. */
export type HealErrorCode =
  | 'ERR_HEAL_BAD_REQUEST'

/** A heal option that cannot be used (`heal(init)`): `argument` names it. */
export class HealOptionError extends BadArgError {
  declare readonly argument: string
  constructor (option: string, message: string) {
    super(message, option)
  }
}

/**
 * A peer asked this node's heal service something malformed (a plan with a
 * node on both sides, an id that is not a string, a probe without a node
 * name). Thrown in the RPC handler, so the caller gets it back as itself.
 */
export class HealRequestError extends TekkaError<'ERR_HEAL_BAD_REQUEST'> {
  /** The RPC function that refused the request (`tekka.heal.run`, ...). */
  readonly request: string
  constructor (request: string, message: string) {
    super(`${request}: ${message}`, 'ERR_HEAL_BAD_REQUEST')
    this.request = request
  }
}

/** Every code of this package and its class. */
export const HEAL_ERRORS = {
  ERR_HEAL_BAD_REQUEST: HealRequestError
} as const satisfies Record<HealErrorCode, TekkaErrorClass>

registerErrors(HEAL_ERRORS)
