/**
 * One side of a handshake on a socket: framed msgpack messages in and out,
 * a deadline on every receive, refusal as a `status` message that the other
 * side turns into the same error code, and a clean hand-over of the socket
 * (paused, listeners removed, bytes read past the handshake returned).
 *
 * Unauthenticated input is bounded: frames are at most HANDSHAKE_MAX_FRAME
 * bytes, and a peer that sends more than HANDSHAKE_MAX_BUFFERED bytes ahead
 * of what the handshake has read is cut off.
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import type { Socket } from 'node:net'
import type { Clock, Logger, Timer } from '@tekka/actors'
import { createCodec } from './codec.js'
import type { Codec } from './codec.js'
import { encodeFrame, FrameDecoder } from './frame.js'
import { HandshakeError } from './errors.js'
import type { HandshakeErrorCode } from './errors.js'

/** Largest handshake message; real ones are a few hundred bytes. */
export const HANDSHAKE_MAX_FRAME = 8 * 1024
/** Bytes a peer may send ahead of the handshake before it is treated as hostile. */
export const HANDSHAKE_MAX_BUFFERED = 1024 * 1024

export type Message = Record<string, unknown> & { t: string }

/** Refusal statuses and the error code each maps to, on both sides. */
const STATUS_CODES: Record<string, HandshakeErrorCode> = {
  bad_cookie: 'ERR_HANDSHAKE_COOKIE',
  bad_name: 'ERR_HANDSHAKE_NAME',
  bad_cluster: 'ERR_HANDSHAKE_CLUSTER',
  bad_version: 'ERR_HANDSHAKE_VERSION',
  nok: 'ERR_HANDSHAKE_REFUSED',
  alive: 'ERR_HANDSHAKE_REFUSED',
  not_allowed: 'ERR_HANDSHAKE_REFUSED',
  protocol_error: 'ERR_HANDSHAKE_PROTOCOL'
}

const STATUS_TEXT: Record<string, string> = {
  bad_cookie: 'cookie proof did not verify (the cookies differ)',
  bad_name: 'unexpected node name',
  bad_cluster: 'not in the same cluster',
  bad_version: 'no common protocol version',
  nok: 'a simultaneous connection from the other side wins',
  alive: 'a connection between the two nodes is up on both sides',
  not_allowed: 'not allowed to connect',
  protocol_error: 'protocol error'
}

function expects (expected: string | readonly string[], t: string): boolean {
  return typeof expected === 'string' ? t === expected : expected.includes(t)
}

function expectedText (expected: string | readonly string[]): string {
  return typeof expected === 'string' ? expected : expected.join(' or ')
}

export function codeForStatus (status: string): HandshakeErrorCode {
  return Object.prototype.hasOwnProperty.call(STATUS_CODES, status) ? STATUS_CODES[status] : 'ERR_HANDSHAKE_PROTOCOL'
}

export interface ChannelOptions {
  clock: Clock
  logger: Logger
  timeout: number
  signal?: AbortSignal | undefined
}

interface Waiter {
  expected: string | readonly string[]
  transcript: boolean
  resolve: (msg: Message) => void
  reject: (err: unknown) => void
  timer: Timer
}

export class HandshakeChannel {
  /** Who is on the other end, for messages: a node name once known. */
  peerLabel: string
  readonly #socket: Socket
  readonly #opts: ChannelOptions
  readonly #codec: Codec = createCodec()
  readonly #decoder = new FrameDecoder({ maxFrameSize: HANDSHAKE_MAX_FRAME })
  readonly #transcript: Hash = createHash('sha256')
  #waiter: Waiter | undefined
  /** Why no more messages will come (peer closed, socket error, abort, garbage). */
  #failure: Error | undefined
  #finished = false

  constructor (socket: Socket, opts: ChannelOptions, peerLabel: string) {
    this.#socket = socket
    this.#opts = opts
    this.peerLabel = peerLabel
    socket.setNoDelay?.(true)
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('close', this.#onEnd)
    socket.on('error', this.#onError)
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true })
    if (socket.destroyed) this.#onEnd()
  }

  /** Sends a message; `transcript` adds it to the hash the cookie proofs sign. */
  send (msg: Message, transcript = false): void {
    const body = this.#codec.encode(msg)
    if (transcript) this.#hash(body)
    this.#socket.write(encodeFrame(body))
  }

  /** SHA-256 over every transcript message so far, each length-prefixed. */
  transcriptDigest (): Buffer {
    return this.#transcript.copy().digest()
  }

  /**
   * The next message, which must be of type `expected`; a `status` message is
   * the peer's refusal and rejects with the matching code. Deadline: `timeout`.
   */
  async receive (expected: string | readonly string[], transcript = false): Promise<Message> {
    return await new Promise<Message>((resolve, reject) => {
      const timer = this.#opts.clock.setTimeout(() => {
        this.#waiter = undefined
        reject(new HandshakeError('ERR_HANDSHAKE_TIMEOUT', `no ${expectedText(expected)} message from ${this.peerLabel} within ${this.#opts.timeout} ms`))
      }, this.#opts.timeout)
      this.#waiter = { expected, transcript, resolve, reject, timer }
      this.#pump()
    })
  }

  /** Waits for a local decision (the kernel's onPeer) under the same deadline. */
  async within<T> (what: string, value: T | Promise<T>): Promise<T> {
    if (!(value instanceof Promise)) return value
    let timer: Timer | undefined
    try {
      return await Promise.race([
        value,
        new Promise<never>((_resolve, reject) => {
          timer = this.#opts.clock.setTimeout(() => {
            reject(new HandshakeError('ERR_HANDSHAKE_TIMEOUT', `${what} did not answer within ${this.#opts.timeout} ms`))
          }, this.#opts.timeout)
        })
      ])
    } finally {
      if (timer !== undefined) this.#opts.clock.clearTimeout(timer)
    }
  }

  /** Throws why the peer can no longer be talked to, if it cannot (closed while we were deciding). */
  ensureOpen (): void {
    if (this.#failure !== undefined) throw this.#failure
  }

  /** Tells the peer why we stop (a `status` message), closes our side, and throws the matching error. */
  refuse (status: string, message: string, extra: Record<string, unknown> = {}): never {
    const err = new HandshakeError(codeForStatus(status), message, { status })
    if (!this.#finished) {
      this.#finished = true
      this.#detach()
      if (this.#failure === undefined) {
        // Destroy only once the refusal is flushed, so the peer can read why.
        this.#socket.end(encodeFrame(this.#codec.encode({ t: 'status', status, ...extra })), () => { this.#socket.destroy() })
      } else {
        this.#socket.destroy()
      }
    }
    throw err
  }

  /** Tears the socket down after a failure and returns the error to throw (as a HandshakeError when it was not one). */
  fail (err: unknown): unknown {
    if (!this.#finished) {
      this.#finished = true
      this.#detach()
      this.#socket.destroy()
    }
    if (err instanceof HandshakeError || (err instanceof Error && err.name === 'AbortError')) return err
    return new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `handshake with ${this.peerLabel} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }

  /** Success: pauses the socket (the connection resumes it), unhooks, and returns the bytes read past the handshake. */
  release (): Buffer {
    this.#finished = true
    this.#socket.pause()
    this.#detach()
    return this.#decoder.takeRest()
  }

  #detach (): void {
    const s = this.#socket
    s.off('data', this.#onData)
    s.off('end', this.#onEnd)
    s.off('close', this.#onEnd)
    s.off('error', this.#onError)
    // Keep one listener so a late error on a socket nobody listens to cannot crash the process.
    if (s.listenerCount('error') === 0) s.on('error', () => {})
    this.#opts.signal?.removeEventListener('abort', this.#onAbort)
    if (this.#waiter !== undefined) {
      this.#opts.clock.clearTimeout(this.#waiter.timer)
      this.#waiter = undefined
    }
  }

  #hash (body: Uint8Array): void {
    const len = Buffer.allocUnsafe(4)
    len.writeUInt32BE(body.length, 0)
    this.#transcript.update(len).update(body)
  }

  #onData = (chunk: Buffer): void => {
    this.#decoder.feed(chunk)
    if (this.#decoder.buffered > HANDSHAKE_MAX_BUFFERED) {
      this.#setFailure(new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `${this.peerLabel} sent more than ${HANDSHAKE_MAX_BUFFERED} bytes ahead of the handshake`))
    }
    this.#pump()
  }

  #onEnd = (): void => {
    this.#setFailure(new HandshakeError('ERR_HANDSHAKE_CLOSED', `${this.peerLabel} closed the connection during the handshake`))
  }

  #onError = (err: Error): void => {
    this.#setFailure(new HandshakeError('ERR_HANDSHAKE_CLOSED', `connection to ${this.peerLabel} failed during the handshake: ${err.message}`, { cause: err }))
  }

  #onAbort = (): void => {
    const why: unknown = this.#opts.signal?.reason
    this.#setFailure(why instanceof Error ? why : new HandshakeError('ERR_HANDSHAKE_CLOSED', `handshake with ${this.peerLabel} aborted: ${String(why)}`))
  }

  #setFailure (err: Error): void {
    this.#failure ??= err
    this.#pump()
  }

  /** Hands the next buffered frame (or the failure) to the waiting receive. */
  #pump (): void {
    const w = this.#waiter
    if (w === undefined) return
    let msg: Message | undefined
    let error: Error | undefined
    try {
      const body = this.#decoder.next()
      if (body !== undefined) msg = this.#parse(body, w)
      else if (this.#failure !== undefined) error = this.#failure
      else return
    } catch (err) {
      error = err instanceof HandshakeError ? err : new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `${this.peerLabel} sent an invalid handshake frame: ${(err as Error).message}`, { cause: err })
      // The stream is out of sync: nothing after this can be read.
      this.#failure ??= error
    }
    this.#waiter = undefined
    this.#opts.clock.clearTimeout(w.timer)
    if (msg !== undefined) w.resolve(msg)
    else w.reject(error)
  }

  #parse (body: Buffer, w: Waiter): Message {
    if (body.length === 0) throw new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `${this.peerLabel} sent an empty frame during the handshake`)
    const msg = this.#codec.decode(body)
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof (msg as Message).t !== 'string') {
      throw new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `${this.peerLabel} sent a handshake frame that is not a message`)
    }
    const m = msg as Message
    if (m.t === 'status' && !expects(w.expected, 'status')) {
      const status = typeof m.status === 'string' ? m.status : String(m.status)
      const detail = typeof m.detail === 'string' ? ` (${m.detail.slice(0, 200)})` : ''
      const text = Object.prototype.hasOwnProperty.call(STATUS_TEXT, status) ? STATUS_TEXT[status] : `status ${JSON.stringify(status.slice(0, 40))}`
      throw new HandshakeError(codeForStatus(status), `${this.peerLabel} refused the handshake: ${text}${detail}`, { status })
    }
    if (!expects(w.expected, m.t)) {
      throw new HandshakeError('ERR_HANDSHAKE_PROTOCOL', `${this.peerLabel} sent ${JSON.stringify(m.t.slice(0, 40))} where ${expectedText(w.expected)} was expected`)
    }
    if (w.transcript) this.#hash(body)
    return m
  }
}
