/**
 * A locker's outgoing ops and replies, batched: everything queued for one
 * peer goes out as one message (see protocol.ts), once the messages already
 * in the mailbox are handled. A nextTick runs after the promise jobs that
 * carry the mailbox loop, so a burst is one batch, and no turn of the event
 * loop is lost.
 */
import type { Pid, ProcessContext } from '@tekka/actors'
import type { OpBatch, Reply, ReplyBatch } from './protocol.js'

export class Outbox {
  readonly #ctx: ProcessContext
  /** The registered name of the lockers: ops go to `{ name, node }`. */
  readonly #name: string
  readonly #ops = new Map<string, unknown[]>()
  readonly #replies = new Map<string, { to: Pid, rs: Reply[] }>()
  #queued = false
  #closed = false

  constructor (ctx: ProcessContext, name: string) {
    this.#ctx = ctx
    this.#name = name
  }

  /** Queues `op` for the locker on `node`. */
  send (node: string, op: unknown[]): void {
    let q = this.#ops.get(node)
    if (q === undefined) this.#ops.set(node, q = [])
    q.push(op)
    this.#queue()
  }

  /** Queues a reply to the locker `to`. */
  reply (to: Pid, r: Reply): void {
    const key = to.key
    let box = this.#replies.get(key)
    if (box === undefined) this.#replies.set(key, box = { to, rs: [] })
    box.rs.push(r)
    this.#queue()
  }

  /** Drops what is queued and sends nothing more (the locker is going). */
  close (): void {
    this.#closed = true
  }

  #queue (): void {
    if (this.#queued) return
    this.#queued = true
    process.nextTick(() => { this.#flush() })
  }

  #flush (): void {
    this.#queued = false
    const ctx = this.#ctx
    if (this.#closed || !ctx.alive) {
      this.#ops.clear()
      this.#replies.clear()
      return
    }
    const from = ctx.self
    for (const [node, ops] of this.#ops) ctx.send({ name: this.#name, node }, { t: 'tekka_lock', from, ops } satisfies OpBatch)
    this.#ops.clear()
    for (const { to, rs } of this.#replies.values()) ctx.send(to, { t: 'tekka_lock_reply', from, rs } satisfies ReplyBatch)
    this.#replies.clear()
  }
}
