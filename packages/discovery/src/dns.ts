/**
 * The dns strategy (ekka_cluster_dns): the nodes to cluster with are what
 * DNS says about one name (`cluster.dns.name`):
 *
 * - `a` / `aaaa`: each address of the name is a node `<app>@<address>`
 *   (`tekka@10.0.0.7`, `tekka@fd00::7`, addresses printed as RFC 5952 text);
 * - `srv`: each target host of the name's SRV records is a node
 *   `<app>@<target>`, without the trailing dot (`tekka@n1.example.com`), as
 *   ekka takes it. The SRV port is not used (ekka ignores it too): tekka
 *   dials a node on the port its name gives (node.dist_base_port + the
 *   short name's digits), and there is no per-node port to dial instead.
 *   A record is still checked: port 0 is no service's port, and a target
 *   must have an address: each target (not an IP literal) is asked for A
 *   and AAAA at the same servers, and one with neither is skipped.
 *
 * `app` is `cluster.dns.app`; in code it defaults to this node's own short
 * name, as in ekka. This node is in the answer like every other node (the
 * autocluster actor leaves it out). There is no lock and no registry (ekka's
 * `ignore`): DNS is managed by someone else (a Kubernetes headless service,
 * an operator's zone).
 *
 * The servers asked are `cluster.dns.servers` on `cluster.dns.port`, or,
 * when none are given, the system's resolvers: node:dns `getServers()`
 * (read from /etc/resolv.conf at start, or what the app set with
 * `dns.setServers()`), each on its own port. The lookup itself is
 * dns-resolver.ts, our own UDP/TCP client; why not node:dns is said there.
 *
 * Outcomes of one discover():
 *
 * - records: the node names. A record that does not make a node name (an
 *   SRV target that is not a hostname, the root `.`, port 0, a target
 *   without an address, the unspecified address) is skipped and logged
 *   (warn), naming the record and why.
 * - records, none of which makes a node, or a CNAME loop: a rejection with
 *   DnsBadAnswerError naming each record and what is wrong with it. A
 *   broken zone is not "no nodes yet": the round fails (the autocluster
 *   actor reports it) and the next one asks again, so a fixed zone is
 *   picked up.
 * - NXDOMAIN or no records of the type: an empty list (as ekka), logged at
 *   info ("nothing discovered").
 * - no answer, SERVFAIL, REFUSED, a malformed packet: a rejection with
 *   DnsTimeoutError or DnsLookupError, whose message names the servers and
 *   what each did; the autocluster actor logs it and tries the next round.
 * - packets or records the resolver ignored (wrong id, another question, a
 *   record of another name or type, a CNAME loop) are logged (warn) with
 *   the outcome they came with.
 *
 * The same outcome again is logged at debug, so a cluster that waits for
 * DNS does not fill the log. `stop()` ends a lookup in flight at once.
 */
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import type * as NodeDns from 'node:dns'
import { BadArgError } from '@tekka/actors'
import { configValue, nodeNameProblem } from '@tekka/dist'
import { NAME_PART, QUERY_NAME } from './config-patterns.js'
import { DnsBadAnswerError, DnsStoppedError } from './errors.js'
import { describe, messageOf, shortNameProblem } from './names.js'
import { formatServer, lookup, parseServer, type DnsServer, type LookupResult } from './dns-resolver.js'
import type { QueryType, ResourceRecord } from './dns-wire.js'
import { anySignal } from './signals.js'
import type { Strategy, StrategyCallOptions, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

export type DnsType = 'a' | 'aaaa' | 'srv'

export interface DnsInit {
  /** The name to query (`cluster.dns.name`). Default `localhost`. */
  name?: string
  /** Short name of the discovered nodes (`cluster.dns.app`). Default: this node's own short name. */
  app?: string
  /** Record type (`cluster.dns.type`). Default `a`. */
  type?: DnsType
  /**
   * Resolvers to ask (`cluster.dns.servers`): IP addresses (or `ip:port`,
   * `[ipv6]:port`), or one comma-separated string. Default: none, meaning
   * the system's resolvers.
   */
  servers?: readonly string[] | string
  /** Port of `servers` given without one (`cluster.dns.port`). Default 53. */
  port?: number
  /** ms for one lookup, every server and retry included. Default 5000. */
  timeout?: number
  /** ms for one attempt at one server. Default 2000. */
  attemptTimeout?: number
  /** Rounds over the servers. Default 2. */
  tries?: number
}

interface Options {
  readonly name: string
  readonly app: string | undefined
  readonly type: DnsType
  /** Empty: the system's. */
  readonly servers: readonly DnsServer[]
  readonly port: number
  readonly timeout: number
  readonly attemptTimeout: number
  readonly tries: number
}

const QUERY_TYPE: Record<DnsType, QueryType> = { a: 'A', aaaa: 'AAAA', srv: 'SRV' }
/** A DNS name; `_` is allowed, as SRV names have it (`_tekka._tcp.example.com`). */
const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/

class DnsStrategy implements Strategy {
  readonly name = 'dns'
  readonly #o: Options
  readonly #app: string
  readonly #c: StrategyComponents
  #life = new AbortController()
  #stopped = false
  /** What the last discover() logged, to log the same outcome again at debug only. */
  #last: string | undefined

  constructor (o: Options, c: StrategyComponents) {
    this.#o = o
    this.#c = c
    this.#app = o.app ?? c.node.slice(0, c.node.indexOf('@'))
    if (o.servers.length === 0 && o.port !== 53) {
      c.logger.warn(`dns port ${o.port} is not used: it is the port of the servers given, and none are (the system's resolvers are asked, each on its own port)`, { port: o.port })
    }
  }

  /** srv: the SRV lookup, then its targets' address lookups, each within `timeout`. */
  get callTime (): number | undefined { return this.#o.type === 'srv' ? 2 * this.#o.timeout : undefined }

  start (): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#life = new AbortController()
  }

  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#life.abort(new DnsStoppedError())
  }

  async discover (options: StrategyCallOptions = {}): Promise<string[]> {
    if (this.#stopped) throw new DnsStoppedError()
    const o = this.#o
    const servers = o.servers.length > 0 ? o.servers : systemServers()
    const type = QUERY_TYPE[o.type]
    const where = servers.map(formatServer).join(', ')
    // One signal for the lookups, its listeners removed when they settle (the
    // strategy's and the node's signals live long: nothing may pile up on them).
    const ac = anySignal([this.#life.signal, this.#c.signal, options.signal])
    let res: LookupResult
    let problems: Array<string | undefined>
    try {
      try {
        res = await lookup({ name: o.name, type, servers, timeout: o.timeout, attemptTimeout: o.attemptTimeout, tries: o.tries, clock: this.#c.clock, signal: ac.signal })
      } catch (err) {
        // The autocluster actor logs the failed round; this is for tracing.
        this.#last = undefined
        this.#c.logger.debug(`dns ${type} lookup of ${o.name} at ${where} failed: ${(err as Error).message}`)
        throw err
      }
      // Each SRV target's address is asked once, however many records name it.
      const targets = new Map<string, Promise<string | undefined>>()
      const answered = res.server
      problems = await Promise.all(res.records.map(async (r) => await this.#recordProblem(r, answered, servers, targets, ac.signal)))
    } finally {
      ac.release()
    }
    const nodes: string[] = []
    const skipped: string[] = []
    res.records.forEach((r, i) => {
      const d = r.data
      const host = hostOf(r)
      const what = d.kind === 'SRV' ? `SRV record of ${r.name} (target ${d.target === '' ? '.' : d.target}, port ${d.port})` : `${d.kind} record of ${r.name} (${host ?? '?'})`
      const problem = problems[i]
      if (problem !== undefined) { skipped.push(`${what}: ${problem}`); return }
      const node = `${this.#app}@${host as string}`
      if (!nodes.includes(node)) nodes.push(node)
    })
    const via = res.chain.length > 1 ? ` (via CNAME ${res.chain.slice(1).join(' -> ')})` : ''
    if (nodes.length === 0 && (skipped.length > 0 || res.broken !== undefined)) {
      // A broken zone: the round fails, with what is wrong (the autocluster actor logs it).
      this.#last = undefined
      const err = new DnsBadAnswerError(o.name, type, res.server, res.broken !== undefined ? [res.broken, ...skipped] : skipped, res.notes)
      this.#c.logger.debug(err.message)
      throw err
    }
    const lines: Array<['info' | 'warn', string]> = []
    if (nodes.length === 0) {
      const why = res.nxdomain ? 'the name does not exist (NXDOMAIN)' : res.records.length === 0 ? `no ${type} records` : `no ${type} record makes a node name`
      lines.push(['info', `dns: nothing discovered at ${o.name}${via}: ${why}, answered by ${res.server}`])
    }
    if (skipped.length > 0) lines.push(['warn', `dns: ${skipped.length} record${skipped.length === 1 ? '' : 's'} of ${o.name}${via} skipped: ${skipped.join('; ')}`])
    if (res.notes.length > 0) lines.push(['warn', `dns: ignored in the answers from ${where}: ${res.notes.join('; ')}`])
    const key = JSON.stringify([nodes, lines])
    const repeat = key === this.#last
    this.#last = key
    for (const [level, msg] of lines) this.#c.logger[repeat ? 'debug' : level](msg, { name: o.name, type, server: res.server })
    this.#c.logger.debug(`dns: ${o.name}${via} at ${res.server}: ${nodes.length === 0 ? 'no nodes' : nodes.join(', ')}`)
    return nodes
  }

  /**
   * Why record `r` makes no node, or undefined. An SRV record also needs a
   * port other than 0 and a target with an address: the target is asked
   * for A and AAAA at the same servers, the one that answered first.
   */
  async #recordProblem (r: ResourceRecord, answered: string, servers: readonly DnsServer[], targets: Map<string, Promise<string | undefined>>, signal: AbortSignal): Promise<string | undefined> {
    const problem = hostProblem(hostOf(r), this.#app)
    if (problem !== undefined || r.data.kind !== 'SRV') return problem
    if (r.data.port === 0) return 'port 0 is no service\'s port'
    const target = r.data.target
    if (isIP(target) !== 0) return undefined
    const key = target.toLowerCase()
    let p = targets.get(key)
    if (p === undefined) {
      p = this.#addressProblem(target, answered, servers, signal)
      targets.set(key, p)
    }
    return await p
  }

  /** Why SRV target `target` has no address at `servers` (the one that `answered` first), or undefined. */
  async #addressProblem (target: string, answered: string, servers: readonly DnsServer[], signal: AbortSignal): Promise<string | undefined> {
    const o = this.#o
    const order = [...servers].sort((a, b) => Number(formatServer(b) === answered) - Number(formatServer(a) === answered))
    const ask = async (type: QueryType): Promise<LookupResult> => await lookup({ name: target, type, servers: order, timeout: o.timeout, attemptTimeout: o.attemptTimeout, tries: o.tries, clock: this.#c.clock, signal })
    const [a, aaaa] = await Promise.allSettled([ask('A'), ask('AAAA')])
    signal.throwIfAborted()
    const found = (x: PromiseSettledResult<LookupResult>): boolean => x.status === 'fulfilled' && x.value.records.length > 0
    if (found(a) || found(aaaa)) return undefined
    if (a.status === 'rejected' || aaaa.status === 'rejected') {
      const why = [a, aaaa].flatMap((x) => x.status === 'rejected' ? [messageOf(x.reason)] : [])
      return `the lookup of the target's address failed: ${why.join('; ')}`
    }
    const why = a.value.nxdomain ? `${target} does not exist (NXDOMAIN)` : a.value.broken ?? `no A or AAAA records for ${target}`
    return `the target has no address: ${why}, answered by ${a.value.server}`
  }
}

/** The host a record names: its address, or its SRV target. */
function hostOf (r: ResourceRecord): string | undefined {
  const d = r.data
  return d.kind === 'A' || d.kind === 'AAAA' ? d.address : d.kind === 'SRV' ? d.target : undefined
}

/** Why `host` (an address or SRV target) does not make a node `app@host`, or undefined. */
function hostProblem (host: string | undefined, app: string): string | undefined {
  if (host === undefined) return 'no host in it'
  if (host === '') return 'target "." means there is no such service'
  if (host === '0.0.0.0' || host === '::') return 'the unspecified address is no node\'s address'
  const problem = nodeNameProblem(`${app}@${host}`)
  return problem === undefined ? undefined : `not a node name: ${problem}`
}

// node:dns through require: its ESM named exports keep the resolver of the
// start, while `dns.setServers()` (by the app, or a test) replaces it.
const nodeDns = createRequire(import.meta.url)('node:dns') as typeof NodeDns

/** The system's resolvers, as node:dns has them now (an app's `dns.setServers()` included). */
function systemServers (): DnsServer[] {
  const out: DnsServer[] = []
  for (const s of nodeDns.getServers()) {
    const server = parseServer(s, 53)
    if (server !== undefined) out.push(server)
  }
  return out
}

function positive (what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new BadArgError(`dns strategy: ${what} must be a positive number of ms, got ${describe(v)}`)
  return v
}

export const dnsStrategy: StrategyFactory<DnsInit> = (init = {}) => {
  // Defaults in one place.
  const name = init.name ?? 'localhost'
  const type = init.type ?? 'a'
  const port = init.port ?? 53
  const rawServers: unknown = init.servers ?? []
  const timeout = positive('timeout', init.timeout ?? 5000)
  const attemptTimeout = positive('attemptTimeout', init.attemptTimeout ?? 2000)
  const tries = init.tries ?? 2

  if (typeof name !== 'string' || isIP(name) !== 0 || !DNS_NAME.test(name)) throw new BadArgError(`dns strategy: name must be a DNS name, got ${describe(name)}`)
  if (init.app !== undefined && shortNameProblem(init.app) !== undefined) throw new BadArgError(`dns strategy: app must be a node short name (letters, digits, _ and -), got ${describe(init.app)}`)
  if (!Object.hasOwn(QUERY_TYPE, type)) throw new BadArgError(`dns strategy: type must be a, aaaa or srv, got ${describe(type)}`)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadArgError(`dns strategy: port must be an integer in 1..65535, got ${describe(port)}`)
  if (!Number.isInteger(tries) || tries < 1 || tries > 10) throw new BadArgError(`dns strategy: tries must be an integer in 1..10, got ${describe(tries)}`)
  if (!Array.isArray(rawServers) && typeof rawServers !== 'string') throw new BadArgError(`dns strategy: servers must be a list of IP addresses, got ${describe(rawServers)}`)
  const list: unknown[] = typeof rawServers === 'string' ? rawServers.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...rawServers as unknown[]]
  const servers = list.map((s) => {
    const server = typeof s === 'string' ? parseServer(s.trim(), port) : undefined
    if (server === undefined) throw new BadArgError(`dns strategy: server ${describe(s)} is not an IP address (or ip:port, [ipv6]:port)`)
    return server
  })
  const o: Options = { name, app: init.app, type, servers, port, timeout, attemptTimeout, tries }
  return (components) => new DnsStrategy(o, components)
}

/** `cluster.discovery = dns`: `cluster.dns.*`. */
export const dnsDefinition: StrategyDefinition<DnsInit> = {
  name: 'dns',
  keys: [
    { key: 'cluster.dns.name', type: 'string', default: 'localhost', pattern: QUERY_NAME, patternText: 'a DNS name (labels may start with _, as SRV names do)', doc: 'dns: name whose A / AAAA records (or SRV targets) are the nodes\' hosts.', ekka: [{ key: 'cluster.dns.name' }] },
    { key: 'cluster.dns.app', type: 'string', default: 'tekka', pattern: NAME_PART, patternText: 'a node short name: letters, digits, _ or -', doc: 'dns: short name of the discovered nodes (`app@<address>`).', ekka: [{ key: 'cluster.dns.app', note: 'ekka, EMQX 4' }] },
    { key: 'cluster.dns.type', type: 'enum', default: 'a', values: ['a', 'aaaa', 'srv'], doc: 'dns: record type to query.', ekka: [{ key: 'cluster.dns.type', note: 'EMQX 4' }, { key: 'cluster.dns.record_type', note: 'EMQX 5: a | srv, the same values' }] },
    { key: 'cluster.dns.servers', type: 'list', items: 'ip', default: [], defaultText: 'empty: the system resolvers', doc: 'dns: comma-separated resolver IP addresses to query instead of the system ones (tests point this at their own server).' },
    { key: 'cluster.dns.port', type: 'int', default: 53, min: 1, max: 65535, doc: 'dns: port of the resolvers in cluster.dns.servers.' }
  ],
  read: (config) => ({
    name: configValue(config, 'cluster.dns.name') as string,
    app: configValue(config, 'cluster.dns.app') as string,
    type: configValue(config, 'cluster.dns.type') as DnsType,
    servers: configValue(config, 'cluster.dns.servers') as string[],
    port: configValue(config, 'cluster.dns.port') as number
  }),
  create: (init, components) => dnsStrategy(init)(components)
}
