/**
 * Puts a fragmented data message back together. The announced total is
 * checked against the message size limit before anything is kept, and the
 * fragments are kept as they arrive (no up-front buffer of the announced
 * size), so a peer that announces a large message and stalls holds only what
 * it actually sent.
 *
 * Small fragments are copied into a shared staging buffer rather than kept
 * one by one: a Buffer per fragment costs about 100 bytes of heap, so a
 * message sent as millions of 1-byte fragments would hold ~20 times its
 * wire size (enough for one peer to exhaust the heap well within the
 * message size limit).
 */
import { FrameTooLargeError, ProtocolError } from './errors.js'

/** Fragments below this size are copied into the staging buffer. */
const SMALL_FRAGMENT = 1024
/** Size of a staging buffer (never more than the bytes the message still lacks). */
const STAGE_SIZE = 4096

export class Reassembly {
  readonly maxSize: number
  #parts: Buffer[] = []
  #received = 0
  #total = -1
  #stage: Buffer | undefined
  #staged = 0

  constructor (maxSize: number) {
    this.maxSize = maxSize
  }

  /** True between a first fragment and the last one. */
  get active (): boolean {
    return this.#total >= 0
  }

  /** Starts a message of `total` bytes; returns it if this first fragment already holds all of it. */
  begin (total: number, chunk: Buffer): Buffer | undefined {
    if (this.active) throw new ProtocolError('a first fragment arrived inside another fragmented message')
    if (total > this.maxSize) throw new FrameTooLargeError(total, this.maxSize, 'fragmented message')
    if (total === 0) throw new ProtocolError('a fragmented message announced 0 bytes')
    this.#total = total
    return this.#add(chunk)
  }

  /** Adds the next fragment; returns the whole message once it is complete. */
  append (chunk: Buffer): Buffer | undefined {
    if (!this.active) throw new ProtocolError('a fragment arrived outside a fragmented message')
    return this.#add(chunk)
  }

  reset (): void {
    this.#parts = []
    this.#received = 0
    this.#total = -1
    this.#stage = undefined
    this.#staged = 0
  }

  #add (chunk: Buffer): Buffer | undefined {
    if (chunk.length === 0) throw new ProtocolError('an empty fragment')
    if (this.#received + chunk.length > this.#total) {
      throw new ProtocolError(`fragments exceed the announced ${this.#total} bytes`)
    }
    if (chunk.length < SMALL_FRAGMENT) {
      if (this.#stage === undefined || this.#staged + chunk.length > this.#stage.length) {
        this.#unstage()
        this.#stage = Buffer.allocUnsafe(Math.min(STAGE_SIZE, this.#total - this.#received))
      }
      chunk.copy(this.#stage, this.#staged)
      this.#staged += chunk.length
    } else {
      this.#unstage()
      this.#parts.push(chunk)
    }
    this.#received += chunk.length
    if (this.#received < this.#total) return undefined
    this.#unstage()
    const whole = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#total)
    this.reset()
    return whole
  }

  /**
   * Keeps what the staging buffer holds as a part (copied out when the
   * buffer is not full, so a part never pins more than its own bytes); the
   * next small fragment starts a new one.
   */
  #unstage (): void {
    const stage = this.#stage
    if (stage !== undefined && this.#staged > 0) {
      this.#parts.push(this.#staged === stage.length ? stage : Buffer.from(stage.subarray(0, this.#staged)))
    }
    this.#stage = undefined
    this.#staged = 0
  }
}
