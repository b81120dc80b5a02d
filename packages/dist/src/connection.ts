/**
 * An established distribution link on a handshaken socket: messages out and
 * in as frames (see wire.ts), ticks, back-pressure.
 *
 * Writing. `send` encodes at once and queues (a small message is copied
 * into the outbox's current run of frames, see outbox.ts); one flush per
 * event-loop turn (setImmediate) writes what is queued, up to `fragmentSize`
 * bytes, as one socket write, and the next batch is written only when the
 * socket has taken the previous one. Control frames jump the data queue at every
 * batch, and data messages above `fragmentSize` go out in fragments, so a
 * tick or a signal waits for at most one fragment, whatever the size of the
 * message in front of it.
 *
 * Back-pressure. When queued payload exceeds `highWater` (default 8 MiB),
 * `send` returns a promise that resolves once the queue is back under
 * `lowWater` (default highWater / 2), or the link closes; the kernel awaits it
 * to hold senders back, as Erlang suspends senders on a busy dist port.
 * Below the mark it returns undefined, so the common case allocates nothing.
 *
 * Reading. Frames are decoded where they lie in the socket's chunks (no
 * buffer is made per frame); only a frame split across chunks is joined.
 * Reading pauses after each chunk until the next turn of the event loop, so
 * the processes the messages are for keep up (see #ingest).
 *
 * Ticks (Erlang's net_ticktime). Every tickTime / 4 the connection checks
 * (link-liveness.ts): nothing but ticks written since the last check -> send
 * a tick; nothing at all received in 4 consecutive checks -> close with
 * `net_tick_timeout`. Both ends must use the same tickTime. A write the
 * socket has not taken for `sendTimeout` (default 4 × tickTime; the peer
 * stopped reading) closes with `send_timeout`, so a peer that talks but never
 * reads cannot make this node queue for it without bound.
 *
 * Closing. `close` (or the socket ending, or a protocol error) clears every
 * timer, drops what is queued, destroys the socket and emits `'close'`
 * exactly once with `(reason, error?)`: `disconnect` (default of close),
 * `connection_closed` (socket ended or failed), `net_tick_timeout`,
 * `send_timeout`, `protocol_error` (garbage, oversized or out-of-order frames; also logged).
 */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { consoleLogger, systemClock } from '@tekka/actors'
import type { Clock, Logger, Timer } from '@tekka/actors'
import { createCodec } from './codec.js'
import type { Codec } from './codec.js'
import { FrameDecoder } from './frame.js'
import { linkSettings, type LinkOptions, type LinkSettings } from './connection-settings.js'
import { Liveness } from './link-liveness.js'
import { FrameTooLargeError, ProtocolError } from './errors.js'
import type { PeerInfo } from './handshake.js'
import { gather, Outbox } from './outbox.js'
import { Reassembly } from './reassembly.js'
import { KIND_CONTROL, KIND_DATA, KIND_FRAG_FIRST, KIND_FRAG_NEXT, SMALL_HEADER_SIZE } from './wire.js'

export type CloseReason = 'disconnect' | 'connection_closed' | 'net_tick_timeout' | 'send_timeout' | 'protocol_error'

export type ConnectionEvents = {
  message: [value: unknown]
  close: [reason: string, error?: Error]
}

export interface ConnectionOptions extends LinkOptions {
  /** The peer from the handshake (or just its name); kept on `connection.peer` / `peerName`, used in log lines. */
  peer?: PeerInfo | string
  /** Bytes the handshake read past its end (`HandshakeResult.rest`). */
  rest?: Uint8Array
  clock?: Clock
  /** Default: `tekka:dist:connection` on stderr. Used as given. */
  logger?: Logger
  codec?: Codec
  /**
   * The link's tunables already resolved by `linkSettings` (the net kernel
   * passes the node's, resolved once at start); the LinkOptions fields are
   * then not read.
   */
  link?: LinkSettings
}

export interface SendOptions {
  /** Priority queue: ticks and signals that must not wait behind large messages. */
  control?: boolean
  /**
   * The sender, for per-sender ordering with priority: a message from a
   * stream goes in the priority queue when it fits in one fragment and the
   * same stream has no large message still queued; otherwise it queues
   * behind that stream's large message. So small signals and messages are
   * never stuck behind another sender's multi-megabyte message, and one
   * sender's messages and signals still arrive in the order sent. Compared
   * by identity (the kernel passes the sending process's pid object).
   */
  stream?: object
}

export interface ConnectionStats {
  bytesIn: number
  bytesOut: number
  messagesIn: number
  messagesOut: number
  ticksIn: number
  ticksOut: number
}

export class Connection extends EventEmitter<ConnectionEvents> {
  /** The handshake's PeerInfo, when it was given. */
  readonly peer: PeerInfo | undefined
  readonly peerName: string | undefined
  readonly tickTime: number
  /** See ConnectionOptions.sendTimeout; Infinity when off. */
  readonly sendTimeout: number
  readonly highWater: number
  readonly lowWater: number
  readonly maxFrameSize: number
  readonly fragmentSize: number
  readonly #socket: Socket
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #codec: Codec
  readonly #decoder: FrameDecoder
  readonly #reassembly: Reassembly
  readonly #outbox: Outbox
  #rest: Uint8Array | undefined
  #started = false
  #closed = false
  /** See mute(). */
  #muted = false
  #startImmediate: NodeJS.Immediate | undefined
  #flushImmediate: NodeJS.Immediate | undefined
  /** Reading is paused until this runs (see #ingest). */
  #resumeImmediate: NodeJS.Immediate | undefined
  /** A batch handed to the socket whose write callback has not come yet. */
  #inflight = false
  #tickTimer: Timer | undefined
  /** Undefined when ticks are off. */
  readonly #liveness: Liveness | undefined
  #drain: { promise: Promise<void>, resolve: () => void } | undefined
  /** Streams with a large message in the data queue (see SendOptions.stream). */
  readonly #bigStreams = new Set<object>()
  /** flushAndClose callers waiting for the queue to empty. */
  #idle: Array<() => void> = []
  readonly #stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, ticksIn: 0, ticksOut: 0 }

  /**
   * Takes over `socket`. Reading starts on the next turn of the event loop
   * (or at `start()`), so listeners attached right after construction see
   * every message; ticks and sends work at once.
   */
  constructor (socket: Socket, options: ConnectionOptions = {}) {
    super()
    this.peer = typeof options.peer === 'object' ? options.peer : undefined
    this.peerName = typeof options.peer === 'string' ? options.peer : options.peer?.name
    const link = options.link ?? linkSettings(options)
    this.tickTime = link.tickTime
    this.sendTimeout = link.sendTimeout
    this.highWater = link.highWater
    this.lowWater = link.lowWater
    this.maxFrameSize = link.maxFrameSize
    this.fragmentSize = link.fragmentSize
    this.#liveness = this.tickTime > 0 && Number.isFinite(this.tickTime) ? new Liveness(this.tickTime, this.sendTimeout) : undefined
    this.#socket = socket
    this.#clock = options.clock ?? systemClock()
    this.#logger = options.logger ?? consoleLogger('tekka:dist:connection')
    this.#codec = options.codec ?? createCodec()
    this.#decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize })
    this.#reassembly = new Reassembly(this.maxFrameSize)
    this.#outbox = new Outbox(this.fragmentSize)
    this.#rest = options.rest
    // Explicitly paused, so no 'data' flows before start() however the socket came in.
    socket.pause()
    socket.setNoDelay?.(true)
    socket.on('end', this.#onEnd)
    socket.on('close', this.#onEnd)
    socket.on('error', this.#onError)
    this.#startImmediate = setImmediate(() => { this.start() })
    this.#armTick()
  }

  get closed (): boolean {
    return this.#closed
  }

  /**
   * Silences the link for good, as a network that drops every packet would
   * (LinkFaults): what arrives is not heard (nor the peer closing its
   * end), what is queued is not written, so it dies of its ticks
   * (`net_tick_timeout`) within tickTime.
   */
  mute (): void {
    this.#muted = true
  }

  /** Queued payload bytes not yet handed to the socket. */
  get queuedBytes (): number {
    return this.#outbox.bytes
  }

  /** Over the high-water mark: `send` is returning a promise. */
  get busy (): boolean {
    return this.#drain !== undefined
  }

  get stats (): ConnectionStats {
    return { ...this.#stats }
  }

  /** Starts reading now instead of on the next turn. Idempotent. */
  start (): this {
    if (this.#started || this.#closed) return this
    this.#started = true
    if (this.#startImmediate !== undefined) { clearImmediate(this.#startImmediate); this.#startImmediate = undefined }
    const rest = this.#rest
    this.#rest = undefined
    if (rest !== undefined && rest.length > 0) this.#ingest(rest)
    if (this.#closed) return this
    if (this.#socket.destroyed || this.#socket.readableEnded) {
      this.close('connection_closed')
      return this
    }
    this.#socket.on('data', this.#ingest)
    this.#socket.resume()
    return this
  }

  /**
   * Queues `value`. Returns a promise while the connection is over its
   * high-water mark (await it to hold the sender back), else undefined.
   * Throws FrameEncodeError for a value msgpack cannot hold and
   * FrameTooLargeError for one above maxFrameSize. After close, drops the
   * value silently (as Erlang drops sends to a lost node).
   */
  send (value: unknown, options?: SendOptions): Promise<void> | undefined {
    if (this.#closed) return undefined
    const codec = this.#codec
    const outbox = this.#outbox
    const stream = options?.stream
    // A small message is a control frame when asked, or when its stream has no large message queued.
    let control = options?.control === true
    if (!control && stream !== undefined) {
      if (this.#bigStreams.size > 0 && outbox.dataEmpty) this.#bigStreams.clear()
      control = !this.#bigStreams.has(stream)
    }
    // Written straight into the outbox when the codec can (short arrays of small values: most signals).
    if (codec.encodeInto !== undefined) {
      this.#pending = value
      const queued = outbox.appendWith(control, this.maxFrameSize - 1, this.#encodeInto)
      this.#pending = undefined
      if (queued) return this.#queued()
    }
    // Else the codec's scratch bytes are copied into the outbox; else encode gives a buffer of its own.
    const scratch = codec.encodeScratch?.(value)
    const buf = scratch === undefined ? codec.encode(value, SMALL_HEADER_SIZE) : undefined
    // The frame body is the kind byte and the message.
    const size = scratch !== undefined ? scratch.end - scratch.start + 1 : buf!.length - SMALL_HEADER_SIZE + 1
    if (size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize, 'message')
    if (size > this.fragmentSize && options?.control !== true) {
      control = false
      if (stream !== undefined) this.#bigStreams.add(stream)
    }
    if (scratch !== undefined) {
      if (control) outbox.appendControl(scratch.buf, scratch.start, scratch.end)
      else outbox.appendData(scratch.buf, scratch.start, scratch.end)
    } else {
      if (control) outbox.pushControl(buf!)
      else outbox.pushData(buf!)
    }
    return this.#queued()
  }

  /** The value being sent, for #encodeInto (a method made once, not a closure per send). */
  #pending: unknown
  #encodeInto = (buf: Buffer, start: number, limit: number): number => this.#codec.encodeInto!(this.#pending, buf, start, limit)

  /** After a message is queued: the flush, and back-pressure. */
  #queued (): Promise<void> | undefined {
    this.#stats.messagesOut++
    this.#scheduleFlush()
    if (this.#drain === undefined && this.#outbox.bytes > this.highWater) {
      let resolve!: () => void
      const promise = new Promise<void>((_resolve) => { resolve = _resolve })
      this.#drain = { promise, resolve }
    }
    return this.#drain?.promise
  }

  /**
   * Closes the link once everything queued has been handed to the socket
   * (or after `timeout` ms, whichever comes first): for a last message, such
   * as a goodbye, that must not be dropped by `close`.
   */
  async flushAndClose (reason: string = 'disconnect', timeout = 1000): Promise<void> {
    if (this.#closed) return
    if (!this.#outbox.empty || this.#inflight) {
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimeout(done, timeout)
        function done (): void { resolve() }
        this.#idle.push(() => { this.#clock.clearTimeout(timer); resolve() })
      })
    }
    this.close(reason)
  }

  /** Closes the link (idempotent): timers cleared, queue dropped, socket destroyed, `'close'` emitted once. */
  close (reason: string = 'disconnect', error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#startImmediate !== undefined) clearImmediate(this.#startImmediate)
    if (this.#flushImmediate !== undefined) clearImmediate(this.#flushImmediate)
    if (this.#resumeImmediate !== undefined) clearImmediate(this.#resumeImmediate)
    this.#resumeImmediate = undefined
    if (this.#tickTimer !== undefined) this.#clock.clearTimeout(this.#tickTimer)
    this.#startImmediate = this.#flushImmediate = this.#tickTimer = undefined
    const s = this.#socket
    s.off('data', this.#ingest)
    s.off('end', this.#onEnd)
    s.off('close', this.#onEnd)
    s.off('error', this.#onError)
    if (s.listenerCount('error') === 0) s.on('error', () => {})
    s.destroy()
    const queued = this.#outbox.bytes
    this.#outbox.clear()
    this.#reassembly.reset()
    this.#rest = undefined
    this.#releaseDrain(true)
    this.#releaseIdle()
    const fields = { peer: this.peerName, reason, error }
    if (reason === 'net_tick_timeout') this.#logger.warn('link down: no traffic from the peer within tickTime', { ...fields, tickTime: this.tickTime })
    else if (reason === 'send_timeout') this.#logger.warn('link down: the peer has not read what we sent within tickTime', { ...fields, tickTime: this.tickTime, queued })
    else if (reason !== 'protocol_error') this.#logger.debug('link closed', fields)
    try {
      this.emit('close', reason, error)
    } catch (err) {
      this.#logger.error('a close listener threw', { peer: this.peerName, error: err })
    }
  }

  #scheduleFlush (): void {
    if (this.#flushImmediate !== undefined || this.#inflight || this.#closed) return
    this.#flushImmediate = setImmediate(this.#flush)
  }

  #flush = (): void => {
    this.#flushImmediate = undefined
    if (this.#closed || this.#inflight) return
    const batch = this.#outbox.take(this.fragmentSize)
    if (batch === undefined) return
    if (!batch.onlyTicks && this.#liveness !== undefined) this.#liveness.wrote = true
    this.#stats.bytesOut += batch.size
    this.#inflight = true
    this.#releaseDrain(false)
    // Lost on the way, as a dropped packet is: the socket never gets it.
    if (this.#muted) { this.#afterWrite(); return }
    const bufs = gather(batch.parts)
    const socket = this.#socket
    if (bufs.length === 1) {
      socket.write(bufs[0], this.#afterWrite)
      return
    }
    // Several buffers (a fragment is never copied): corked, they still reach the kernel as one writev.
    socket.cork()
    for (let i = 0; i < bufs.length - 1; i++) socket.write(bufs[i])
    socket.write(bufs[bufs.length - 1], this.#afterWrite)
    socket.uncork()
  }

  #afterWrite = (err?: Error | null): void => {
    this.#inflight = false
    // A failed write also fails the socket, whose 'error' / 'close' closes us.
    if (err != null) return
    if (this.#liveness !== undefined) this.#liveness.writesDone++
    this.#outbox.written()
    if (!this.#outbox.empty) this.#scheduleFlush()
    else this.#releaseIdle()
  }

  #releaseIdle (): void {
    if (this.#idle.length === 0) return
    const waiters = this.#idle
    this.#idle = []
    for (const w of waiters) w()
  }

  #releaseDrain (force: boolean): void {
    if (this.#drain !== undefined && (force || this.#outbox.bytes <= this.lowWater)) {
      const { resolve } = this.#drain
      this.#drain = undefined
      resolve()
    }
  }

  #armTick (): void {
    if (this.#liveness !== undefined) this.#tickTimer = this.#clock.setTimeout(this.#onTick, this.#liveness.nextDelay(this.#clock.now()))
  }

  #onTick = (): void => {
    this.#tickTimer = undefined
    if (this.#closed || this.#liveness === undefined) return
    const verdict = this.#liveness.check(this.#inflight, this.#socket.writableLength, this.#outbox.empty && !this.#inflight)
    if (verdict === 'net_tick_timeout' || verdict === 'send_timeout') {
      this.close(verdict)
      return
    }
    if (verdict === 'tick') {
      this.#outbox.pushTick()
      this.#stats.ticksOut++
      this.#scheduleFlush()
    }
    this.#armTick()
  }

  #ingest = (chunk: Uint8Array): void => {
    if (this.#closed || this.#muted) return
    this.#stats.bytesIn += chunk.length
    if (this.#liveness !== undefined) this.#liveness.heard = true
    try {
      this.#decoder.feed(chunk)
      this.#decoder.drain(this.#onFrame)
    } catch (err) {
      this.#protocolError(err)
      return
    }
    // At most about one chunk per event-loop turn: the processes the messages
    // are for run before more is read, so a sender faster than its receivers
    // fills the TCP window and then its own outbox (and is held back there)
    // rather than the receivers' mailboxes.
    if (!this.#closed && this.#resumeImmediate === undefined) {
      this.#socket.pause()
      this.#resumeImmediate = setImmediate(this.#resume)
    }
  }

  #resume = (): void => {
    this.#resumeImmediate = undefined
    if (!this.#closed) this.#socket.resume()
  }

  /** A frame body, `buf[start..end)` (in place in the socket's chunk when it lies in one); false once closed. */
  #onFrame = (buf: Buffer, start: number, end: number): boolean => {
    if (start === end) {
      this.#stats.ticksIn++
      return true
    }
    let whole: Buffer | undefined
    let from = 0
    let to = 0
    switch (buf[start]) {
      case KIND_DATA:
        if (this.#reassembly.active) throw new ProtocolError('a data frame arrived inside a fragmented message')
        whole = buf
        from = start + 1
        to = end
        break
      case KIND_CONTROL:
        whole = buf
        from = start + 1
        to = end
        break
      case KIND_FRAG_FIRST:
        if (end - start < 6) throw new ProtocolError('a first fragment shorter than its header')
        whole = this.#reassembly.begin(buf.readUInt32BE(start + 1), buf.subarray(start + 5, end))
        to = whole?.length ?? 0
        break
      case KIND_FRAG_NEXT:
        whole = this.#reassembly.append(buf.subarray(start + 1, end))
        to = whole?.length ?? 0
        break
      default:
        throw new ProtocolError(`unknown frame kind ${buf[start]}`)
    }
    if (whole === undefined) return true
    const value = this.#codec.decode(whole, from, to)
    this.#stats.messagesIn++
    try {
      this.emit('message', value)
    } catch (err) {
      // A listener's bug must not take the link (or the process) down with it.
      this.#logger.error('a message listener threw', { peer: this.peerName, error: err })
    }
    return !this.#closed
  }

  #protocolError (err: unknown): void {
    const error = err instanceof Error ? err : new ProtocolError(String(err))
    this.#logger.error('protocol error, closing the link', {
      peer: this.peerName,
      code: (error as { code?: unknown }).code,
      error
    })
    this.close('protocol_error', error)
  }

  #onEnd = (): void => {
    // A muted link hears no FIN or RST either, as behind a dropping network: it ends by its ticks.
    if (this.#muted) return
    const partial = this.#decoder.buffered
    if (partial > 0 || this.#reassembly.active) {
      // Not a protocol error (the peer may have crashed mid-write), but worth a line: the last frame is lost.
      const error = new ProtocolError(`the connection ended inside a frame (${partial} bytes of it received${this.#reassembly.active ? ', a fragmented message incomplete' : ''})`)
      this.#logger.warn('link closed mid-frame', { peer: this.peerName, error })
      this.close('connection_closed', error)
      return
    }
    this.close('connection_closed')
  }

  #onError = (err: Error): void => {
    if (this.#muted) return
    this.close('connection_closed', err)
  }
}
