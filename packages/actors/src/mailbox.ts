/**
 * A process's mailbox: a FIFO queue that also supports taking the first
 * element a predicate accepts (selective receive), leaving the rest in place.
 *
 * Messages sit in a linked list of small arrays ("chunks"): push and shift
 * never copy the queue (a flat array that grows to a million entries does,
 * and costs a third of a send), and removal from the middle splices one chunk.
 */
const CHUNK = 512

interface Chunk {
  buf: unknown[]
  /** Index of the first live element in `buf`. */
  head: number
  next: Chunk | undefined
}

export class Mailbox {
  #first: Chunk
  #last: Chunk
  #length = 0

  constructor () {
    this.#first = this.#last = { buf: [], head: 0, next: undefined }
  }

  get length (): number {
    return this.#length
  }

  push (msg: unknown): void {
    let last = this.#last
    if (last.buf.length >= CHUNK) {
      last = last.next = { buf: [], head: 0, next: undefined }
      this.#last = last
    }
    last.buf.push(msg)
    this.#length++
  }

  /** Removes and returns the oldest message (the queue must not be empty). */
  shift (): unknown {
    const c = this.#first
    const msg = c.buf[c.head]
    c.buf[c.head++] = undefined
    this.#length--
    if (c.head >= c.buf.length) this.#dropFirst(c)
    return msg
  }

  #dropFirst (c: Chunk): void {
    if (c.next !== undefined) {
      this.#first = c.next
    } else {
      c.buf = []
      c.head = 0
    }
  }

  /**
   * Removes and returns the first message `match` accepts; `found` is false
   * when none does. Skipped messages keep their place.
   */
  takeMatching (match: (msg: unknown) => boolean): { found: boolean, msg: unknown } {
    let prev: Chunk | undefined
    for (let c: Chunk | undefined = this.#first; c !== undefined; prev = c, c = c.next) {
      const buf = c.buf
      for (let i = c.head; i < buf.length; i++) {
        const msg = buf[i]
        if (!match(msg)) continue
        if (i === c.head) {
          buf[c.head++] = undefined
        } else {
          buf.splice(i, 1)
        }
        this.#length--
        if (c.head >= buf.length) {
          if (prev === undefined) this.#dropFirst(c)
          else if (c.next !== undefined) prev.next = c.next
          else { c.buf = []; c.head = 0 }
        }
        return { found: true, msg }
      }
    }
    return NOT_FOUND
  }

  /** Removes every message `match` accepts; returns how many. */
  remove (match: (msg: unknown) => boolean): number {
    const kept: unknown[] = []
    for (const m of this) if (!match(m)) kept.push(m)
    const removed = this.#length - kept.length
    this.clear()
    for (const m of kept) this.push(m)
    return removed
  }

  * [Symbol.iterator] (): IterableIterator<unknown> {
    for (let c: Chunk | undefined = this.#first; c !== undefined; c = c.next) {
      for (let i = c.head; i < c.buf.length; i++) yield c.buf[i]
    }
  }

  /** A copy of the queued messages, oldest first. */
  toArray (): unknown[] {
    return [...this]
  }

  clear (): void {
    this.#first = this.#last = { buf: [], head: 0, next: undefined }
    this.#length = 0
  }
}

const NOT_FOUND = Object.freeze({ found: false, msg: undefined })
