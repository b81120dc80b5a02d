/**
 * Every error of @tekka/discovery, each with a stable `code` from
 * `DiscoveryErrorCode`, and the table that lets them cross the wire as
 * themselves (`DISCOVERY_ERRORS`, registered when this module loads).
 *
 * - the autocluster actor's bounds on a strategy: StrategyTimeoutError,
 *   BadStrategyResultError, ProbeTimeoutError;
 * - dns: DnsWireError (a packet that is not a DNS message), DnsTimeoutError,
 *   DnsLookupError, DnsBadAnswerError (an answer with records, none a node),
 *   DnsStoppedError;
 * - etcd: EtcdError (etcd said no), EtcdBadResponseError, EtcdUnreachableError,
 *   EtcdTimeoutError, EtcdStoppedError;
 * - k8s: K8sRequestError, K8sApiError, K8sResponseError, K8sCredentialsError;
 * - mdns: MdnsStoppedError, MdnsSocketError.
 *
 * A bad init or option is actors' BadArgError (`ERR_BAD_ARG`); a config
 * value that cannot be used is dist's ConfigError naming the key.
 */
import { TekkaError, registerErrors, type TekkaErrorClass } from '@tekka/actors'
import type { QueryType } from './dns-wire.js'

export type DiscoveryErrorCode =
  | 'ERR_STRATEGY_TIMEOUT'
  | 'ERR_STRATEGY_RESULT'
  | 'ERR_PROBE_TIMEOUT'
  | 'ERR_DNS_WIRE'
  | 'ERR_DNS_TIMEOUT'
  | 'ERR_DNS_LOOKUP'
  | 'ERR_DNS_BAD_ANSWER'
  | 'ERR_DNS_STOPPED'
  | 'ERR_ETCD'
  | 'ERR_ETCD_BAD_RESPONSE'
  | 'ERR_ETCD_UNREACHABLE'
  | 'ERR_ETCD_TIMEOUT'
  | 'ERR_ETCD_STOPPED'
  | 'ERR_K8S_REQUEST'
  | 'ERR_K8S_API'
  | 'ERR_K8S_RESPONSE'
  | 'ERR_K8S_CREDENTIALS'
  | 'ERR_MDNS_STOPPED'
  | 'ERR_MDNS_SOCKET'

// ---- the autocluster actor ----------------------------------------------------------

/** A strategy call did not settle within its bound (`callTimeout`). */
export class StrategyTimeoutError extends TekkaError<'ERR_STRATEGY_TIMEOUT'> {
  readonly call: string
  readonly timeout: number
  constructor (strategy: string, call: string, timeout: number) {
    super(`${strategy}.${call}() did not settle within ${timeout} ms`, 'ERR_STRATEGY_TIMEOUT')
    this.call = call
    this.timeout = timeout
  }
}

/** A strategy answered something that is not what the contract allows (`discover` must give a list of names). */
export class BadStrategyResultError extends TekkaError<'ERR_STRATEGY_RESULT'> {
  readonly call: string
  constructor (strategy: string, call: string, what: string) {
    super(`${strategy}.${call}() returned ${what}`, 'ERR_STRATEGY_RESULT')
    this.call = call
  }
}

/** A discovered node could not be connected to within `probeTimeout`. */
export class ProbeTimeoutError extends TekkaError<'ERR_PROBE_TIMEOUT'> {
  readonly node: string
  readonly timeout: number
  constructor (node: string, timeout: number) {
    super(`no connection within ${timeout} ms`, 'ERR_PROBE_TIMEOUT')
    this.node = node
    this.timeout = timeout
  }
}

// ---- dns ------------------------------------------------------------------------------

/** A packet that is not a well-formed DNS message; the message says where and what. */
export class DnsWireError extends TekkaError<'ERR_DNS_WIRE'> {
  constructor (message: string) { super(message, 'ERR_DNS_WIRE') }
}

/** Every attempt of a lookup went unanswered. */
export class DnsTimeoutError extends TekkaError<'ERR_DNS_TIMEOUT'> {
  readonly query: string
  readonly type: QueryType
  readonly servers: readonly string[]
  readonly timeout: number
  /** Packets and records that were ignored on the way. */
  readonly notes: readonly string[]
  constructor (query: string, type: QueryType, servers: readonly string[], timeout: number, attempts: number, notes: readonly string[]) {
    const ignored = notes.length > 0 ? `; ignored: ${notes.join('; ')}` : ''
    super(`dns: no answer to the ${type} query for ${query} from ${servers.join(', ')} (${attempts} attempt${attempts === 1 ? '' : 's'} within ${timeout} ms; nothing listening there, or the packets are dropped)${ignored}`, 'ERR_DNS_TIMEOUT')
    this.query = query
    this.type = type
    this.servers = servers
    this.timeout = timeout
    this.notes = notes
  }
}

/** What one server did with one attempt. */
export interface DnsFailure {
  readonly server: string
  readonly problem: string
}

/** Servers answered, but not with records: an error rcode (SERVFAIL, REFUSED, ...), a malformed packet, a failed TCP retry. */
export class DnsLookupError extends TekkaError<'ERR_DNS_LOOKUP'> {
  readonly query: string
  readonly type: QueryType
  readonly failures: readonly DnsFailure[]
  readonly notes: readonly string[]
  constructor (query: string, type: QueryType, failures: readonly DnsFailure[], notes: readonly string[]) {
    const seen = new Set<string>()
    const parts: string[] = []
    for (const f of failures) {
      const s = `${f.server} ${f.problem}`
      if (!seen.has(s)) { seen.add(s); parts.push(s) }
    }
    const ignored = notes.length > 0 ? `; ignored: ${notes.join('; ')}` : ''
    super(`dns: ${type} lookup of ${query} failed: ${parts.join('; ')}${ignored}`, 'ERR_DNS_LOOKUP')
    this.query = query
    this.type = type
    this.failures = failures
    this.notes = notes
  }
}

/**
 * A server answered with records, but none of them makes a node (SRV
 * targets `.`, port 0 or without an address; only unspecified addresses), or
 * with a broken CNAME chain (a loop): the zone is wrong, which is not the
 * same as "no nodes yet", so the round fails and is tried again.
 */
export class DnsBadAnswerError extends TekkaError<'ERR_DNS_BAD_ANSWER'> {
  readonly query: string
  readonly type: QueryType
  /** The server that answered. */
  readonly server: string
  /** What was wrong, one entry per record (or the CNAME chain). */
  readonly problems: readonly string[]
  readonly notes: readonly string[]
  constructor (query: string, type: QueryType, server: string, problems: readonly string[], notes: readonly string[]) {
    const ignored = notes.length > 0 ? `; ignored: ${notes.join('; ')}` : ''
    super(`dns: the ${type} answer for ${query} from ${server} has no node in it: ${problems.join('; ')}${ignored}`, 'ERR_DNS_BAD_ANSWER')
    this.query = query
    this.type = type
    this.server = server
    this.problems = problems
    this.notes = notes
  }
}

/** A call on a stopped dns strategy, or a lookup cut short by stop(). */
export class DnsStoppedError extends TekkaError<'ERR_DNS_STOPPED'> {
  constructor () { super('dns strategy stopped', 'ERR_DNS_STOPPED') }
}

// ---- etcd -----------------------------------------------------------------------------

/** etcd answered with an HTTP error status (4xx, 5xx) or an error body: what it said. */
export class EtcdError extends TekkaError<'ERR_ETCD'> {
  readonly server: string
  readonly call: string
  /** HTTP status of the answer. */
  readonly status: number
  /** gRPC code etcd gave (5: not found, 9: failed precondition, 14: unavailable), if any. */
  readonly grpcCode: number | undefined
  /** etcd's own words (`etcdserver: requested lease not found`), or the start of the body. */
  readonly etcdMessage: string
  constructor (server: string, call: string, status: number, etcdMessage: string, grpcCode?: number) {
    super(`etcd ${server} ${call}: HTTP ${status}${grpcCode === undefined ? '' : `, code ${grpcCode}`}: ${etcdMessage}`, 'ERR_ETCD')
    this.server = server
    this.call = call
    this.status = status
    this.grpcCode = grpcCode
    this.etcdMessage = etcdMessage
  }
}

/** etcd (or whatever answered in its place) sent something that is not the answer the call expects. */
export class EtcdBadResponseError extends TekkaError<'ERR_ETCD_BAD_RESPONSE'> {
  readonly server: string
  readonly call: string
  /** What is wrong with it. */
  readonly problem: string
  constructor (server: string, call: string, problem: string) {
    super(`etcd ${server} ${call}: bad answer: ${problem}`, 'ERR_ETCD_BAD_RESPONSE')
    this.server = server
    this.call = call
    this.problem = problem
  }
}

/** No server of the list could be reached; `failures` says why, server by server. */
export class EtcdUnreachableError extends TekkaError<'ERR_ETCD_UNREACHABLE'> {
  readonly call: string
  readonly failures: ReadonlyArray<{ readonly server: string, readonly reason: string }>
  constructor (call: string, failures: ReadonlyArray<{ server: string, reason: string }>) {
    super(`etcd ${call}: no server could be reached: ${failures.map((f) => `${f.server} (${f.reason})`).join('; ')}`, 'ERR_ETCD_UNREACHABLE')
    this.call = call
    this.failures = failures
  }
}

/** A request did not get its answer within `requestTimeout`, over all its attempts. */
export class EtcdTimeoutError extends TekkaError<'ERR_ETCD_TIMEOUT'> {
  readonly call: string
  readonly timeout: number
  constructor (call: string, timeout: number, server: string) {
    super(`etcd ${call}: no answer within ${timeout} ms (last tried ${server})`, 'ERR_ETCD_TIMEOUT')
    this.call = call
    this.timeout = timeout
  }
}

/** A call on an etcd strategy that is not started, or stopped; or a request abandoned by stop(). */
export class EtcdStoppedError extends TekkaError<'ERR_ETCD_STOPPED'> {
  constructor (call?: string) {
    super(call === undefined ? 'etcd strategy stopped: request abandoned' : `etcd strategy is stopped: ${call}() refused`, 'ERR_ETCD_STOPPED')
  }
}

// ---- k8s ------------------------------------------------------------------------------
// Every one makes a discover() round fail; the messages say what went wrong
// and, where it is known, what to fix (the token, the RBAC role, the service
// name, the CA).

/** No answer from the API server: connection refused, TLS refused, timeout, aborted, strategy stopped. */
export class K8sRequestError extends TekkaError<'ERR_K8S_REQUEST'> {
  readonly url: string
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: GET ${url}: ${message}`, 'ERR_K8S_REQUEST', options)
    this.url = url
  }
}

/** The API server answered with an error status (401, 403, 404, 5xx, ...). */
export class K8sApiError extends TekkaError<'ERR_K8S_API'> {
  readonly url: string
  /** The HTTP status. */
  readonly status: number
  /** The `reason` of the Kubernetes Status object (`Unauthorized`, `Forbidden`, `NotFound`), or the HTTP status text. */
  readonly reason: string
  constructor (url: string, status: number, reason: string, message: string) {
    super(`k8s: GET ${url}: ${status} ${reason}: ${message}`, 'ERR_K8S_API')
    this.url = url
    this.status = status
    this.reason = reason
  }
}

/** A successful answer that is not what the API defines: not JSON, JSON of another shape, too big. */
export class K8sResponseError extends TekkaError<'ERR_K8S_RESPONSE'> {
  readonly url: string
  constructor (url: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: GET ${url}: ${message}`, 'ERR_K8S_RESPONSE', options)
    this.url = url
  }
}

/** The service account's token or CA file exists but cannot be read (or the CA is not usable). */
export class K8sCredentialsError extends TekkaError<'ERR_K8S_CREDENTIALS'> {
  readonly file: string
  constructor (file: string, message: string, options?: { cause?: unknown }) {
    super(`k8s: ${file}: ${message}`, 'ERR_K8S_CREDENTIALS', options)
    this.file = file
  }
}

// ---- mdns -----------------------------------------------------------------------------

/** A call on a stopped mdns strategy. */
export class MdnsStoppedError extends TekkaError<'ERR_MDNS_STOPPED'> {
  constructor (call: string) { super(`mdns strategy is stopped: ${call}() refused`, 'ERR_MDNS_STOPPED') }
}

/** The mDNS socket could not be opened or used (no such interface, the port taken, a send refused). */
export class MdnsSocketError extends TekkaError<'ERR_MDNS_SOCKET'> {
  constructor (message: string, cause?: unknown) { super(message, 'ERR_MDNS_SOCKET', cause === undefined ? undefined : { cause }) }
}

/** Every code of this package and its class: the table the codec rebuilds remote errors from. */
export const DISCOVERY_ERRORS = {
  ERR_STRATEGY_TIMEOUT: StrategyTimeoutError,
  ERR_STRATEGY_RESULT: BadStrategyResultError,
  ERR_PROBE_TIMEOUT: ProbeTimeoutError,
  ERR_DNS_WIRE: DnsWireError,
  ERR_DNS_TIMEOUT: DnsTimeoutError,
  ERR_DNS_LOOKUP: DnsLookupError,
  ERR_DNS_BAD_ANSWER: DnsBadAnswerError,
  ERR_DNS_STOPPED: DnsStoppedError,
  ERR_ETCD: EtcdError,
  ERR_ETCD_BAD_RESPONSE: EtcdBadResponseError,
  ERR_ETCD_UNREACHABLE: EtcdUnreachableError,
  ERR_ETCD_TIMEOUT: EtcdTimeoutError,
  ERR_ETCD_STOPPED: EtcdStoppedError,
  ERR_K8S_REQUEST: K8sRequestError,
  ERR_K8S_API: K8sApiError,
  ERR_K8S_RESPONSE: K8sResponseError,
  ERR_K8S_CREDENTIALS: K8sCredentialsError,
  ERR_MDNS_STOPPED: MdnsStoppedError,
  ERR_MDNS_SOCKET: MdnsSocketError
} as const satisfies Record<DiscoveryErrorCode, TekkaErrorClass>

registerErrors(DISCOVERY_ERRORS)
