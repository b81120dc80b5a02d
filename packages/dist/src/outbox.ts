/**
 * A connection's outgoing queues. Control frames (signals, ticks) sit in
 * their own queue and every batch takes them first; data messages larger
 * than one fragment are cut into fragments only as batches are taken, so a
 * control frame queued during a multi-megabyte message waits for at most the
 * batch being written, never for the rest of the message.
 *
 * `bytes` counts queued payload bytes (headers aside), the measure the
 * connection's back-pressure compares with its high- and low-water marks.
 */
import { Fifo } from './fifo.js'
import { firstFragmentHeader, KIND_CONTROL, KIND_DATA, KIND_FRAG_NEXT, smallHeader, TICK_FRAME } from './wire.js'

interface Whole {
  parts: Buffer[]
  size: number
  payload: number
  tick: boolean
}

interface Fragmented {
  body: Buffer
  offset: number
}

export interface Batch {
  parts: Buffer[]
  /** Bytes on the wire. */
  size: number
  /** Nothing but ticks: does not count as traffic for the tick logic. */
  onlyTicks: boolean
}

export class Outbox {
  readonly fragmentSize: number
  #control = new Fifo<Whole>()
  #data = new Fifo<Whole | Fragmented>()
  #bytes = 0

  constructor (fragmentSize: number) {
    this.fragmentSize = fragmentSize
  }

  get bytes (): number {
    return this.#bytes
  }

  get empty (): boolean {
    return this.#control.length === 0 && this.#data.length === 0
  }

  pushTick (): void {
    this.#control.push({ parts: [TICK_FRAME], size: TICK_FRAME.length, payload: 0, tick: true })
  }

  pushControl (body: Buffer): void {
    this.#control.push(whole(KIND_CONTROL, body))
    this.#bytes += body.length
  }

  pushData (body: Buffer): void {
    this.#data.push(body.length > this.fragmentSize ? { body, offset: 0 } : whole(KIND_DATA, body))
    this.#bytes += body.length
  }

  /** Frames to write next, about `limit` bytes (control first), or undefined when empty. */
  take (limit: number): Batch | undefined {
    const parts: Buffer[] = []
    let size = 0
    let onlyTicks = true
    for (let c = this.#control.peek(); c !== undefined && size < limit; c = this.#control.peek()) {
      this.#control.shift()
      parts.push(...c.parts)
      size += c.size
      this.#bytes -= c.payload
      if (!c.tick) onlyTicks = false
    }
    for (let d = this.#data.peek(); d !== undefined && size < limit; d = this.#data.peek()) {
      onlyTicks = false
      if ('parts' in d) {
        this.#data.shift()
        parts.push(...d.parts)
        size += d.size
        this.#bytes -= d.payload
        continue
      }
      const n = Math.min(this.fragmentSize, d.body.length - d.offset)
      const head = d.offset === 0 ? firstFragmentHeader(n, d.body.length) : smallHeader(KIND_FRAG_NEXT, n)
      parts.push(head, d.body.subarray(d.offset, d.offset + n))
      size += head.length + n
      this.#bytes -= n
      d.offset += n
      if (d.offset === d.body.length) this.#data.shift()
    }
    return parts.length === 0 ? undefined : { parts, size, onlyTicks }
  }

  clear (): void {
    this.#control.clear()
    this.#data.clear()
    this.#bytes = 0
  }
}

function whole (kind: number, body: Buffer): Whole {
  const head = smallHeader(kind, body.length)
  return { parts: [head, body], size: head.length + body.length, payload: body.length, tick: false }
}
