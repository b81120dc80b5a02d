/**
 * What the net kernel knows of one peer node: its link (once up), the
 * handshake facts, and, while there is no link yet, the signals queued for
 * it and the callers waiting to hear whether it can be reached.
 */
import type { Connection } from './connection.js'
import type { PeerInfo } from './handshake.js'

export class Peer {
  readonly name: string
  conn: Connection | undefined = undefined
  info: PeerInfo | undefined = undefined
  /** Signals waiting for the link, with their ordering streams. */
  queue: Array<{ frame: unknown[], stream: object }> = []
  dialing = false
  /** Incoming handshakes in progress from this peer. */
  accepting = 0
  #waiters: Array<(ok: boolean) => void> = []

  constructor (name: string) {
    this.name = name
  }

  /** No link, and none being made either way: whatever waits for one would wait for ever. */
  get stalled (): boolean {
    return this.conn === undefined && !this.dialing && this.accepting === 0
  }

  /** Something waits for the link: queued signals or callers. */
  get wanted (): boolean {
    return this.queue.length + this.#waiters.length > 0
  }

  /** Resolves true once the link is up, false if the peer turns out unreachable. */
  whenSettled (): Promise<boolean> {
    return new Promise<boolean>((resolve) => { this.#waiters.push(resolve) })
  }

  /** The link is up: what was queued goes out on it, in order, and the waiters hear so. */
  connected (conn: Connection, info: PeerInfo): void {
    this.conn = conn
    this.info = info
    const queued = this.queue
    this.queue = []
    for (const q of queued) void conn.send(q.frame, { stream: q.stream })
    this.#settle(true)
  }

  /** The peer cannot be reached: the queue is dropped (its length returned) and the waiters hear so. */
  unreachable (): number {
    const dropped = this.queue.length
    this.queue = []
    this.#settle(false)
    return dropped
  }

  #settle (ok: boolean): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w(ok)
  }
}
