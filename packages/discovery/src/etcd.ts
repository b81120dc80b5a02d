/**
 * The etcd strategy (ekka_cluster_etcd, its v3 flavour): nodes register in
 * etcd and discover each other there, and take an etcd lock to join one at a
 * time. It talks to etcd's v3 API through the HTTP/JSON gateway that every
 * etcd since 3.4 serves on its client URLs (etcd-client.ts), with failover
 * between the servers of `cluster.etcd.server` and optional TLS client
 * certificates.
 *
 * Keys, with P = `cluster.etcd.prefix` and C = `cluster.name`:
 *
 *   P/C/nodes/<node>          value: the node name; under this node's lease
 *   P/C/lock/<lease in hex>   the autocluster lock (etcd's lock protocol)
 *
 * - **The lease** (etcd-session.ts): a node's keys live under one lease of
 *   `node_ttl` (whole seconds), granted on the first `register` or `lock` and
 *   kept alive every third of its TTL. A node that dies without
 *   unregistering (kill -9, power loss) is gone from etcd at most `node_ttl`
 *   later. A lost lease is replaced and the node key put again; while etcd
 *   cannot be reached the node goes on running and stays clustered: etcd
 *   only matters to nodes looking for a cluster.
 * - **discover** lists P/C/nodes/ and answers the values (node names), in key
 *   order, this node included once registered.
 * - **register** puts P/C/nodes/<node> under the lease; **unregister** deletes
 *   it and revokes the lease (which also drops a lock key, if one is held).
 *   The autocluster actor unregisters when the node leaves its cluster and
 *   when it stops; `stop()` revokes the lease too, so a stopped node is gone
 *   from etcd at once, not a TTL later.
 * - **lock / unlock** (etcd-lock.ts): etcd's lock protocol with a bounded
 *   wait in the queue (`lockWait`, 2 s).
 *
 * Every call honours the caller's AbortSignal and the node's, is bounded by
 * `requestTimeout` per request, and fails with a named error (EtcdError with
 * the HTTP status and etcd's words; EtcdBadResponseError naming what is
 * wrong with an answer: malformed JSON, a field of the wrong type, bad
 * base64; EtcdUnreachableError listing each server and why; EtcdTimeoutError;
 * EtcdStoppedError). The autocluster actor reports them and retries next round.
 */
import { readFileSync } from 'node:fs'
import { BadArgError } from '@tekka/actors'
import { configValue } from '@tekka/dist'
import { HOURS, MINUTES, SECONDS } from './config-patterns.js'
import { EtcdStoppedError } from './errors.js'
import { EtcdClient, type EtcdTls } from './etcd-client.js'
import type { EtcdContext } from './etcd-context.js'
import { AnswerReader, b64, prefixEnd } from './etcd-encoding.js'
import { EtcdLock } from './etcd-lock.js'
import { EtcdSession, isLeaseNotFound } from './etcd-session.js'
import { describe, messageOf } from './names.js'
import type { Strategy, StrategyCallOptions, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

export interface EtcdSslInit {
  /** PEM client key file (with `certfile`), for servers that check client certificates. */
  keyfile?: string
  /** PEM client certificate file. */
  certfile?: string
  /** PEM CA bundle the server's certificate must chain to. Default: Node's CAs. */
  cacertfile?: string
}

export interface EtcdInit {
  /** etcd client URLs (or one comma-separated string); tried in order on failure. Default `http://127.0.0.1:2379`. */
  server?: readonly string[] | string
  /** Key prefix (`cluster.etcd.prefix`). Default `tekkacl`. */
  prefix?: string
  /** ms the registration outlives a node that stopped keeping it alive (`cluster.etcd.node_ttl`; etcd counts whole seconds). Default 60000. */
  nodeTtl?: number
  /** TLS client material for https servers (`cluster.etcd.ssl.*`). */
  ssl?: EtcdSslInit
  /** ms one request may take, over all servers tried. Default 5000. */
  requestTimeout?: number
  /** ms one server may take to connect and start answering before the next is tried. Default 2000. */
  attemptTimeout?: number
  /**
   * Most ms lock() waits in etcd's queue for a holder to let go before it
   * answers false (0: never waits). Default 2000.
   */
  lockWait?: number
}

interface Options {
  readonly servers: readonly string[]
  readonly prefix: string
  readonly ttlSeconds: number
  readonly tls: EtcdTls | undefined
  readonly requestTimeout: number
  readonly attemptTimeout: number
  readonly lockWait: number
}

const DEFAULTS = {
  server: ['http://127.0.0.1:2379'],
  prefix: 'tekkacl',
  nodeTtl: 60_000,
  requestTimeout: 5000,
  attemptTimeout: 2000,
  lockWait: 2000
} as const

class EtcdStrategy implements Strategy {
  readonly name = 'etcd'
  readonly #o: Options
  readonly #c: StrategyComponents
  readonly #client: EtcdClient
  readonly #session: EtcdSession
  readonly #lock: EtcdLock
  readonly #nodesPrefix: string
  readonly #nodeKey: string
  #running = false
  #abort = new AbortController()
  #onNodeStop: (() => void) | undefined

  constructor (o: Options, c: StrategyComponents) {
    this.#o = o
    this.#c = c
    this.#client = new EtcdClient({ servers: o.servers, tls: o.tls, requestTimeout: o.requestTimeout, attemptTimeout: o.attemptTimeout, clock: c.clock, logger: c.logger })
    const base = `${o.prefix}/${c.cluster}`
    this.#nodesPrefix = `${base}/nodes/`
    this.#nodeKey = `${base}/nodes/${c.node}`
    const self = this
    const x: EtcdContext = {
      client: this.#client,
      clock: c.clock,
      logger: c.logger,
      node: c.node,
      get running () { return self.#running },
      get lifeSignals () { return [self.#abort.signal, c.signal] },
      post: async (path, body, ...signals) => await this.#client.post(path, body, [...signals, this.#abort.signal, c.signal]),
      reader: (call) => new AnswerReader(this.#client.current, call)
    }
    this.#session = new EtcdSession(x, this.#nodeKey, o.ttlSeconds)
    this.#lock = new EtcdLock(x, this.#session, `${base}/lock`, o.lockWait)
  }

  // ---- lifecycle -----------------------------------------------------------------

  start (): void {
    if (this.#running) return
    if (this.#c.signal.aborted) return
    this.#running = true
    this.#abort = new AbortController()
    this.#onNodeStop = () => { void this.stop() }
    this.#c.signal.addEventListener('abort', this.#onNodeStop, { once: true })
    this.#c.logger.info(`etcd strategy started: ${this.#o.servers.join(', ')}, key ${this.#nodeKey}, lease TTL ${this.#o.ttlSeconds} s`)
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    if (this.#onNodeStop !== undefined) this.#c.signal.removeEventListener('abort', this.#onNodeStop)
    this.#onNodeStop = undefined
    this.#abort.abort(new EtcdStoppedError())
    // All of it goes with the lease; a start() after this begins afresh.
    this.#lock.reset()
    const lease = this.#session.reset()
    if (lease === undefined) return
    // The node key and any lock key go with the lease: a stopped node is gone from etcd now, not a TTL later.
    try {
      await this.#client.post('/v3/lease/revoke', { ID: lease.id }, [])
      this.#c.logger.debug(`etcd lease ${lease.hex} revoked`)
    } catch (err) {
      if (!isLeaseNotFound(err)) this.#c.logger.warn(`etcd strategy stopped, but its lease ${lease.hex} could not be revoked (its keys expire within ${lease.ttl} s): ${messageOf(err)}`, { error: err as Error })
    }
  }

  // ---- the contract --------------------------------------------------------------

  async discover (options: StrategyCallOptions = {}): Promise<string[]> {
    this.#check('discover')
    const r = await this.#client.post('/v3/kv/range', {
      key: b64(this.#nodesPrefix),
      range_end: prefixEnd(this.#nodesPrefix),
      sort_order: 'ASCEND',
      sort_target: 'KEY'
    }, [options.signal, this.#abort.signal, this.#c.signal])
    const rd = new AnswerReader(this.#client.current, 'kv/range')
    return rd.list(r.kvs, 'kvs').map((kv, i) => {
      const o = rd.object(kv, `kvs[${i}]`)
      rd.unb64(o.key, `kvs[${i}].key`)
      return rd.unb64(o.value, `kvs[${i}].value`)
    })
  }

  async register (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('register')
    await this.#session.register(options.signal)
  }

  async unregister (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('unregister')
    await this.#session.unregister(options.signal)
  }

  async lock (options: StrategyCallOptions = {}): Promise<boolean> {
    this.#check('lock')
    return await this.#lock.lock(options.signal)
  }

  async unlock (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('unlock')
    await this.#lock.unlock(options.signal)
  }

  #check (call: string): void {
    if (!this.#running || this.#c.signal.aborted) throw new EtcdStoppedError(call)
  }
}

function readPem (file: string | undefined, key: string): Buffer | undefined {
  if (file === undefined) return undefined
  try {
    return readFileSync(file)
  } catch (err) {
    throw new BadArgError(`etcd strategy: cannot read ${key} ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? messageOf(err)})`, key)
  }
}

function positiveMs (v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new BadArgError(`etcd strategy: ${what} must be a positive number of ms, got ${describe(v)}`, what)
  return v
}

export const etcdStrategy: StrategyFactory<EtcdInit> = (init = {}) => {
  // Defaults and checks in one place; the TLS files are read now, so a bad path stops the node at start.
  const raw: unknown = init.server ?? DEFAULTS.server
  const servers = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : Array.isArray(raw) ? [...raw as unknown[]] : undefined
  if (servers === undefined || servers.length === 0) throw new BadArgError(`etcd strategy: server must be one or more URLs, got ${describe(raw)}`, 'server')
  for (const s of servers) {
    let u: URL | undefined
    try { u = new URL(String(s)) } catch {}
    if (typeof s !== 'string' || u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
      throw new BadArgError(`etcd strategy: server ${describe(s)} is not an http:// or https:// URL`, 'server')
    }
  }
  const rawPrefix: unknown = init.prefix ?? DEFAULTS.prefix
  const prefix = typeof rawPrefix === 'string' ? rawPrefix.replace(/\/+$/, '') : ''
  if (prefix === '') throw new BadArgError(`etcd strategy: prefix must be a non-empty string, got ${describe(init.prefix)}`, 'prefix')
  const nodeTtl = positiveMs(init.nodeTtl, DEFAULTS.nodeTtl, 'nodeTtl')
  const ssl = init.ssl ?? {}
  if ((ssl.keyfile === undefined) !== (ssl.certfile === undefined)) throw new BadArgError('etcd strategy: ssl.keyfile and ssl.certfile go together', 'ssl')
  const tlsMaterial = { key: readPem(ssl.keyfile, 'cluster.etcd.ssl.keyfile'), cert: readPem(ssl.certfile, 'cluster.etcd.ssl.certfile'), ca: readPem(ssl.cacertfile, 'cluster.etcd.ssl.cacertfile') }
  const tls: EtcdTls | undefined = Object.values(tlsMaterial).some((v) => v !== undefined)
    ? Object.fromEntries(Object.entries(tlsMaterial).filter(([, v]) => v !== undefined))
    : undefined
  const o: Options = {
    servers: servers as string[],
    prefix,
    ttlSeconds: Math.max(1, Math.ceil(nodeTtl / 1000)),
    tls,
    requestTimeout: positiveMs(init.requestTimeout, DEFAULTS.requestTimeout, 'requestTimeout'),
    attemptTimeout: positiveMs(init.attemptTimeout, DEFAULTS.attemptTimeout, 'attemptTimeout'),
    lockWait: init.lockWait === 0 ? 0 : positiveMs(init.lockWait, DEFAULTS.lockWait, 'lockWait')
  }
  return (components) => new EtcdStrategy(o, components)
}

const SSL_FILES = ['cluster.etcd.ssl.keyfile', 'cluster.etcd.ssl.certfile', 'cluster.etcd.ssl.cacertfile'] as const

/** `cluster.discovery = etcd`: `cluster.etcd.*`. */
export const etcdDefinition: StrategyDefinition<EtcdInit> = {
  name: 'etcd',
  keys: [
    { key: 'cluster.etcd.server', type: 'list', items: 'url', minItems: 1, default: [...DEFAULTS.server], doc: 'etcd: comma-separated endpoint URLs; the next one is tried when one fails.', ekka: [{ key: 'cluster.etcd.server', note: 'comma-separated (ekka, EMQX 5), or an array' }] },
    { key: 'cluster.etcd.prefix', type: 'string', default: DEFAULTS.prefix, pattern: /^[A-Za-z0-9_./-]+$/, patternText: 'letters, digits, _ . / or -', doc: 'etcd: key prefix under which nodes register (`<prefix>/<cluster.name>/nodes/<node>`).', ekka: [{ key: 'cluster.etcd.prefix' }] },
    { key: 'cluster.etcd.node_ttl', type: 'duration', default: 1 * MINUTES, min: 1 * SECONDS, max: 24 * HOURS, doc: 'etcd: lease TTL of a node\'s registration, so a node that died without unregistering disappears (etcd counts whole seconds).', ekka: [{ key: 'cluster.etcd.node_ttl' }] },
    { key: 'cluster.etcd.ssl.keyfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'etcd: PEM client key, for etcd servers that require client certificates.', ekka: [{ key: 'cluster.etcd.ssl.keyfile', note: 'EMQX 4, EMQX 5.0' }, { key: 'cluster.etcd.ssl_options.keyfile', note: 'EMQX 5' }] },
    { key: 'cluster.etcd.ssl.certfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'etcd: PEM client certificate (with cluster.etcd.ssl.keyfile).', ekka: [{ key: 'cluster.etcd.ssl.certfile', note: 'EMQX 4, EMQX 5.0' }, { key: 'cluster.etcd.ssl_options.certfile', note: 'EMQX 5' }] },
    { key: 'cluster.etcd.ssl.cacertfile', type: 'path', default: undefined, defaultText: 'unset: the system CAs', doc: 'etcd: PEM CA bundle that the etcd server certificate must chain to.', ekka: [{ key: 'cluster.etcd.ssl.cacertfile', note: 'EMQX 4, EMQX 5.0' }, { key: 'cluster.etcd.ssl_options.cacertfile', note: 'EMQX 5' }] }
  ],
  check (values, chosen) {
    const key = values.get('cluster.etcd.ssl.keyfile')
    const cert = values.get('cluster.etcd.ssl.certfile')
    if ((key === undefined) !== (cert === undefined)) {
      values.fail(key === undefined ? 'cluster.etcd.ssl.keyfile' : 'cluster.etcd.ssl.certfile', 'cluster.etcd.ssl.keyfile and cluster.etcd.ssl.certfile go together')
    }
    // Read at start anyway; checked here so the error names the key, not a bare ENOENT later.
    if (chosen) for (const k of SSL_FILES) values.requireReadable(k)
  },
  read (config) {
    const file = (k: typeof SSL_FILES[number]): string | undefined => configValue(config, k) as string | undefined
    const ssl: EtcdSslInit = {}
    const [keyfile, certfile, cacertfile] = SSL_FILES.map(file)
    if (keyfile !== undefined) ssl.keyfile = keyfile
    if (certfile !== undefined) ssl.certfile = certfile
    if (cacertfile !== undefined) ssl.cacertfile = cacertfile
    return {
      server: configValue(config, 'cluster.etcd.server') as string[],
      prefix: configValue(config, 'cluster.etcd.prefix') as string,
      nodeTtl: configValue(config, 'cluster.etcd.node_ttl') as number,
      ssl
    }
  },
  create: (init, components) => etcdStrategy(init)(components)
}
