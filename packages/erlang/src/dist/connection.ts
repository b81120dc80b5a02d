/**
 * A link to an Erlang node after the handshake: 4-byte length framing,
 * ticks, and the seam where the external term format plugs in.
 *
 * - Every distribution packet is a 4-byte big-endian length and the packet.
 *   A packet of length 0 is a tick. Each other packet goes, unparsed, to
 *   `onFrame` (and the 'frame' event): it starts with 112 (pass-through: a
 *   control message and maybe a message, as ETF terms) or, with the atom
 *   cache, 131 68 (a distribution header).
 * - Ticks as erl's net_kernel does them (net_ticktime, 60 s by default):
 *   every tickTime / 4 we send a tick if we sent nothing else in that
 *   quarter, and a link from which nothing (tick or packet) arrived in 4
 *   quarters in a row is down with reason `net_tick_timeout`.
 * - It ends once, with a reason: `net_tick_timeout`, `connection_closed`
 *   (the peer closed or the socket failed), `frame_too_large`, or what
 *   `close(reason)` was given. 'close' fires with it, and `closed` resolves.
 *
 * ```ts
 * const conn = new ErlConnection(socket, hs, { tickTime: 60_000, onFrame: (p) => codec.decode(p) })
 * conn.on('close', (reason) => console.log('nodedown', conn.peer.name, reason))
 * conn.send(packet)
 * ```
 */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { BadArgError, silentLogger, systemClock, type Clock, type Logger, type Timer } from '@tekka/actors'
import type { ErlHandshakeResult, ErlPeer } from './handshake.js'

/** erl's default net_ticktime, in ms. */
export const DEFAULT_TICK_TIME = 60_000
/** Quarters without a word from the peer before the link is down (net_kernel's count). */
const MISSED_LIMIT = 4
/** Largest packet accepted by default: 128 MiB (erl has no limit; this bounds our memory). */
export const DEFAULT_MAX_PACKET = 128 * 1024 * 1024

export type ErlCloseReason = 'net_tick_timeout' | 'connection_closed' | 'frame_too_large' | string

export interface ErlConnectionOptions {
  /** erl's net_ticktime in ms: the peer is down after hearing nothing for this long. Default 60000. */
  tickTime?: number
  /** Each distribution packet (after its 4-byte length; never a tick), unparsed. */
  onFrame?: (packet: Buffer) => void
  /** Largest packet accepted; a larger length closes the link (`frame_too_large`). Default 128 MiB. */
  maxPacket?: number
  clock?: Clock
  logger?: Logger
}

export interface ErlConnectionStats {
  ticksIn: number
  ticksOut: number
  packetsIn: number
  packetsOut: number
}

export class ErlConnection extends EventEmitter {
  readonly peer: ErlPeer
  /** The flags both sides have. */
  readonly flags: bigint
  readonly tickTime: number
  readonly stats: ErlConnectionStats = { ticksIn: 0, ticksOut: 0, packetsIn: 0, packetsOut: 0 }
  /** Resolves with the reason once the link is down. */
  readonly closed: Promise<ErlCloseReason>
  readonly #socket: Socket
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #onFrame: ((p: Buffer) => void) | undefined
  readonly #maxPacket: number
  #buf: Buffer
  #heard = false
  #wrote = false
  #missed = 0
  #timer: Timer | undefined
  #reason: ErlCloseReason | undefined
  #resolveClosed!: (r: ErlCloseReason) => void

  constructor (socket: Socket, hs: ErlHandshakeResult, opts: ErlConnectionOptions = {}) {
    super()
    const tickTime = opts.tickTime ?? DEFAULT_TICK_TIME
    if (!(tickTime > 0) || !Number.isFinite(tickTime)) throw new BadArgError(`tickTime must be a positive number of ms, got ${String(tickTime)}`)
    const maxPacket = opts.maxPacket ?? DEFAULT_MAX_PACKET
    if (!Number.isInteger(maxPacket) || maxPacket < 1) throw new BadArgError(`maxPacket must be a positive integer, got ${String(maxPacket)}`)
    this.peer = hs.peer
    this.flags = hs.flags
    this.tickTime = tickTime
    this.#socket = socket
    this.#clock = opts.clock ?? systemClock()
    this.#logger = opts.logger ?? silentLogger('tekka:erlang:connection')
    this.#onFrame = opts.onFrame
    this.#maxPacket = maxPacket
    this.#buf = hs.rest
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve })
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => { this.#heard = true; this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]); this.#drain() })
    socket.on('error', (err) => { this.#end('connection_closed', err.message) })
    socket.on('close', () => { this.#end('connection_closed') })
    if (socket.destroyed) {
      // It closed between the handshake and now; report it after the caller's listeners are on.
      setImmediate(() => { this.#end('connection_closed') })
      return
    }
    this.#arm()
    // Packets read with the handshake: on the next turn, so listeners added after construction see them.
    if (this.#buf.length > 0) { this.#heard = true; setImmediate(() => { this.#drain() }) }
  }

  get open (): boolean { return this.#reason === undefined }
  /** Why it closed, once it has. */
  get reason (): ErlCloseReason | undefined { return this.#reason }

  /** Sends one distribution packet (its 4-byte length is added). False once closed. */
  send (packet: Buffer): boolean {
    if (this.#reason !== undefined) return false
    if (packet.length === 0) throw new BadArgError('an empty packet is a tick; send a distribution packet (starting with 112 or 131)')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(packet.length)
    this.#socket.write(Buffer.concat([len, packet]))
    this.#wrote = true
    this.stats.packetsOut++
    return true
  }

  /** Ends the link with `reason` (default `normal`); idempotent. Resolves once the socket is closed. */
  async close (reason: ErlCloseReason = 'normal'): Promise<void> {
    this.#end(reason)
    await this.closed
  }

  #arm (): void {
    this.#timer = this.#clock.setTimeout(() => { this.#check() }, this.tickTime / MISSED_LIMIT)
    this.#clock.unref?.(this.#timer)
  }

  #check (): void {
    this.#timer = undefined
    if (this.#reason !== undefined) return
    if (this.#heard) {
      this.#heard = false
      this.#missed = 0
    } else if (++this.#missed >= MISSED_LIMIT) {
      this.#logger.warn('erlang node down: nothing heard for tickTime', { peer: this.peer.name, reason: 'net_tick_timeout', tickTime: this.tickTime })
      this.#end('net_tick_timeout')
      return
    }
    if (!this.#wrote) {
      this.#socket.write(Buffer.alloc(4))
      this.stats.ticksOut++
    }
    this.#wrote = false
    this.#arm()
  }

  #drain (): void {
    while (this.#reason === undefined && this.#buf.length >= 4) {
      const len = this.#buf.readUInt32BE(0)
      if (len === 0) {
        this.stats.ticksIn++
        this.#buf = this.#buf.subarray(4)
        continue
      }
      if (len > this.#maxPacket) {
        this.#logger.warn('erlang packet too large: closing the link', { peer: this.peer.name, size: len, max: this.#maxPacket })
        this.#end('frame_too_large', `a packet of ${len} bytes exceeds the maximum of ${this.#maxPacket}`)
        return
      }
      if (this.#buf.length < 4 + len) return
      const packet = this.#buf.subarray(4, 4 + len)
      this.#buf = this.#buf.subarray(4 + len)
      this.stats.packetsIn++
      try {
        this.#onFrame?.(packet)
        this.emit('frame', packet)
      } catch (err) {
        // A handler's bug must not take the link (or the node) down with an uncaught throw.
        this.#logger.error('erlang frame handler threw', { peer: this.peer.name, error: (err as Error).message })
      }
    }
  }

  #end (reason: ErlCloseReason, detail?: string): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#socket.destroy()
    this.#logger.info('erlang link down', { peer: this.peer.name, reason, detail })
    this.#resolveClosed(reason)
    this.emit('close', reason, detail)
  }
}
