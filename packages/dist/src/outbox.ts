/**
 * A connection's outgoing queues. Control frames (signals, ticks) sit in
 * their own queue and every batch takes them first; data messages larger
 * than one fragment are cut into fragments only as batches are taken, so a
 * control frame queued during a multi-megabyte message waits for at most the
 * batch being written, never for the rest of the message.
 *
 * Small messages are copied, framed, into runs: buffers (a connection's
 * first of a KiB, each new one twice the last, up to 64 KiB) that fill
 * back to back as messages come (`appendControl`, `appendData`, from the
 * codec's scratch bytes), so a thousand small messages cost no
 * buffer of their own, no queue entry each and no copy at write time: a
 * batch hands the socket the run's bytes not yet taken, and later messages
 * keep filling the same run behind them.
 *
 * Messages may also come in as codec output with SMALL_HEADER_SIZE bytes of
 * headroom (`pushControl`, `pushData`: `codec.encode(value, SMALL_HEADER_SIZE)`):
 * a whole frame gets its header written in place.
 *
 * `bytes` counts queued payload bytes (headers aside), the measure the
 * connection's back-pressure compares with its high- and low-water marks.
 */
import { Fifo } from './fifo.js'
import {
  firstFragmentHeader, KIND_CONTROL, KIND_DATA, KIND_FRAG_NEXT, SMALL_HEADER_SIZE, smallHeader, TICK_FRAME
} from './wire.js'

interface Fragmented {
  /** Headroom included: the payload starts at SMALL_HEADER_SIZE. */
  buf: Buffer
  offset: number
}

/**
 * Whole frames back to back: `buf[start..used)` not yet taken. In its queue
 * while it holds bytes not taken; the open run of a queue (its last entry,
 * or out of the queue once drained) takes the next small frames.
 */
class Run {
  readonly buf: Buffer
  readonly view: DataView
  start = 0
  used = 0
  /** Payload bytes (headers aside) in `start..used`. */
  payload = 0
  queued = false

  constructor (size: number) {
    this.buf = Buffer.allocUnsafe(size)
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, size)
  }
}

/** Written runs kept for reuse: memory the cache still holds, rather than fresh pages. */
const FREE_RUNS = 4
/** Runs are this big, or the fragment size when smaller (so a batch stays about one fragment)... */
const RUN_SIZE = 64 * 1024
/** ...but no smaller than this. */
const MIN_RUN_SIZE = 4 * 1024
/**
 * A connection's first runs are this small, and each new one twice the last
 * up to the run size: a link that carries little (ticks, a few signals)
 * holds a KiB or two, not two runs of 64 KiB. A full mesh of n nodes has
 * n^2 links; at a thousand nodes, 64 KiB runs were 128 GB.
 */
const FIRST_RUN_SIZE = 1024
/** Payloads up to this are copied four bytes at a time through DataViews; larger ones with Buffer#copy. */
const LOOP_COPY_MAX = 256

export interface Batch {
  parts: Buffer[]
  /** Bytes on the wire. */
  size: number
  /** Nothing but ticks: does not count as traffic for the tick logic. */
  onlyTicks: boolean
}

export class Outbox {
  readonly fragmentSize: number
  /** Whole frames, header included (TICK_FRAME for a tick), and runs of them. */
  #control = new Fifo<Buffer | Run>()
  #data = new Fifo<Buffer | Run | Fragmented>()
  #openControl: Run | undefined
  #openData: Run | undefined
  readonly #runSize: number
  /** The size of the next run made (not reused): grows to #runSize. */
  #nextRunSize: number
  /** Frames above this get a buffer of their own rather than a place in a run. */
  readonly #runFrameMax: number
  #bytes = 0
  /** Runs in the batch last taken, and written runs ready for reuse. */
  #taken: Run[] = []
  #free: Run[] = []
  /** A DataView of the last source buffer (the codec's scratch buffer, nearly always the same one). */
  #src: Buffer | undefined
  #srcView: DataView | undefined

  constructor (fragmentSize: number) {
    this.fragmentSize = fragmentSize
    this.#runSize = Math.max(MIN_RUN_SIZE, Math.min(RUN_SIZE, fragmentSize))
    // A data message above fragmentSize is fragmented, never put in a run.
    this.#runFrameMax = Math.min(this.#runSize >> 2, fragmentSize)
    this.#nextRunSize = Math.min(FIRST_RUN_SIZE, this.#runSize)
  }

  get bytes (): number {
    return this.#bytes
  }

  get empty (): boolean {
    return this.#control.length === 0 && this.#data.length === 0
  }

  /** No data message (whole or in fragments) is waiting. */
  get dataEmpty (): boolean {
    return this.#data.length === 0
  }

  pushTick (): void {
    this.#closeControl()
    this.#control.push(TICK_FRAME)
  }

  /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
  pushControl (buf: Buffer): void {
    this.#closeControl()
    this.#control.push(framed(KIND_CONTROL, buf))
    this.#bytes += buf.length - SMALL_HEADER_SIZE
  }

  /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
  pushData (buf: Buffer): void {
    const payload = buf.length - SMALL_HEADER_SIZE
    if (this.#openData?.queued === true) this.#openData = undefined
    this.#data.push(payload > this.fragmentSize ? { buf, offset: SMALL_HEADER_SIZE } : framed(KIND_DATA, buf))
    this.#bytes += payload
  }

  /**
   * A frame queued on its own comes after what the open run holds: a run in
   * the queue takes no more frames. A run wholly taken stays open: frames
   * after this one fill it from where it was taken and queue it again,
   * behind this one (ticks come between control messages on an idle link
   * every tick: closing the run each time made a new run each time).
   */
  #closeControl (): void {
    if (this.#openControl?.queued === true) this.#openControl = undefined
  }

  /** Queues the encoded message `src[start..end)` (copied now) as a control frame. */
  appendControl (src: Buffer, start: number, end: number): void {
    if (end - start + SMALL_HEADER_SIZE > this.#runFrameMax) {
      this.pushControl(withHeadroom(src, start, end))
      return
    }
    let run = this.#openControl
    if (run === undefined || run.buf.length - run.used < end - start + SMALL_HEADER_SIZE) run = this.#openControl = this.#newRun(end - start + SMALL_HEADER_SIZE)
    if (!run.queued) { run.queued = true; this.#control.push(run) }
    this.#append(run, KIND_CONTROL, src, start, end)
  }

  /** Queues the encoded message `src[start..end)` (copied now) as data, in fragments when larger than one. */
  appendData (src: Buffer, start: number, end: number): void {
    if (end - start > this.fragmentSize || end - start + SMALL_HEADER_SIZE > this.#runFrameMax) {
      this.pushData(withHeadroom(src, start, end))
      return
    }
    let run = this.#openData
    if (run === undefined || run.buf.length - run.used < end - start + SMALL_HEADER_SIZE) run = this.#openData = this.#newRun(end - start + SMALL_HEADER_SIZE)
    if (!run.queued) { run.queued = true; this.#data.push(run) }
    this.#append(run, KIND_DATA, src, start, end)
  }

  /**
   * Queues a small message written in place: `write(buf, start, limit)` puts
   * its bytes in `buf[start..limit)` and returns where they end, or -1 when
   * it cannot (not a value it writes, or no room). False when the message
   * was not queued. `maxPayload` bounds the message.
   */
  appendWith (control: boolean, maxPayload: number, write: (buf: Buffer, start: number, limit: number) => number): boolean {
    const max = Math.min(this.#runFrameMax - SMALL_HEADER_SIZE, maxPayload)
    let run = control ? this.#openControl : this.#openData
    for (let attempt = 0; attempt < 2; attempt++) {
      if (run === undefined || run.buf.length - run.used <= SMALL_HEADER_SIZE) {
        // A second try has all the room a message may have.
        run = this.#newRun(attempt === 0 ? 0 : max + SMALL_HEADER_SIZE)
        if (control) this.#openControl = run
        else this.#openData = run
      }
      const at = run.used
      const start = at + SMALL_HEADER_SIZE
      const limit = Math.min(run.buf.length, start + max)
      const end = write(run.buf, start, limit)
      if (end >= 0) {
        if (!run.queued) {
          run.queued = true
          if (control) this.#control.push(run)
          else this.#data.push(run)
        }
        const payload = end - start
        run.view.setUint32(at, payload + 1)
        run.buf[at + 4] = control ? KIND_CONTROL : KIND_DATA
        run.used = end
        run.payload += payload
        this.#bytes += payload
        return true
      }
      // With all the room a message may have, it is not one to write in place; else try a new run.
      if (limit - start >= max) return false
      run = undefined
    }
    return false
  }

  #append (run: Run, kind: number, src: Buffer, start: number, end: number): void {
    const payload = end - start
    const b = run.buf
    const v = run.view
    let p = run.used
    v.setUint32(p, payload + 1)
    b[p + 4] = kind
    p += SMALL_HEADER_SIZE
    if (payload <= LOOP_COPY_MAX) {
      // Twice as fast as a byte loop, and than Buffer#copy on small copies (which makes a view).
      let sv = this.#srcView
      if (src !== this.#src || sv === undefined) {
        sv = this.#srcView = new DataView(src.buffer, src.byteOffset, src.byteLength)
        this.#src = src
      }
      let i = start
      for (; i + 4 <= end; i += 4, p += 4) v.setUint32(p, sv.getUint32(i))
      for (; i < end; i++) b[p++] = src[i]!
    } else {
      src.copy(b, p, start, end)
      p += payload
    }
    run.used = p
    run.payload += payload
    this.#bytes += payload
  }

  /** A run with room for `need` bytes at least: a written one again, else a new one. */
  #newRun (need: number): Run {
    let run = this.#free.pop()
    // Runs made while they were still growing are smaller: one too small is let go.
    while (run !== undefined && run.buf.length < need) run = this.#free.pop()
    if (run === undefined) {
      const size = Math.max(this.#nextRunSize, need)
      this.#nextRunSize = Math.min(this.#runSize, 2 * size)
      return new Run(size)
    }
    run.start = run.used = run.payload = 0
    return run
  }

  /**
   * The batch last taken has been written (the socket is done with its
   * buffers): its runs that are closed and wholly taken are kept for reuse.
   */
  written (): void {
    const taken = this.#taken
    for (let i = 0; i < taken.length; i++) {
      const run = taken[i]
      if (run.start === run.used && !run.queued && run !== this.#openControl && run !== this.#openData && this.#free.length < FREE_RUNS) this.#free.push(run)
    }
    taken.length = 0
  }

  /** Frames to write next, about `limit` bytes (control first), or undefined when empty. */
  take (limit: number): Batch | undefined {
    this.#taken.length = 0
    const parts: Buffer[] = []
    let size = 0
    let onlyTicks = true
    for (let c = this.#control.shift(); c !== undefined; c = size < limit ? this.#control.shift() : undefined) {
      if (c instanceof Run) {
        size += this.#takeRun(c, parts)
        onlyTicks = false
        continue
      }
      parts.push(c)
      size += c.length
      if (c !== TICK_FRAME) {
        onlyTicks = false
        this.#bytes -= c.length - SMALL_HEADER_SIZE
      }
    }
    for (let d = this.#data.peek(); d !== undefined && size < limit; d = this.#data.peek()) {
      onlyTicks = false
      if (d instanceof Run) {
        this.#data.shift()
        size += this.#takeRun(d, parts)
        continue
      }
      if (d instanceof Uint8Array) {
        this.#data.shift()
        parts.push(d)
        size += d.length
        this.#bytes -= d.length - SMALL_HEADER_SIZE
        continue
      }
      const total = d.buf.length - SMALL_HEADER_SIZE
      const n = Math.min(this.fragmentSize, d.buf.length - d.offset)
      const head = d.offset === SMALL_HEADER_SIZE ? firstFragmentHeader(n, total) : smallHeader(KIND_FRAG_NEXT, n)
      parts.push(head, d.buf.subarray(d.offset, d.offset + n))
      size += head.length + n
      this.#bytes -= n
      d.offset += n
      if (d.offset === d.buf.length) this.#data.shift()
    }
    return parts.length === 0 ? undefined : { parts, size, onlyTicks }
  }

  /** Everything in `run` not taken yet, out of its queue (it may come back as the open run fills). */
  #takeRun (run: Run, parts: Buffer[]): number {
    const n = run.used - run.start
    parts.push(run.buf.subarray(run.start, run.used))
    run.start = run.used
    this.#bytes -= run.payload
    run.payload = 0
    run.queued = false
    this.#taken.push(run)
    return n
  }

  clear (): void {
    this.#control.clear()
    this.#data.clear()
    this.#openControl = this.#openData = undefined
    this.#taken = []
    this.#bytes = 0
  }
}

/** `src[start..end)` in a new buffer behind SMALL_HEADER_SIZE bytes of headroom. */
function withHeadroom (src: Buffer, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(SMALL_HEADER_SIZE + end - start)
  src.copy(buf, SMALL_HEADER_SIZE, start, end)
  return buf
}

/** Writes the frame header into the headroom. */
function framed (kind: number, buf: Buffer): Buffer {
  buf.writeUInt32BE(buf.length - 4, 0)
  buf[4] = kind
  return buf
}

/** Parts at least this big are written as they are; smaller neighbours are copied together. */
const COPY_LIMIT = 16 * 1024

/**
 * The buffers to write for a batch: runs of small parts joined into one
 * buffer each (a thousand small frames become one write), large parts
 * (fragments, big messages) passed through uncopied.
 */
export function gather (parts: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = []
  let run: Buffer[] = []
  let runSize = 0
  const endRun = (): void => {
    if (run.length === 1) out.push(run[0])
    else if (run.length > 1) out.push(Buffer.concat(run, runSize))
    run = []
    runSize = 0
  }
  for (const p of parts) {
    if (p.length >= COPY_LIMIT) {
      endRun()
      out.push(p)
    } else {
      run.push(p)
      runSize += p.length
    }
  }
  endRun()
  return out
}
