/**
 * The errors the examples throw, in one place as in every tekka package:
 * each a TekkaError with a stable code, listed in EXAMPLE_ERRORS and
 * registered, so one that crosses a link (a crash reason, an RPC failure)
 * arrives as the same class. A mistake on a launcher's command line is the
 * `tekka` command's own UsageError (`ERR_USAGE`, from 'tekka'): the same
 * thing, for the same kind of program.
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

export type ExampleErrorCode = 'ERR_JOBS_OPTION' | 'ERR_ETCD_GATEWAY' | 'ERR_ETCD_START' | 'ERR_DEMO_STEP' | 'ERR_DEMO_PARTITION'

/** A bad option of startJobs, naming the option and what is allowed. */
export class JobsOptionError extends TekkaError<'ERR_JOBS_OPTION'> {
  readonly option: string
  constructor (option: string, value: unknown, allowed = 'a finite number >= 0') {
    super(`jobs option ${option}: ${JSON.stringify(value)} is not allowed (${allowed})`, 'ERR_JOBS_OPTION')
    this.option = option
  }
}

/** etcd's v3 gateway answered with something other than HTTP 200 and a JSON object, or not in time. */
export class EtcdGatewayError extends TekkaError<'ERR_ETCD_GATEWAY'> {
  constructor (message: string) { super(message, 'ERR_ETCD_GATEWAY') }
}

/** The example's own etcd could not be run, exited, or did not answer while starting. */
export class EtcdStartError extends TekkaError<'ERR_ETCD_START'> {
  constructor (message: string) { super(message, 'ERR_ETCD_START') }
}

/** A step of the cluster demo's script did not happen in time; the message says what was missing. */
export class ScriptStepError extends TekkaError<'ERR_DEMO_STEP'> {
  constructor (message: string) { super(message, 'ERR_DEMO_STEP') }
}

/** The cluster demo could not cut its cluster the way asked (`--partition iptables` without root or a working iptables), or cutting failed. */
export class DemoPartitionError extends TekkaError<'ERR_DEMO_PARTITION'> {
  constructor (message: string, options?: { cause?: unknown }) { super(message, 'ERR_DEMO_PARTITION', options) }
}

export const EXAMPLE_ERRORS = {
  ERR_JOBS_OPTION: JobsOptionError,
  ERR_ETCD_GATEWAY: EtcdGatewayError,
  ERR_ETCD_START: EtcdStartError,
  ERR_DEMO_STEP: ScriptStepError,
  ERR_DEMO_PARTITION: DemoPartitionError
} as const satisfies Record<ExampleErrorCode, TekkaErrorClass>

registerErrors(EXAMPLE_ERRORS)
