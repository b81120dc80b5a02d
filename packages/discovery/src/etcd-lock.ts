/**
 * The etcd strategy's autocluster lock: etcd's lock protocol (that of
 * `/v3/lock/lock`, `etcdctl lock` and clientv3's concurrency.Mutex), run by
 * this node itself so that its wait is bounded.
 *
 * One transaction puts `P/C/lock/<lease hex>` under the node's lease (if it
 * is not there) and reads the oldest key under `P/C/lock/`. The oldest key
 * holds the lock: if that is ours, `true`. Else this node waits its turn, as
 * the Mutex does (a watch on the newest key older than ours; when it goes,
 * look again), for at most `lockWait`: `true` if the lock comes to it
 * meanwhile, else its key is deleted again and the answer is `false`. So
 * nodes started together join one after the other in the order they asked,
 * and a refusal still comes within `lockWait`.
 *
 * Why not `/v3/lock/lock` itself, given a deadline: it blocks until it has
 * the lock, and a grant that comes just as the request is given up would be
 * held by a node that does not know it. Being the same protocol, it excludes
 * other users of the lock API on that name: `etcdctl lock P/C/lock` held by
 * an operator pauses joining. The lock lives on the node's lease, so a node
 * that dies holding it frees it at most `node_ttl` later.
 *
 * `unlock` deletes this node's lock key, which is all it can hold: harmless
 * when there is none. A lock key that could not be deleted (etcd unreachable
 * just then) is deleted by the keepalive rounds later (`tidy`): a forgotten
 * waiter would become a holder nobody knows of.
 */
import { TimeoutError } from '@tekka/actors'
import { b64, prefixEnd, type AnswerReader } from './etcd-encoding.js'
import type { EtcdContext, Lease } from './etcd-context.js'
import type { EtcdSession, LeaseChores } from './etcd-session.js'
import { messageOf } from './names.js'

export class EtcdLock implements LeaseChores {
  readonly #x: EtcdContext
  readonly #session: EtcdSession
  readonly #name: string
  readonly #wait: number
  // Our lock key, when deleting it failed.
  #stale: string | undefined
  // From lock() until unlock() (or a lock() that answered false): our lock key is in use, not stale.
  #inUse = false

  constructor (x: EtcdContext, session: EtcdSession, name: string, lockWait: number) {
    this.#x = x
    this.#session = session
    this.#name = name
    this.#wait = lockWait
    session.attach(this)
  }

  get pending (): boolean { return this.#stale !== undefined }

  /** Forgets everything: the lock keys go with the lease. */
  reset (): void {
    this.#stale = undefined
    this.#inUse = false
  }

  async lock (signal: AbortSignal | undefined): Promise<boolean> {
    let mine = ''
    let owner = false
    this.#inUse = true
    try {
      const place = await this.#enqueue(signal, (key) => { mine = key })
      owner = place.first?.key === mine || await this.#waitTurn(mine, place.rev, signal)
      if (!owner) {
        const who = place.first === undefined ? 'nobody any more' : place.first.value === '' ? `another client (${place.first.key})` : place.first.value
        this.#x.logger.debug(`etcd lock ${this.#name} is held by ${who}`)
      }
      return owner
    } finally {
      if (!owner) {
        // Out of the queue again (also when the call failed half-way), so whoever comes next is not waiting on us.
        if (mine !== '') await this.#drop(mine)
        this.#inUse = false
      }
    }
  }

  async unlock (signal: AbortSignal | undefined): Promise<void> {
    const lease = this.#session.lease
    // Without a lease this node holds no lock key (one on a lost lease is gone with it).
    if (lease === undefined) { this.#inUse = false; return }
    const mine = `${this.#name}/${lease.hex}`
    try {
      await this.#x.post('/v3/kv/deleterange', { key: b64(mine) }, signal)
      if (this.#stale === mine) this.#stale = undefined
    } catch (err) {
      this.#stale = mine
      this.#session.schedule()
      throw err
    } finally {
      this.#inUse = false
    }
  }

  /** At each keepalive round: delete a lock key left behind, unless it went with its lease or is in use again. */
  async tidy (lease: Lease | undefined): Promise<void> {
    const stale = this.#stale
    if (stale === undefined) return
    if (lease === undefined || !stale.endsWith(`/${lease.hex}`)) this.#stale = undefined
    else if (!this.#inUse) await this.#drop(stale, true)
  }

  /** Our place in etcd's lock queue (created if not there): its create revision, and who is first. */
  async #enqueue (signal: AbortSignal | undefined, named: (key: string) => void): Promise<{ rev: string, first: { key: string, value: string } | undefined }> {
    const pfx = `${this.#name}/`
    const oldest = { request_range: { key: b64(pfx), range_end: prefixEnd(pfx), sort_order: 'ASCEND', sort_target: 'CREATE', limit: '1' } }
    const r = await this.#session.withLease('lock', signal, async (lease) => {
      const mine = `${pfx}${lease.hex}`
      named(mine)
      // Ours again, whatever a failed delete left: this call decides what becomes of it.
      if (this.#stale === mine) this.#stale = undefined
      return await this.#x.post('/v3/kv/txn', {
        compare: [{ target: 'CREATE', key: b64(mine), create_revision: '0', result: 'EQUAL' }],
        success: [{ request_put: { key: b64(mine), value: b64(this.#x.node), lease: lease.id } }, { request_range: { key: b64(mine) } }, oldest],
        failure: [{ request_range: { key: b64(mine) } }, oldest]
      }, signal)
    })
    const rd: AnswerReader = this.#x.reader('kv/txn')
    const responses = rd.list(r.responses, 'responses')
    if (responses.length < 2) rd.fail(`responses has ${responses.length} item(s), not 2 or 3`)
    const [own, head] = responses.slice(-2).map((x, i) => {
      const at = `responses[${responses.length - 2 + i}]`
      const kvs = rd.list(rd.object(rd.object(x, at).response_range, `${at}.response_range`).kvs, `${at}.response_range.kvs`)
      return kvs.length === 0 ? undefined : rd.object(kvs[0], `${at}.response_range.kvs[0]`)
    })
    if (own === undefined) rd.fail('our lock key is not in the answer')
    return {
      rev: rd.int64(own.create_revision, 'create_revision of our lock key'),
      first: head === undefined ? undefined : { key: rd.unb64(head.key, 'key of the oldest lock key'), value: rd.unb64(head.value, 'value of the oldest lock key') }
    }
  }

  /**
   * Waits, at most `lockWait` ms, for our turn: until no key older than ours
   * is left under the lock prefix (as etcd's Mutex waits: on the deletion of
   * the newest key older than ours). True when the lock is ours; false when
   * the wait is over, or our key is gone (its lease lost).
   */
  async #waitTurn (mine: string, rev: string, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#wait <= 0) return false
    const over = new TimeoutError('our turn at the etcd lock', this.#wait)
    const deadline = new AbortController()
    const timer = this.#x.clock.setTimeout(() => { deadline.abort(over) }, this.#wait)
    const pfx = `${this.#name}/`
    try {
      for (;;) {
        // Ours and the one just before it, newest first.
        const r = await this.#x.post('/v3/kv/range', {
          key: b64(pfx), range_end: prefixEnd(pfx), sort_order: 'DESCEND', sort_target: 'CREATE', max_create_revision: rev, limit: '2'
        }, signal, deadline.signal)
        const rd = this.#x.reader('kv/range')
        const keys = rd.list(r.kvs, 'kvs').map((kv, i) => rd.unb64(rd.object(kv, `kvs[${i}]`).key, `kvs[${i}].key`))
        const at = rd.int64(rd.object(r.header, 'header').revision, 'header.revision')
        if (keys[0] !== mine) return false
        const before = keys[1]
        if (before === undefined) return true
        // Watched from just after what the range saw: a deletion in between is not missed.
        await this.#x.client.stream('/v3/watch', {
          create_request: { key: b64(before), start_revision: String(BigInt(at) + 1n), filters: ['NOPUT'] }
        }, [signal, deadline.signal, ...this.#x.lifeSignals], (o) => {
          const w = this.#x.reader('watch')
          const res = w.object(o.result, 'result')
          // Deleted, or the watch was refused (compacted history): look again.
          return res.canceled === true || w.list(res.events, 'result.events').length > 0
        })
      }
    } catch (err) {
      if (deadline.signal.aborted && deadline.signal.reason === over && !(signal?.aborted ?? false)) return false
      throw err
    } finally {
      this.#x.clock.clearTimeout(timer)
    }
  }

  /** Deletes our lock key; if etcd cannot be told now, the keepalive rounds retry (and they report failing again themselves). */
  async #drop (key: string, again = false): Promise<void> {
    try {
      await this.#x.post('/v3/kv/deleterange', { key: b64(key) }, undefined)
      if (this.#stale === key) this.#stale = undefined
    } catch (err) {
      this.#stale = key
      if (again) throw err
      this.#session.schedule()
      this.#x.logger.warn(`etcd: could not take this node out of the lock queue (${key}); retrying every third of the TTL: ${messageOf(err)}`)
    }
  }
}
