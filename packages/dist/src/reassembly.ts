/**
 * Puts a fragmented data message back together. The announced total is
 * checked against the message size limit before anything is kept, and the
 * fragments are kept as they arrive (no up-front buffer of the announced
 * size), so a peer that announces a large message and stalls holds only what
 * it actually sent.
 */
import { FrameTooLargeError, ProtocolError } from './errors.js'

export class Reassembly {
  readonly maxSize: number
  #parts: Buffer[] = []
  #received = 0
  #total = -1

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
  }

  #add (chunk: Buffer): Buffer | undefined {
    if (chunk.length === 0) throw new ProtocolError('an empty fragment')
    if (this.#received + chunk.length > this.#total) {
      throw new ProtocolError(`fragments exceed the announced ${this.#total} bytes`)
    }
    this.#parts.push(chunk)
    this.#received += chunk.length
    if (this.#received < this.#total) return undefined
    const whole = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#total)
    this.reset()
    return whole
  }
}
