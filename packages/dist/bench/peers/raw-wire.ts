/**
 * The raw baseline of the remote benchmarks: plain Node TCP sockets with
 * tekka's framing (4-byte length, kind byte, msgpackr body written behind
 * reserved headroom) and the same coalescing (frames queued, one socket write
 * per event-loop turn, from setImmediate), and nothing else: no actors, no
 * kernel, no signal checks, no pid extension (a pid is a plain
 * `[node, id, creation]` tuple). Both ends of the raw runs use this module.
 */
import type { Socket } from 'node:net'
import { Packr, RESERVE_START_SPACE } from 'msgpackr'
import type { Codec } from '../../src/index.js'

const HEADER = 5
const KIND_DATA = 1

/** Control frames of the raw peer, `[CTL, what, ...]`; everything else is `[tag, ...]` as in protocol.ts. */
export const CTL = 0
export const SEND = 1
export const RPC_CALL = 10
export const RPC_REPLY = 11

/** A pid, as the raw runs carry it. */
export type PidTuple = [node: string, id: number, creation: number]

export class RawLink {
  readonly #socket: Socket
  readonly #packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true })
  #queue: Buffer[] = []
  #queuedBytes = 0
  #flushing: NodeJS.Immediate | undefined
  #blocked = false
  #drainWaiters: Array<() => void> = []
  /** Bytes of a frame cut by the end of the last chunk. */
  #pending: Buffer | undefined
  #codec: Codec | undefined
  /** With a codec: the buffer this turn's frames are written into, and how much of it is used. */
  #turn: Buffer | undefined
  #turnUsed = 0
  readonly #onMessage: (value: unknown[]) => void

  constructor (socket: Socket, onMessage: (value: unknown[]) => void) {
    this.#socket = socket
    this.#onMessage = onMessage
    socket.setNoDelay(true)
    socket.on('data', this.#ingest)
    socket.on('drain', () => {
      this.#blocked = false
      this.#schedule()
      this.#release()
    })
  }

  /** Bytes queued and not yet written. */
  get queuedBytes (): number {
    return this.#queuedBytes
  }

  /** From now on, encode and decode with `codec` (both ends must switch at the same frame). */
  useCodec (codec: Codec): void {
    this.#codec = codec
  }

  send (value: unknown[]): void {
    const codec = this.#codec
    if (codec !== undefined) {
      this.#sendWith(codec, value)
      return
    }
    const buf = this.#packr.pack(value, RESERVE_START_SPACE | HEADER)
    buf.writeUInt32BE(buf.length - 4, 0)
    buf[4] = KIND_DATA
    this.#queue.push(buf)
    this.#queuedBytes += buf.length
    this.#schedule()
  }

  #sendWith (codec: Codec, value: unknown[]): void {
    let turn = this.#turn
    if (turn === undefined || turn.length - this.#turnUsed < 1024) turn = this.#newTurn()
    const at = this.#turnUsed
    let end = codec.encodeInto!(value, turn, at + HEADER, turn.length)
    if (end < 0) {
      const s = codec.encodeScratch!(value)
      if (turn.length - at - HEADER < s.end - s.start) {
        turn = this.#newTurn(s.end - s.start + HEADER)
        return this.#sendWith(codec, value)
      }
      s.buf.copy(turn, at + HEADER, s.start, s.end)
      end = at + HEADER + s.end - s.start
    }
    turn.writeUInt32BE(end - at - 4, at)
    turn[at + 4] = KIND_DATA
    this.#turnUsed = end
    this.#queuedBytes += end - at
    this.#schedule()
  }

  /** Queues what the current turn buffer holds and starts another. */
  #newTurn (min = 0): Buffer {
    if (this.#turn !== undefined && this.#turnUsed > 0) this.#queue.push(this.#turn.subarray(0, this.#turnUsed))
    this.#turn = Buffer.allocUnsafe(Math.max(64 * 1024, min))
    this.#turnUsed = 0
    return this.#turn
  }

  /** Resolves once the queue is written and the socket takes more. */
  drained (): Promise<void> {
    if (!this.#blocked && this.#queuedBytes === 0) return Promise.resolve()
    return new Promise((resolve) => { this.#drainWaiters.push(resolve) })
  }

  #schedule (): void {
    if (this.#flushing === undefined && !this.#blocked && this.#queuedBytes > 0) this.#flushing = setImmediate(this.#flush)
  }

  #flush = (): void => {
    this.#flushing = undefined
    if (this.#turnUsed > 0) {
      this.#queue.push(this.#turn!.subarray(0, this.#turnUsed))
      this.#turn = undefined
      this.#turnUsed = 0
    }
    if (this.#blocked || this.#queue.length === 0) return
    const q = this.#queue
    const out = q.length === 1 ? q[0] : Buffer.concat(q, this.#queuedBytes)
    this.#queue = []
    this.#queuedBytes = 0
    if (!this.#socket.write(out)) this.#blocked = true
    else this.#release()
  }

  #release (): void {
    if (this.#blocked || this.#queuedBytes > 0 || this.#drainWaiters.length === 0) return
    const ws = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of ws) w()
  }

  #ingest = (chunk: Buffer): void => {
    let buf = chunk
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk])
      this.#pending = undefined
    }
    let at = 0
    while (buf.length - at >= 4) {
      const size = buf.readUInt32BE(at)
      if (buf.length - at - 4 < size) break
      if (size > 0 && buf[at + 4] === KIND_DATA) {
        const codec = this.#codec
        this.#onMessage((codec !== undefined ? codec.decode(buf, at + HEADER, at + 4 + size) : this.#packr.unpack(buf, { start: at + HEADER, end: at + 4 + size })) as unknown[])
      }
      at += 4 + size
    }
    if (at < buf.length) this.#pending = buf.subarray(at)
  }
}
