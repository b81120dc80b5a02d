/**
 * Every error the test support throws, with its code, in one table (as each
 * tekka package has). The modules that throw them re-export their own
 * (`EventuallyTimeoutError` from `/wait`, `IptablesError` from `/iptables`,
 * ...), so a test imports an error from where it uses the helper.
 *
 * ```ts
 * try { await requireIptables('the partition tests') } catch (err) {
 *   if (err instanceof MissingSystemError) console.log(err.needs, err.fix)
 * }
 * ```
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'

/** The codes of @tekka/testing. */
export type TestingErrorCode =
  | 'ERR_EVENTUALLY_TIMEOUT'
  | 'ERR_RESOLVED'
  | 'ERR_WRONG_REJECTION'
  | 'ERR_MISSING_SYSTEM'
  | 'ERR_IPTABLES'
  | 'ERR_NETNS'
  | 'ERR_WAIT_FOR_LINE'
  | 'ERR_SPAWN'
  | 'ERR_NO_FREE_PORT'
  | 'ERR_TEST_SERVER'
  | 'ERR_BENCH'
  | 'ERR_BENCH_TIMEOUT'
  | 'ERR_TEST_CONFIG'
  | 'ERR_ERLANG_EVAL'

/** `eventually` gave up; `cause` is the last failure of the checked function. */
export class EventuallyTimeoutError extends TekkaError<'ERR_EVENTUALLY_TIMEOUT'> {
  constructor (message: string, cause: unknown) {
    super(message, 'ERR_EVENTUALLY_TIMEOUT', { cause })
  }
}

/** A promise that `rejects` expected to reject resolved instead. */
export class ResolvedError extends TekkaError<'ERR_RESOLVED'> {
  readonly value: unknown
  constructor (what: string, value: unknown) {
    let shown: string
    try { shown = JSON.stringify(value) ?? String(value) } catch { shown = String(value) }
    super(`${what} resolved (with ${shown.slice(0, 200)}) where it should have rejected`, 'ERR_RESOLVED')
    this.value = value
  }
}

/** A promise that `rejects` checked rejected with another class, or a message that does not match; `cause` is what it rejected with. */
export class WrongRejectionError extends TekkaError<'ERR_WRONG_REJECTION'> {
  constructor (message: string, cause: unknown) {
    super(message, 'ERR_WRONG_REJECTION', { cause })
  }
}

/**
 * A test needs something of the machine that is not there: root, a command,
 * a working iptables, network namespaces. `needs` says what, `fix` how to
 * get it. Thrown by the `require...()` functions, so such a test fails with
 * that message instead of skipping.
 */
export class MissingSystemError extends TekkaError<'ERR_MISSING_SYSTEM'> {
  readonly needs: string
  readonly fix: string
  constructor (what: string, needs: string, fix: string, detail?: string) {
    super(`${what} needs ${needs}${detail !== undefined && detail !== '' ? ` (${detail})` : ''}: ${fix}`, 'ERR_MISSING_SYSTEM')
    this.needs = needs
    this.fix = fix
  }
}

/** An iptables command failed. */
export class IptablesError extends TekkaError<'ERR_IPTABLES'> {
  readonly args: readonly string[]
  readonly stderr: string
  constructor (message: string, args: readonly string[] = [], stderr = '') {
    super(message, 'ERR_IPTABLES')
    this.args = args
    this.stderr = stderr
  }
}

/** An `ip` command failed. */
export class NetnsError extends TekkaError<'ERR_NETNS'> {
  constructor (message: string) { super(message, 'ERR_NETNS') }
}

/** A line did not appear in time, or the process ended first. */
export class WaitForLineError extends TekkaError<'ERR_WAIT_FOR_LINE'> {
  constructor (message: string) { super(message, 'ERR_WAIT_FOR_LINE') }
}

/** A child process could not be started. */
export class SpawnError extends TekkaError<'ERR_SPAWN'> {
  constructor (message: string) { super(message, 'ERR_SPAWN') }
}

/** No free port (or range of ports) was found. */
export class NoFreePortError extends TekkaError<'ERR_NO_FREE_PORT'> {
  constructor (message: string) { super(message, 'ERR_NO_FREE_PORT') }
}

/** A test server (etcd, dnsmasq) did not start, exited, or answered with an error; the message ends with its last output. */
export class TestServerError extends TekkaError<'ERR_TEST_SERVER'> {
  constructor (message: string, options?: { cause?: unknown }) { super(message, 'ERR_TEST_SERVER', options) }
}

/** A benchmark was given something it cannot work with (a bad environment value, no samples). */
export class BenchError extends TekkaError<'ERR_BENCH'> {
  constructor (message: string) { super(message, 'ERR_BENCH') }
}

/** A run that did not finish in time: it has lost messages or hangs. */
export class BenchTimeoutError extends TekkaError<'ERR_BENCH_TIMEOUT'> {
  constructor (message: string) { super(message, 'ERR_BENCH_TIMEOUT') }
}

/** A test's environment variable (a size, a seed) is not a value it can use. */
export class TestConfigError extends TekkaError<'ERR_TEST_CONFIG'> {
  constructor (message: string) { super(message, 'ERR_TEST_CONFIG') }
}

/** The Erlang test peer (/erlang) answered a request with an error; the message is Erlang's, as text. */
export class ErlangEvalError extends TekkaError<'ERR_ERLANG_EVAL'> {
  constructor (message: string) { super(message, 'ERR_ERLANG_EVAL') }
}

/** Every code of this package and its class. */
export const TESTING_ERRORS = {
  ERR_EVENTUALLY_TIMEOUT: EventuallyTimeoutError,
  ERR_RESOLVED: ResolvedError,
  ERR_WRONG_REJECTION: WrongRejectionError,
  ERR_MISSING_SYSTEM: MissingSystemError,
  ERR_IPTABLES: IptablesError,
  ERR_NETNS: NetnsError,
  ERR_WAIT_FOR_LINE: WaitForLineError,
  ERR_SPAWN: SpawnError,
  ERR_NO_FREE_PORT: NoFreePortError,
  ERR_TEST_SERVER: TestServerError,
  ERR_BENCH: BenchError,
  ERR_BENCH_TIMEOUT: BenchTimeoutError,
  ERR_TEST_CONFIG: TestConfigError,
  ERR_ERLANG_EVAL: ErlangEvalError
} as const satisfies Record<TestingErrorCode, TekkaErrorClass>

registerErrors(TESTING_ERRORS)
