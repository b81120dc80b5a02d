/**
 * Errors of the discovery layer, each with a stable `code`.
 */
import { TekkaError } from '@tekka/actors'

/** A strategy call did not settle within its bound (`callTimeout`). */
export class StrategyTimeoutError extends TekkaError {
  readonly call: string
  readonly timeout: number
  constructor (strategy: string, call: string, timeout: number) {
    super(`${strategy}.${call}() did not settle within ${timeout} ms`, 'ERR_STRATEGY_TIMEOUT')
    this.call = call
    this.timeout = timeout
  }
}

/** A strategy answered something that is not what the contract allows (`discover` must give a list of names). */
export class BadStrategyResultError extends TekkaError {
  readonly call: string
  constructor (strategy: string, call: string, what: string) {
    super(`${strategy}.${call}() returned ${what}`, 'ERR_STRATEGY_RESULT')
    this.call = call
  }
}
