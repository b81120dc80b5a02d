/**
 * A process's mailbox: a FIFO queue that also supports taking the first
 * element a predicate accepts (selective receive), leaving the rest in place.
 *
 * Messages sit in a ring buffer whose capacity is a power of two: push and
 * shift allocate nothing once it has grown to the traffic (the linked
 * chunks it replaced allocated a chunk and regrew an array every 512
 * messages: local.oneway's allocation profile). It doubles when full and,
 * once empty again after a burst, goes back to its first size, so a
 * million messages received once do not hold their memory for the
 * process's life. Taking a message from the middle (a selective receive)
 * moves the shorter side of the ring by one; the scan before it is O(n)
 * anyway, as Erlang's is.
 */
const INITIAL = 16
/** Above this capacity an emptied ring is replaced by a small one. */
const KEEP = 1024

/** What `takeMatching` returns when no message matches. */
export const NO_MATCH: unique symbol = Symbol('no match')

export class Mailbox {
  #buf: unknown[] = new Array<unknown>(INITIAL)
  #mask = INITIAL - 1
  #head = 0
  #length = 0

  get length (): number {
    return this.#length
  }

  /** Slots in the ring (introspection and tests: a drained burst gives them back). */
  get capacity (): number {
    return this.#buf.length
  }

  push (msg: unknown): void {
    if (this.#length > this.#mask) this.#grow()
    this.#buf[(this.#head + this.#length) & this.#mask] = msg
    this.#length++
  }

  /** Removes and returns the oldest message (the queue must not be empty). */
  shift (): unknown {
    const buf = this.#buf
    const h = this.#head
    const msg = buf[h]
    buf[h] = undefined
    this.#head = (h + 1) & this.#mask
    if (--this.#length === 0) this.#emptied()
    return msg
  }

  /**
   * Removes and returns the first message `match` accepts, or NO_MATCH when
   * none does. Skipped messages keep their place.
   */
  takeMatching (match: (msg: unknown) => boolean): unknown {
    const buf = this.#buf
    const mask = this.#mask
    const n = this.#length
    for (let k = 0; k < n; k++) {
      const msg = buf[(this.#head + k) & mask]
      if (!match(msg)) continue
      if (k === 0) return this.shift()
      this.#removeAt(k)
      return msg
    }
    return NO_MATCH
  }

  /** Removes every message `match` accepts; returns how many. */
  remove (match: (msg: unknown) => boolean): number {
    const buf = this.#buf
    const mask = this.#mask
    const n = this.#length
    let kept = 0
    for (let k = 0; k < n; k++) {
      const i = (this.#head + k) & mask
      const msg = buf[i]
      if (match(msg)) continue
      buf[(this.#head + kept++) & mask] = msg
    }
    for (let k = kept; k < n; k++) buf[(this.#head + k) & mask] = undefined
    this.#length = kept
    if (kept === 0) this.#emptied()
    return n - kept
  }

  * [Symbol.iterator] (): IterableIterator<unknown> {
    for (let k = 0; k < this.#length; k++) yield this.#buf[(this.#head + k) & this.#mask]
  }

  /** A copy of the queued messages, oldest first. */
  toArray (): unknown[] {
    return [...this]
  }

  clear (): void {
    this.#buf = new Array<unknown>(INITIAL)
    this.#mask = INITIAL - 1
    this.#head = 0
    this.#length = 0
  }

  /** Takes out the message k places after the oldest (0 < k < length), moving the shorter side. */
  #removeAt (k: number): void {
    const buf = this.#buf
    const mask = this.#mask
    const h = this.#head
    const n = this.#length
    if (k < n - 1 - k) {
      // the older side moves up by one
      for (let j = k; j > 0; j--) buf[(h + j) & mask] = buf[(h + j - 1) & mask]
      buf[h] = undefined
      this.#head = (h + 1) & mask
    } else {
      // the newer side moves down by one
      for (let j = k; j < n - 1; j++) buf[(h + j) & mask] = buf[(h + j + 1) & mask]
      buf[(h + n - 1) & mask] = undefined
    }
    if (--this.#length === 0) this.#emptied()
  }

  #grow (): void {
    const old = this.#buf
    const cap = old.length
    const buf = new Array<unknown>(cap * 2)
    for (let k = 0; k < cap; k++) buf[k] = old[(this.#head + k) & this.#mask]
    this.#buf = buf
    this.#mask = cap * 2 - 1
    this.#head = 0
  }

  #emptied (): void {
    this.#head = 0
    if (this.#buf.length > KEEP) {
      this.#buf = new Array<unknown>(INITIAL)
      this.#mask = INITIAL - 1
    }
  }
}
