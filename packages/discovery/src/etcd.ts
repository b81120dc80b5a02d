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
 * - **The lease.** A node's keys live under one lease of `node_ttl` (whole
 *   seconds; etcd may raise a TTL below its minimum, and the TTL it grants is
 *   the one used). It is granted on the first `register` or `lock` and kept
 *   alive every third of its TTL. A node that dies without unregistering
 *   (kill -9, power loss) is gone from etcd at most `node_ttl` later. When a
 *   keepalive finds the lease gone (etcd was unreachable for longer than the
 *   TTL, or came back without its data), a registered node grants a new
 *   lease and puts its key again; while etcd cannot be reached, it retries
 *   every third of the TTL and logs the cause once (and once more when it
 *   works again). The node goes on running and stays clustered meanwhile:
 *   etcd only matters to nodes looking for a cluster.
 * - **discover** lists P/C/nodes/ and answers the values (node names), in key
 *   order, this node included once registered.
 * - **register** puts P/C/nodes/<node> under the lease; **unregister** deletes
 *   it and revokes the lease (which also drops a lock key, if one is held).
 *   The autocluster actor unregisters when the node leaves its cluster and
 *   when it stops; `stop()` revokes the lease too, so a stopped node is gone
 *   from etcd at once, not a TTL later.
 * - **lock** follows etcd's lock protocol (that of `/v3/lock/lock`,
 *   `etcdctl lock` and clientv3's concurrency.Mutex), run by this node
 *   itself so that its wait is bounded: one transaction puts
 *   P/C/lock/<lease hex> under the node's lease (if it is not there) and
 *   reads the oldest key under P/C/lock/. The oldest key holds the lock: if
 *   that is ours, `true`. Else this node waits its turn, as the Mutex does
 *   (a watch on the newest key older than ours; when it goes, look again),
 *   for at most `lockWait` (2 s): `true` if the lock comes to it meanwhile,
 *   else its key is deleted again and the answer is `false`. Nodes started
 *   together thus join one after the other in the order they asked, without
 *   each losing a whole autocluster interval per refusal; and a refusal
 *   still comes within `lockWait`, as the contract wants it quick.
 *   Why not `/v3/lock/lock` itself, given a deadline: it blocks until it
 *   has the lock, and a grant that comes just as the request is given up
 *   would be held by a node that does not know it. (etcd 3.4 does delete the
 *   key of a waiter whose request is abandoned, checked by hand with curl;
 *   it cannot know whether a grant was heard.) Being the same protocol, it
 *   excludes other users of the lock API on that name: `etcdctl lock
 *   P/C/lock` held by an operator pauses joining. The lock lives on the
 *   node's lease, so a node that dies holding it frees it at most
 *   `node_ttl` later. **unlock** deletes this node's lock key, which is all
 *   it can hold: harmless when there is none. A lock key that could not be
 *   deleted (etcd unreachable just then) is deleted by the keepalive rounds
 *   later: a forgotten waiter would become a holder nobody knows of.
 *
 * Every call honours the caller's AbortSignal and the node's, is bounded by
 * `requestTimeout` per request, and fails with a named error (EtcdError with
 * the HTTP status and etcd's words; EtcdBadResponseError naming what is
 * wrong with an answer: malformed JSON, a field of the wrong type, bad
 * base64; EtcdUnreachableError listing each server and why; EtcdTimeoutError;
 * EtcdStoppedError). The autocluster actor logs them and retries next round.
 */
import { readFileSync } from 'node:fs'
import { BadArgError, TekkaError, type Timer } from '@tekka/actors'
import {
  EtcdBadResponseError, EtcdClient, EtcdError, ShapeError, b64, int64, list, object, prefixEnd, unb64, type EtcdTls
} from './etcd-client.js'
import { describe } from './names.js'
import type { Strategy, StrategyCallOptions, StrategyComponents, StrategyFactory } from './strategy.js'

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

/** A call on a strategy that is not started, or stopped. */
export class EtcdStoppedError extends TekkaError {
  constructor (call?: string) {
    super(call === undefined ? 'etcd strategy stopped: request abandoned' : `etcd strategy is stopped: ${call}() refused`, 'ERR_ETCD_STOPPED')
  }
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

interface Lease {
  /** Decimal, as the gateway speaks it (64 bits: not a JS number). */
  readonly id: string
  /** Hex, as etcd's lock protocol names keys. */
  readonly hex: string
  /** Seconds etcd granted. */
  readonly ttl: number
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
  readonly #nodesPrefix: string
  readonly #nodeKey: string
  readonly #lockName: string
  #running = false
  #abort = new AbortController()
  #onNodeStop: (() => void) | undefined
  #lease: Lease | undefined
  #granting: Promise<Lease> | undefined
  #registered = false
  // The lease the node key was last put under.
  #keyLease: string | undefined
  // Our lock key, when deleting it failed: a waiter left in etcd's queue would become a holder nobody knows of.
  #staleLock: string | undefined
  // From lock() until unlock() (or a lock() that answered false): our lock key is in use, not stale.
  #lockInUse = false
  #timer: Timer | undefined
  // Writes of the node key, one at a time: a re-registration after a lost lease must not cross an unregister.
  #queue: Promise<unknown> = Promise.resolve()
  // The keepalive problem last logged, so a persisting one is logged once.
  #problem: string | undefined

  constructor (o: Options, c: StrategyComponents) {
    this.#o = o
    this.#c = c
    this.#client = new EtcdClient({ servers: o.servers, tls: o.tls, requestTimeout: o.requestTimeout, attemptTimeout: o.attemptTimeout, clock: c.clock, logger: c.logger })
    const base = `${o.prefix}/${c.cluster}`
    this.#nodesPrefix = `${base}/nodes/`
    this.#nodeKey = `${base}/nodes/${c.node}`
    this.#lockName = `${base}/lock`
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
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#abort.abort(new EtcdStoppedError())
    this.#registered = false
    // All of it goes with the lease; a start() after this begins afresh.
    this.#keyLease = this.#staleLock = this.#problem = undefined
    this.#lockInUse = false
    const lease = this.#lease
    this.#lease = undefined
    if (lease === undefined) return
    // The node key and any lock key go with the lease: a stopped node is gone from etcd now, not a TTL later.
    try {
      await this.#client.post('/v3/lease/revoke', { ID: lease.id }, [])
      this.#c.logger.debug(`etcd lease ${lease.hex} revoked`)
    } catch (err) {
      if (!isLeaseNotFound(err)) this.#c.logger.warn(`etcd strategy stopped, but its lease ${lease.hex} could not be revoked (its keys expire within ${lease.ttl} s): ${message(err)}`, { error: err as Error })
    }
  }

  // ---- the contract --------------------------------------------------------------

  async discover (options: StrategyCallOptions = {}): Promise<string[]> {
    this.#check('discover')
    const r = await this.#post('/v3/kv/range', {
      key: b64(this.#nodesPrefix),
      range_end: prefixEnd(this.#nodesPrefix),
      sort_order: 'ASCEND',
      sort_target: 'KEY'
    }, options.signal)
    return this.#read('kv/range', () => list(r.kvs, 'kvs').map((kv, i) => {
      const o = object(kv, `kvs[${i}]`)
      unb64(o.key, `kvs[${i}].key`)
      return unb64(o.value, `kvs[${i}].value`)
    }))
  }

  async register (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('register')
    this.#registered = true
    await this.#serial(async () => { await this.#putNode(options.signal) }, options.signal)
  }

  async unregister (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('unregister')
    this.#registered = false
    this.#keyLease = undefined
    await this.#serial(async () => {
      // No more keepalives from here on: if etcd cannot be told now, the key still expires within the TTL.
      const lease = this.#lease
      this.#lease = undefined
      await this.#post('/v3/kv/deleterange', { key: b64(this.#nodeKey) }, options.signal)
      if (lease !== undefined) {
        try {
          await this.#post('/v3/lease/revoke', { ID: lease.id }, options.signal)
        } catch (err) {
          if (!isLeaseNotFound(err)) throw err
        }
      }
    }, options.signal)
  }

  async lock (options: StrategyCallOptions = {}): Promise<boolean> {
    this.#check('lock')
    const signal = options.signal
    let mine = ''
    let owner = false
    this.#lockInUse = true
    try {
      const place = await this.#enqueue(signal, (key) => { mine = key })
      owner = place.first?.key === mine || await this.#waitTurn(mine, place.rev, signal)
      if (!owner) {
        const who = place.first === undefined ? 'nobody any more' : place.first.value === '' ? `another client (${place.first.key})` : place.first.value
        this.#c.logger.debug(`etcd lock ${this.#lockName} is held by ${who}`)
      }
      return owner
    } finally {
      if (!owner) {
        // Out of the queue again (also when the call failed half-way), so whoever comes next is not waiting on us.
        if (mine !== '') await this.#dropLockKey(mine)
        this.#lockInUse = false
      }
    }
  }

  /** Our place in etcd's lock queue (created if not there): its create revision, and who is first. */
  async #enqueue (signal: AbortSignal | undefined, named: (key: string) => void): Promise<{ rev: string, first: { key: string, value: string } | undefined }> {
    const pfx = `${this.#lockName}/`
    const oldest = { request_range: { key: b64(pfx), range_end: prefixEnd(pfx), sort_order: 'ASCEND', sort_target: 'CREATE', limit: '1' } }
    const r = await this.#withLease('lock', signal, async (lease) => {
      const mine = `${pfx}${lease.hex}`
      named(mine)
      // Ours again, whatever a failed delete left: this call decides what becomes of it.
      if (this.#staleLock === mine) this.#staleLock = undefined
      return await this.#post('/v3/kv/txn', {
        compare: [{ target: 'CREATE', key: b64(mine), create_revision: '0', result: 'EQUAL' }],
        success: [{ request_put: { key: b64(mine), value: b64(this.#c.node), lease: lease.id } }, { request_range: { key: b64(mine) } }, oldest],
        failure: [{ request_range: { key: b64(mine) } }, oldest]
      }, signal)
    })
    return this.#read('kv/txn', () => {
      const responses = list(r.responses, 'responses')
      if (responses.length < 2) throw new ShapeError(`responses has ${responses.length} item(s), not 2 or 3`)
      const [own, head] = responses.slice(-2).map((x, i) => {
        const at = `responses[${responses.length - 2 + i}]`
        const kvs = list(object(object(x, at).response_range, `${at}.response_range`).kvs, `${at}.response_range.kvs`)
        return kvs.length === 0 ? undefined : object(kvs[0], `${at}.response_range.kvs[0]`)
      })
      if (own === undefined) throw new ShapeError('our lock key is not in the answer')
      return {
        rev: int64(own.create_revision, 'create_revision of our lock key'),
        first: head === undefined ? undefined : { key: unb64(head.key, 'key of the oldest lock key'), value: unb64(head.value, 'value of the oldest lock key') }
      }
    })
  }

  async unlock (options: StrategyCallOptions = {}): Promise<void> {
    this.#check('unlock')
    const lease = this.#lease
    // Without a lease this node holds no lock key (one on a lost lease is gone with it).
    if (lease === undefined) { this.#lockInUse = false; return }
    const mine = `${this.#lockName}/${lease.hex}`
    try {
      await this.#post('/v3/kv/deleterange', { key: b64(mine) }, options.signal)
      if (this.#staleLock === mine) this.#staleLock = undefined
    } catch (err) {
      this.#staleLock = mine
      this.#schedule()
      throw err
    } finally {
      this.#lockInUse = false
    }
  }

  /**
   * Waits, at most `lockWait` ms, for our turn: until no key older than ours
   * is left under the lock prefix (as etcd's Mutex waits: on the deletion of
   * the newest key older than ours). True when the lock is ours; false when
   * the wait is over, or our key is gone (its lease lost).
   */
  async #waitTurn (mine: string, rev: string, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#o.lockWait <= 0) return false
    const over = new Error('lock wait over')
    const deadline = new AbortController()
    const timer = this.#c.clock.setTimeout(() => { deadline.abort(over) }, this.#o.lockWait)
    const pfx = `${this.#lockName}/`
    try {
      for (;;) {
        // Ours and the one just before it, newest first.
        const r = await this.#post('/v3/kv/range', {
          key: b64(pfx), range_end: prefixEnd(pfx), sort_order: 'DESCEND', sort_target: 'CREATE', max_create_revision: rev, limit: '2'
        }, signal, deadline.signal)
        const { keys, at } = this.#read('kv/range', () => ({
          keys: list(r.kvs, 'kvs').map((kv, i) => unb64(object(kv, `kvs[${i}]`).key, `kvs[${i}].key`)),
          at: int64(object(r.header, 'header').revision, 'header.revision')
        }))
        if (keys[0] !== mine) return false
        const before = keys[1]
        if (before === undefined) return true
        // Watched from just after what the range saw: a deletion in between is not missed.
        await this.#client.stream('/v3/watch', {
          create_request: { key: b64(before), start_revision: String(BigInt(at) + 1n), filters: ['NOPUT'] }
        }, [signal, deadline.signal, this.#abort.signal, this.#c.signal], (o) => this.#read('watch', () => {
          const res = object(o.result, 'result')
          // Deleted, or the watch was refused (compacted history): look again.
          return res.canceled === true || list(res.events, 'result.events').length > 0
        }))
      }
    } catch (err) {
      if (deadline.signal.aborted && deadline.signal.reason === over && !(signal?.aborted ?? false)) return false
      throw err
    } finally {
      this.#c.clock.clearTimeout(timer)
    }
  }

  /** Deletes our lock key; if etcd cannot be told now, the keepalive rounds retry (and they report failing again themselves). */
  async #dropLockKey (key: string, again = false): Promise<void> {
    try {
      await this.#post('/v3/kv/deleterange', { key: b64(key) }, undefined)
      if (this.#staleLock === key) this.#staleLock = undefined
    } catch (err) {
      this.#staleLock = key
      if (again) throw err
      this.#schedule()
      this.#c.logger.warn(`etcd: could not take this node out of the lock queue (${key}); retrying every third of the TTL: ${message(err)}`)
    }
  }

  // ---- the lease -----------------------------------------------------------------

  /** This node's lease, granted when there is none (one grant at a time, whoever asks). */
  async #leaseFor (signal: AbortSignal | undefined): Promise<Lease> {
    if (this.#lease !== undefined) return this.#lease
    signal?.throwIfAborted()
    if (this.#granting === undefined) {
      this.#granting = this.#grant().finally(() => { this.#granting = undefined })
      // Its callers may all have given up: its failure is theirs to see, not an unhandled rejection.
      this.#granting.catch(() => {})
    }
    return await untilAborted(this.#granting, signal)
  }

  async #grant (): Promise<Lease> {
    const r = await this.#post('/v3/lease/grant', { TTL: String(this.#o.ttlSeconds) }, undefined)
    const lease = this.#read('lease/grant', () => {
      const id = int64(r.ID, 'ID')
      const ttl = Number(int64(r.TTL, 'TTL'))
      if (BigInt(id) <= 0n) throw new ShapeError(`ID is ${id}, not a lease id`)
      if (!(ttl > 0)) throw new ShapeError(`TTL is ${ttl}, not a positive number of seconds`)
      return { id, hex: BigInt(id).toString(16), ttl }
    })
    if (!this.#running) {
      void this.#client.post('/v3/lease/revoke', { ID: lease.id }, []).catch(() => {})
      throw new EtcdStoppedError()
    }
    this.#lease = lease
    this.#c.logger.debug(`etcd lease ${lease.hex} granted, TTL ${lease.ttl} s`)
    this.#schedule()
    return lease
  }

  /** Puts the node key under the lease. */
  async #putNode (signal: AbortSignal | undefined): Promise<void> {
    await this.#withLease('put', signal, async (lease) => {
      await this.#post('/v3/kv/put', { key: b64(this.#nodeKey), value: b64(this.#c.node), lease: lease.id }, signal)
      this.#keyLease = lease.id
    })
  }

  /** `fn` with this node's lease; when etcd no longer knows it (expired before a keepalive noticed), once more with a new one. */
  async #withLease<T> (what: 'put' | 'lock', signal: AbortSignal | undefined, fn: (lease: Lease) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const lease = await this.#leaseFor(signal)
      try {
        return await fn(lease)
      } catch (err) {
        if (attempt > 1 || !isLeaseNotFound(err)) throw err
        if (this.#lease !== lease) continue
        this.#lease = undefined
        // The node key went with it; after a lock, the next keepalive round puts it back under the new lease.
        this.#c.logger.warn(`etcd lease ${lease.hex} is gone from etcd: granting a new one${this.#registered && what === 'lock' ? ' (the node key follows at the next keepalive)' : ''}`)
      }
    }
  }

  /** The next keepalive (or re-registration) in a third of the TTL. */
  #schedule (): void {
    if (!this.#running || this.#timer !== undefined) return
    const seconds = this.#lease?.ttl ?? this.#o.ttlSeconds
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#timer = undefined
      void this.#tick()
    }, Math.max(100, Math.floor(seconds * 1000 / 3)))
  }

  async #tick (): Promise<void> {
    try {
      const lease = this.#lease
      if (lease !== undefined) await this.#keepalive(lease)
      // Registered means the key is under the current lease: after a lost lease (or a failed try to put it back), put it now.
      if (this.#registered && (this.#lease === undefined || this.#keyLease !== this.#lease.id)) await this.#reregister()
      const stale = this.#staleLock
      // A key of a lost lease went with it.
      if (stale !== undefined && (this.#lease === undefined || !stale.endsWith(`/${this.#lease.hex}`))) this.#staleLock = undefined
      else if (stale !== undefined && !this.#lockInUse) await this.#dropLockKey(stale, true)
      if (this.#problem !== undefined && this.#running) {
        this.#c.logger.info(`etcd reachable again (${this.#client.current})${this.#registered ? ': this node is registered' : ''}`)
        this.#problem = undefined
      }
    } catch (err) {
      if (!this.#running) return
      const what = message(err)
      const retry = `retrying every ${Math.floor((this.#lease?.ttl ?? this.#o.ttlSeconds) * 1000 / 3)} ms`
      if (this.#problem !== what) this.#c.logger.warn(`etcd: keeping this node registered failed, ${retry}: ${what}`, { error: err as Error })
      else this.#c.logger.debug(`etcd: keeping this node registered failed again: ${what}`)
      this.#problem = what
    } finally {
      if (this.#running && (this.#lease !== undefined || this.#registered || this.#staleLock !== undefined)) this.#schedule()
    }
  }

  async #keepalive (lease: Lease): Promise<void> {
    let ttl: number
    try {
      const r = await this.#post('/v3/lease/keepalive', { ID: lease.id }, undefined)
      // The gateway leaves TTL out (0) for a lease it does not know.
      ttl = this.#read('lease/keepalive', () => Number(int64(object(r.result, 'result').TTL, 'result.TTL', '0')))
    } catch (err) {
      if (!isLeaseNotFound(err)) throw err
      ttl = 0
    }
    if (this.#lease !== lease || ttl > 0) return
    this.#lease = undefined
    if (this.#registered) this.#c.logger.warn(`etcd: this node is no longer registered: its lease ${lease.hex} is gone from etcd (unreachable for longer than the ${lease.ttl} s TTL, or restarted without its data); registering again`)
  }

  async #reregister (): Promise<void> {
    await this.#serial(async () => {
      // Checked again in turn: a register() just before may have done it.
      if (!this.#registered || (this.#lease !== undefined && this.#keyLease === this.#lease.id)) return
      await this.#putNode(undefined)
      if (this.#registered && this.#lease !== undefined) this.#c.logger.info(`etcd: registered again under lease ${this.#lease.hex}`)
    }, undefined)
  }

  // ---- plumbing ------------------------------------------------------------------

  #check (call: string): void {
    if (!this.#running || this.#c.signal.aborted) throw new EtcdStoppedError(call)
  }

  async #post (path: string, body: unknown, ...signals: Array<AbortSignal | undefined>): Promise<Record<string, unknown>> {
    return await this.#client.post(path, body, [...signals, this.#abort.signal, this.#c.signal])
  }

  /** Reads an answer; a field of the wrong shape is an EtcdBadResponseError naming it. */
  #read<T>(call: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof ShapeError) throw new EtcdBadResponseError(this.#client.current, call, err.message)
      throw err
    }
  }

  async #serial (fn: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    const p = this.#queue.then(fn)
    this.#queue = p.catch(() => {})
    await untilAborted(p, signal)
  }
}

function isLeaseNotFound (err: unknown): boolean {
  return err instanceof EtcdError && /lease not found/i.test(err.etcdMessage)
}

function message (err: unknown): string {
  return err instanceof Error ? err.message : describe(err)
}

/** `p`, or the abort reason of `signal` if that comes first. */
async function untilAborted<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

function readPem (file: string | undefined, key: string): Buffer | undefined {
  if (file === undefined) return undefined
  try {
    return readFileSync(file)
  } catch (err) {
    throw new BadArgError(`etcd strategy: cannot read ${key} ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? message(err)})`)
  }
}

function positiveMs (v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new BadArgError(`etcd strategy: ${what} must be a positive number of ms, got ${describe(v)}`)
  return v
}

export const etcdStrategy: StrategyFactory<EtcdInit> = (init = {}) => {
  // Defaults and checks in one place; the TLS files are read now, so a bad path stops the node at start.
  const raw: unknown = init.server ?? DEFAULTS.server
  const servers = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : Array.isArray(raw) ? [...raw as unknown[]] : undefined
  if (servers === undefined || servers.length === 0) throw new BadArgError(`etcd strategy: server must be one or more URLs, got ${describe(raw)}`)
  for (const s of servers) {
    let u: URL | undefined
    try { u = new URL(String(s)) } catch {}
    if (typeof s !== 'string' || u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
      throw new BadArgError(`etcd strategy: server ${describe(s)} is not an http:// or https:// URL`)
    }
  }
  const rawPrefix: unknown = init.prefix ?? DEFAULTS.prefix
  const prefix = typeof rawPrefix === 'string' ? rawPrefix.replace(/\/+$/, '') : ''
  if (prefix === '') throw new BadArgError(`etcd strategy: prefix must be a non-empty string, got ${describe(init.prefix)}`)
  const nodeTtl = positiveMs(init.nodeTtl, DEFAULTS.nodeTtl, 'nodeTtl')
  const ssl = init.ssl ?? {}
  if ((ssl.keyfile === undefined) !== (ssl.certfile === undefined)) throw new BadArgError('etcd strategy: ssl.keyfile and ssl.certfile go together')
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
