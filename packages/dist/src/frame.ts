/**
 * Length-prefixed frames: a 4-byte big-endian body length, then the body.
 *
 * A zero-length frame is legal: on an established connection it is a tick
 * (as Erlang's distribution sends four zero bytes), so liveness costs four
 * bytes. The handshake, which has no ticks, refuses it.
 *
 * The decoder checks a length prefix against `maxFrameSize` as soon as its
 * four bytes are in, before anything is allocated for the body, and it
 * allocates a body only once all of its bytes have arrived, so a peer that
 * announces a large frame and stalls costs nothing but the bytes it sent.
 */
import { FrameTooLargeError } from './errors.js'
import { DEFAULT_MAX_FRAME_SIZE } from './defaults.js'

export const FRAME_HEADER_SIZE = 4
/** What a 32-bit prefix can express. */
const ABSOLUTE_MAX = 0xffff_ffff

const EMPTY = Buffer.alloc(0)

/** Header and body of one frame in a single new buffer. `body` may come in parts, written back to back. */
export function encodeFrame (body: Uint8Array | readonly Uint8Array[], maxFrameSize = ABSOLUTE_MAX): Buffer {
  const parts = body instanceof Uint8Array ? [body] : body
  let size = 0
  for (const p of parts) size += p.length
  if (size > Math.min(maxFrameSize, ABSOLUTE_MAX)) throw new FrameTooLargeError(size, Math.min(maxFrameSize, ABSOLUTE_MAX))
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + size)
  out.writeUInt32BE(size, 0)
  let at = FRAME_HEADER_SIZE
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** Just the 4-byte length prefix, for writers that send the body separately. */
export function frameHeader (size: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE)
  out.writeUInt32BE(size, 0)
  return out
}

export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes (default 64 MiB). */
  maxFrameSize?: number
}

/**
 * Streaming decoder: `feed` chunks as they arrive, take complete bodies with
 * `next` (or both at once with `push`). After it has thrown, the stream is out
 * of sync and the decoder keeps throwing.
 */
export class FrameDecoder {
  readonly maxFrameSize: number
  #chunks: Buffer[] = []
  /** Read offset into #chunks[0]. */
  #offset = 0
  #buffered = 0
  /** Body length of the frame whose header was read, or -1 while waiting for a header. */
  #need = -1
  #failure: Error | undefined

  constructor (options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`maxFrameSize must be a non-negative integer, got ${max}`)
    this.maxFrameSize = Math.min(max, ABSOLUTE_MAX)
  }

  /** Bytes fed and not yet returned as (part of) a frame. */
  get buffered (): number {
    return this.#buffered
  }

  feed (chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
    this.#buffered += chunk.length
  }

  /** The next complete frame body, or undefined until more bytes arrive. Throws FrameTooLargeError. */
  next (): Buffer | undefined {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#need < 0) {
      if (this.#buffered < FRAME_HEADER_SIZE) return undefined
      const size = this.#peekUInt32()
      if (size > this.maxFrameSize) {
        this.#failure = new FrameTooLargeError(size, this.maxFrameSize)
        throw this.#failure
      }
      this.#skip(FRAME_HEADER_SIZE)
      this.#need = size
    }
    if (this.#buffered < this.#need) return undefined
    const body = this.#take(this.#need)
    this.#need = -1
    return body
  }

  /**
   * Calls `onFrame(buf, start, end)` with each complete frame body in turn
   * until none is left or `onFrame` returns false. A body that lies in one
   * fed chunk is passed in place (`buf` is that chunk: no view is made, which
   * matters at a million frames a second); one split across chunks is joined
   * into a new buffer first. Throws FrameTooLargeError as `next` does.
   */
  drain (onFrame: (buf: Buffer, start: number, end: number) => boolean): void {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_SIZE) return
        const first = this.#chunks[0]
        const at = this.#offset
        if (first.length - at >= FRAME_HEADER_SIZE) {
          const size = first.readUInt32BE(at)
          if (size <= this.maxFrameSize && first.length - at - FRAME_HEADER_SIZE >= size) {
            this.#skip(FRAME_HEADER_SIZE + size)
            if (!onFrame(first, at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + size)) return
            continue
          }
        }
        const size = this.#peekUInt32()
        if (size > this.maxFrameSize) {
          this.#failure = new FrameTooLargeError(size, this.maxFrameSize)
          throw this.#failure
        }
        this.#skip(FRAME_HEADER_SIZE)
        this.#need = size
      }
      if (this.#buffered < this.#need) return
      const n = this.#need
      const body = this.#take(n)
      this.#need = -1
      if (!onFrame(body, 0, n)) return
    }
  }

  /** Feeds `chunk` and returns every frame it completes. */
  push (chunk: Uint8Array): Buffer[] {
    this.feed(chunk)
    const out: Buffer[] = []
    for (let f = this.next(); f !== undefined; f = this.next()) out.push(f)
    return out
  }

  /**
   * Everything fed and not returned as a frame, as raw stream bytes (a
   * header already read is put back), leaving the decoder empty. Used to hand
   * the bytes past the handshake to the connection.
   */
  takeRest (): Buffer {
    const head = this.#need >= 0 ? frameHeader(this.#need) : EMPTY
    const rest = this.#take(this.#buffered)
    this.#need = -1
    return head.length === 0 ? rest : Buffer.concat([head, rest])
  }

  #peekUInt32 (): number {
    let value = 0
    let chunk = 0
    let at = this.#offset
    for (let i = 0; i < FRAME_HEADER_SIZE; i++) {
      while (at >= this.#chunks[chunk].length) { chunk++; at = 0 }
      value = value * 256 + this.#chunks[chunk][at++]
    }
    return value
  }

  #skip (n: number): void {
    this.#buffered -= n
    while (n > 0) {
      const first = this.#chunks[0]
      const left = first.length - this.#offset
      if (n < left) { this.#offset += n; return }
      n -= left
      this.#chunks.shift()
      this.#offset = 0
    }
  }

  /** `n` bytes off the front: a view when they lie in one chunk, else one new buffer. */
  #take (n: number): Buffer {
    if (n === 0) return EMPTY
    const first = this.#chunks[0]
    if (first.length - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n)
      this.#skip(n)
      return view
    }
    const out = Buffer.allocUnsafe(n)
    let at = 0
    while (at < n) {
      const c = this.#chunks[0]
      const len = Math.min(c.length - this.#offset, n - at)
      c.copy(out, at, this.#offset, this.#offset + len)
      at += len
      this.#skip(len)
    }
    return out
  }
}
