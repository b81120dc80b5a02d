/**
 * This node's lease in etcd and what lives under it: the node key
 * `P/C/nodes/<node>` (registration) and, through etcd-lock.ts, its lock key.
 *
 * - The lease is granted on the first `register` or `lock` (one grant at a
 *   time, whoever asks), of `ttlSeconds` (etcd may raise a TTL below its
 *   minimum; the TTL it grants is the one used), and kept alive every third
 *   of that TTL.
 * - A keepalive that finds the lease gone (etcd unreachable for longer than
 *   the TTL, or restarted without its data) drops it; a registered node then
 *   grants a new lease and puts its key again at the same rounds. While etcd
 *   cannot be reached the rounds go on, and the cause is logged once (and
 *   once more when etcd answers again).
 * - Writes of the node key are serialised: a re-registration after a lost
 *   lease never crosses an unregister.
 */
import type { Timer } from '@tekka/actors'
import { EtcdError, EtcdStoppedError } from './errors.js'
import { b64 } from './etcd-encoding.js'
import type { EtcdContext, Lease } from './etcd-context.js'
import { messageOf } from './names.js'
import { untilAborted } from './signals.js'

/** The lock's part in the keepalive rounds (etcd-lock.ts): a lock key left to delete. */
export interface LeaseChores {
  /** Whether a round is still needed for it. */
  readonly pending: boolean
  /** Runs once per round, after the keepalive; throws to report a failure. */
  tidy(lease: Lease | undefined): Promise<void>
}

export class EtcdSession {
  readonly #x: EtcdContext
  readonly #nodeKey: string
  readonly #ttlSeconds: number
  #chores: LeaseChores | undefined
  #lease: Lease | undefined
  #granting: Promise<Lease> | undefined
  #registered = false
  // The lease the node key was last put under.
  #keyLease: string | undefined
  #timer: Timer | undefined
  #queue: Promise<unknown> = Promise.resolve()
  // The keepalive problem last logged, so a persisting one is logged once.
  #problem: string | undefined

  constructor (x: EtcdContext, nodeKey: string, ttlSeconds: number) {
    this.#x = x
    this.#nodeKey = nodeKey
    this.#ttlSeconds = ttlSeconds
  }

  /** The lock's chores, run at every keepalive round. */
  attach (chores: LeaseChores): void {
    this.#chores = chores
  }

  /** The lease held now, if any (one etcd dropped is not held). */
  get lease (): Lease | undefined { return this.#lease }

  /** Forgets everything (the strategy stopped) and hands back the lease to revoke, if there was one. */
  reset (): Lease | undefined {
    if (this.#timer !== undefined) this.#x.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#registered = false
    this.#keyLease = this.#problem = undefined
    const lease = this.#lease
    this.#lease = undefined
    return lease
  }

  // ---- registration --------------------------------------------------------------

  async register (signal: AbortSignal | undefined): Promise<void> {
    this.#registered = true
    await this.#serial(async () => { await this.#putNode(signal) }, signal)
  }

  async unregister (signal: AbortSignal | undefined): Promise<void> {
    this.#registered = false
    this.#keyLease = undefined
    await this.#serial(async () => {
      // No more keepalives from here on: if etcd cannot be told now, the key still expires within the TTL.
      const lease = this.#lease
      this.#lease = undefined
      await this.#x.post('/v3/kv/deleterange', { key: b64(this.#nodeKey) }, signal)
      if (lease !== undefined) {
        try {
          await this.#x.post('/v3/lease/revoke', { ID: lease.id }, signal)
        } catch (err) {
          if (!isLeaseNotFound(err)) throw err
        }
      }
    }, signal)
  }

  // ---- the lease -----------------------------------------------------------------

  /** This node's lease, granted when there is none (one grant at a time, whoever asks). */
  async leaseFor (signal: AbortSignal | undefined): Promise<Lease> {
    if (this.#lease !== undefined) return this.#lease
    signal?.throwIfAborted()
    if (this.#granting === undefined) {
      this.#granting = this.#grant().finally(() => { this.#granting = undefined })
      // Its callers may all have given up: its failure is theirs to see, not an unhandled rejection.
      this.#granting.catch(() => {})
    }
    return await untilAborted(this.#granting, signal)
  }

  /** `fn` with this node's lease; when etcd no longer knows it (expired before a keepalive noticed), once more with a new one. */
  async withLease<T> (what: 'put' | 'lock', signal: AbortSignal | undefined, fn: (lease: Lease) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const lease = await this.leaseFor(signal)
      try {
        return await fn(lease)
      } catch (err) {
        if (attempt > 1 || !isLeaseNotFound(err)) throw err
        if (this.#lease !== lease) continue
        this.#lease = undefined
        // The node key went with it; after a lock, the next keepalive round puts it back under the new lease.
        this.#x.logger.warn(`etcd lease ${lease.hex} is gone from etcd: granting a new one${this.#registered && what === 'lock' ? ' (the node key follows at the next keepalive)' : ''}`)
      }
    }
  }

  async #grant (): Promise<Lease> {
    const r = await this.#x.post('/v3/lease/grant', { TTL: String(this.#ttlSeconds) }, undefined)
    const rd = this.#x.reader('lease/grant')
    const id = rd.int64(r.ID, 'ID')
    const ttl = Number(rd.int64(r.TTL, 'TTL'))
    if (BigInt(id) <= 0n) rd.fail(`ID is ${id}, not a lease id`)
    if (!(ttl > 0)) rd.fail(`TTL is ${ttl}, not a positive number of seconds`)
    const lease: Lease = { id, hex: BigInt(id).toString(16), ttl }
    if (!this.#x.running) {
      void this.#x.client.post('/v3/lease/revoke', { ID: lease.id }, []).catch(() => {})
      throw new EtcdStoppedError()
    }
    this.#lease = lease
    this.#x.logger.debug(`etcd lease ${lease.hex} granted, TTL ${lease.ttl} s`)
    this.schedule()
    return lease
  }

  /** Puts the node key under the lease. */
  async #putNode (signal: AbortSignal | undefined): Promise<void> {
    await this.withLease('put', signal, async (lease) => {
      await this.#x.post('/v3/kv/put', { key: b64(this.#nodeKey), value: b64(this.#x.node), lease: lease.id }, signal)
      this.#keyLease = lease.id
    })
  }

  // ---- the keepalive rounds ------------------------------------------------------

  /** The next keepalive (or re-registration) in a third of the TTL. */
  schedule (): void {
    if (!this.#x.running || this.#timer !== undefined) return
    this.#timer = this.#x.clock.setTimeout(() => {
      this.#timer = undefined
      void this.#tick()
    }, Math.max(100, Math.floor(this.#ttl() * 1000 / 3)))
  }

  #ttl (): number {
    return this.#lease?.ttl ?? this.#ttlSeconds
  }

  async #tick (): Promise<void> {
    try {
      const lease = this.#lease
      if (lease !== undefined) await this.#keepalive(lease)
      // Registered means the key is under the current lease: after a lost lease (or a failed try to put it back), put it now.
      if (this.#registered && (this.#lease === undefined || this.#keyLease !== this.#lease.id)) await this.#reregister()
      await this.#chores?.tidy(this.#lease)
      if (this.#problem !== undefined && this.#x.running) {
        this.#x.logger.info(`etcd reachable again (${this.#x.client.current})${this.#registered ? ': this node is registered' : ''}`)
        this.#problem = undefined
      }
    } catch (err) {
      if (!this.#x.running) return
      const what = messageOf(err)
      const retry = `retrying every ${Math.floor(this.#ttl() * 1000 / 3)} ms`
      if (this.#problem !== what) this.#x.logger.warn(`etcd: keeping this node registered failed, ${retry}: ${what}`, { error: err as Error })
      else this.#x.logger.debug(`etcd: keeping this node registered failed again: ${what}`)
      this.#problem = what
    } finally {
      if (this.#x.running && (this.#lease !== undefined || this.#registered || this.#chores?.pending === true)) this.schedule()
    }
  }

  async #keepalive (lease: Lease): Promise<void> {
    let ttl: number
    try {
      const r = await this.#x.post('/v3/lease/keepalive', { ID: lease.id }, undefined)
      // The gateway leaves TTL out (0) for a lease it does not know.
      const rd = this.#x.reader('lease/keepalive')
      ttl = Number(rd.int64(rd.object(r.result, 'result').TTL, 'result.TTL', '0'))
    } catch (err) {
      if (!isLeaseNotFound(err)) throw err
      ttl = 0
    }
    if (this.#lease !== lease || ttl > 0) return
    this.#lease = undefined
    if (this.#registered) this.#x.logger.warn(`etcd: this node is no longer registered: its lease ${lease.hex} is gone from etcd (unreachable for longer than the ${lease.ttl} s TTL, or restarted without its data); registering again`)
  }

  async #reregister (): Promise<void> {
    await this.#serial(async () => {
      // Checked again in turn: a register() just before may have done it.
      if (!this.#registered || (this.#lease !== undefined && this.#keyLease === this.#lease.id)) return
      await this.#putNode(undefined)
      if (this.#registered && this.#lease !== undefined) this.#x.logger.info(`etcd: registered again under lease ${this.#lease.hex}`)
    }, undefined)
  }

  async #serial (fn: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    const p = this.#queue.then(fn)
    this.#queue = p.catch(() => {})
    await untilAborted(p, signal)
  }
}

/** etcd no longer knows the lease (it expired, or etcd restarted empty). */
export function isLeaseNotFound (err: unknown): boolean {
  return err instanceof EtcdError && /lease not found/i.test(err.etcdMessage)
}
