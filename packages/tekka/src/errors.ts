/**
 * The errors of the `tekka` package: how the command was called.
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

export type TekkaCommandErrorCode = 'ERR_USAGE' | 'ERR_APP_START'

/** A mistake in how the command was called: the usage is printed, exit status 2. */
export class UsageError extends TekkaError<'ERR_USAGE'> {
  constructor (message: string) { super(message, 'ERR_USAGE') }
}

/** The app module given to `tekka` failed to start; `cause` is why. */
export class AppStartError extends TekkaError<'ERR_APP_START'> {
  readonly app: string
  constructor (app: string, cause: unknown) {
    super(`app ${app} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, 'ERR_APP_START', { cause })
    this.app = app
  }
}

export const TEKKA_ERRORS = {
  ERR_USAGE: UsageError,
  ERR_APP_START: AppStartError
} as const satisfies Record<TekkaCommandErrorCode, TekkaErrorClass>

registerErrors(TEKKA_ERRORS)
