/** Errors of the heal service, with stable codes. */
import { TekkaError } from '@tekka/actors'

/** A heal option that cannot be used: `option` names it. */
export class HealOptionError extends TekkaError {
  readonly option: string
  constructor (option: string, message: string) {
    super(message, 'ERR_HEAL_OPTION')
    this.option = option
  }
}
