/**
 * Distribution packets to and from terms: what an ErlConnection's `onFrame`
 * gets, read into a control message (a tuple) and maybe a message, and the
 * packets this node sends.
 *
 * Read, as erl_ext_dist describes them:
 * - pass-through (112): the control message and the message, each a whole
 *   term with its version byte (and maybe compressed);
 * - a distribution header (131 68): atom cache references (new entries go
 *   into this link's cache of 2048 slots, old ones are looked up there),
 *   then the terms without version byte, whose ATOM_CACHE_REFs index the
 *   header's list;
 * - fragments (131 69 header, 131 70 continuations, fragment ids counting
 *   down to 1): reassembled per sequence id, at most `maxFragmented`
 *   sequences in flight and `maxMessage` bytes each.
 * Anything else is an ErlPacketError (ERR_ERL_PACKET, ERR_ERL_FRAGMENT)
 * with the offset; the caller closes the link.
 *
 * Written: no atom cache is used to send. Pass-through packets, or, on a
 * link that negotiated the atom cache (where erl takes nothing else), a
 * distribution header with no atom cache references (131 68 0).
 *
 * ```ts
 * const reader = new PacketReader()
 * const m = reader.read(packet)          // { control: Tuple, message?: Term } | undefined (a fragment, more to come)
 * conn.send(packetOf(encodeMessage(ctl, msg), (conn.flags & DFLAG.DIST_HDR_ATOM_CACHE) !== 0n))
 * ```
 */
import { decodeAt, type DecodeOptions } from '../etf/decode.js'
import { encodeInto, TermWriter } from '../etf/encode.js'
import { EtfDecodeError } from '../etf/errors.js'
import { Atom, Tuple, type Term } from '../etf/terms.js'
import { ErlPacketError } from './errors.js'

export const PASS_THROUGH = 112
const VERSION = 131
const DIST_HEADER = 68
const DIST_FRAG_HEADER = 69
const DIST_FRAG_CONT = 70
/** Atom cache slots of one link (8 segments of 256). */
const CACHE_SLOTS = 2048

/** One distribution message: its control tuple and, for the operations that carry one, the message. */
export interface DistMessage {
  control: Tuple
  message?: Term
}

export interface PacketReaderOptions {
  /** Largest reassembled fragmented message, in bytes. Default 128 MiB (the connection's maxPacket). */
  maxMessage?: number
  /** Fragmented messages in flight at once. Default 64. */
  maxFragmented?: number
  /** Passed to the term decoder (maxDepth, maxInflated, floats, strings). */
  decode?: Omit<DecodeOptions, 'atomCache' | 'versioned'>
}

interface Pending {
  /** The next fragment id expected. */
  next: bigint
  atoms: Atom[]
  parts: Buffer[]
  size: number
}

export class PacketReader {
  /** The link's atom cache: what a header's old entries refer to. */
  readonly #cache: Array<Atom | undefined> = new Array(CACHE_SLOTS)
  readonly #pending = new Map<bigint, Pending>()
  readonly #maxMessage: number
  readonly #maxFragmented: number
  readonly #decode: Omit<DecodeOptions, 'atomCache' | 'versioned'>

  constructor (opts: PacketReaderOptions = {}) {
    this.#maxMessage = opts.maxMessage ?? 128 * 1024 * 1024
    this.#maxFragmented = opts.maxFragmented ?? 64
    this.#decode = opts.decode ?? {}
  }

  /** Fragmented messages waiting for more fragments. */
  get fragmentsPending (): number { return this.#pending.size }

  /** The message in `packet`; undefined when it is a fragment of one not yet complete. */
  read (packet: Buffer): DistMessage | undefined {
    if (packet.length === 0) throw new ErlPacketError('ERR_ERL_PACKET', 0, 'an empty packet')
    if (packet[0] === PASS_THROUGH) return this.#terms(packet, 1, undefined, true)
    if (packet[0] !== VERSION) throw new ErlPacketError('ERR_ERL_PACKET', 0, `a packet starting with ${packet[0]} (pass-through is 112, a distribution header 131)`)
    if (packet.length < 2) throw new ErlPacketError('ERR_ERL_PACKET', 1, 'a packet that ends after 131')
    const kind = packet[1]
    if (kind === DIST_HEADER) {
      const { atoms, offset } = this.#header(packet, 2)
      return this.#terms(packet, offset, atoms, false)
    }
    if (kind === DIST_FRAG_HEADER || kind === DIST_FRAG_CONT) return this.#fragment(packet, kind)
    throw new ErlPacketError('ERR_ERL_PACKET', 1, `an unknown distribution header ${kind} (68, 69 or 70)`)
  }

  #fragment (packet: Buffer, kind: number): DistMessage | undefined {
    if (packet.length < 18) throw new ErlPacketError('ERR_ERL_FRAGMENT', packet.length, `a fragment header of ${packet.length} bytes (sequence and fragment ids need 18)`)
    const seq = packet.readBigUInt64BE(2)
    const frag = packet.readBigUInt64BE(10)
    if (frag === 0n) throw new ErlPacketError('ERR_ERL_FRAGMENT', 10, `fragment id 0 in sequence ${seq} (the last fragment is 1)`)
    let p: Pending | undefined
    let data: Buffer
    if (kind === DIST_FRAG_HEADER) {
      if (this.#pending.has(seq)) throw new ErlPacketError('ERR_ERL_FRAGMENT', 2, `a second DIST_FRAG_HEADER for sequence ${seq}`)
      const { atoms, offset } = this.#header(packet, 18)
      data = packet.subarray(offset)
      if (frag === 1n) return this.#terms(data, 0, atoms, false)
      if (this.#pending.size >= this.#maxFragmented) throw new ErlPacketError('ERR_ERL_FRAGMENT', 2, `more than ${this.#maxFragmented} fragmented messages in flight`)
      p = { next: frag - 1n, atoms, parts: [], size: 0 }
    } else {
      p = this.#pending.get(seq)
      if (p === undefined) throw new ErlPacketError('ERR_ERL_FRAGMENT', 2, `DIST_FRAG_CONT for sequence ${seq}, which has no DIST_FRAG_HEADER`)
      if (frag !== p.next) throw new ErlPacketError('ERR_ERL_FRAGMENT', 10, `fragment ${frag} of sequence ${seq} where ${p.next} was next`)
      p.next--
      data = packet.subarray(18)
    }
    p.size += data.length
    if (p.size > this.#maxMessage) {
      this.#pending.delete(seq)
      throw new ErlPacketError('ERR_ERL_FRAGMENT', 2, `a fragmented message of more than ${this.#maxMessage} bytes (maxMessage)`)
    }
    p.parts.push(Buffer.from(data))
    if (kind === DIST_FRAG_HEADER) this.#pending.set(seq, p)
    if (kind === DIST_FRAG_HEADER || frag !== 1n) return undefined
    this.#pending.delete(seq)
    return this.#terms(Buffer.concat(p.parts), 0, p.atoms, false)
  }

  /** A normal distribution header from `at` (after 131 68, or a fragment's ids): the message's atoms, where its terms start. */
  #header (buf: Buffer, at: number): { atoms: Atom[], offset: number } {
    let pos = at
    const need = (n: number, what: string): void => {
      if (pos + n > buf.length) throw new ErlPacketError('ERR_ERL_PACKET', pos, `the distribution header ends inside ${what}`)
    }
    need(1, 'NumberOfAtomCacheRefs')
    const n = buf[pos++]
    if (n === 0) return { atoms: [], offset: pos }
    const flagBytes = (n >> 1) + 1
    need(flagBytes, 'its flags')
    const flags = buf.subarray(pos, pos + flagBytes)
    pos += flagBytes
    const nibble = (i: number): number => (flags[i >> 1] >> ((i & 1) * 4)) & 0xf
    const longAtoms = (nibble(n) & 1) === 1
    const atoms: Atom[] = []
    for (let i = 0; i < n; i++) {
      const f = nibble(i)
      need(1, `atom cache reference ${i}`)
      const slot = (f & 7) * 256 + buf[pos++]
      if ((f & 8) !== 0) {
        need(longAtoms ? 2 : 1, `the length of atom ${i}`)
        const len = longAtoms ? buf.readUInt16BE(pos) : buf[pos]
        pos += longAtoms ? 2 : 1
        need(len, `the text of atom ${i}`)
        const text = buf.subarray(pos, pos + len)
        let name: string
        try { name = new TextDecoder('utf-8', { fatal: true }).decode(text) } catch { throw new ErlPacketError('ERR_ERL_PACKET', pos, `atom cache entry ${i} is not UTF-8`) }
        pos += len
        const a = Atom.of(name)
        this.#cache[slot] = a
        atoms.push(a)
      } else {
        const a = this.#cache[slot]
        if (a === undefined) throw new ErlPacketError('ERR_ERL_PACKET', pos - 1, `atom cache reference ${i} names slot ${slot}, which this link's cache does not hold`)
        atoms.push(a)
      }
    }
    return { atoms, offset: pos }
  }

  /** The control tuple at `at` and the message after it, if any. */
  #terms (buf: Buffer, at: number, atoms: Atom[] | undefined, versioned: boolean): DistMessage {
    const opts: DecodeOptions = { ...this.#decode, atomCache: atoms, versioned }
    let control: Term
    let offset: number
    try {
      ({ term: control, offset } = decodeAt(buf, at, opts))
    } catch (err) {
      throw wrap(err, 'the control message')
    }
    if (!(control instanceof Tuple) || control.size === 0) throw new ErlPacketError('ERR_ERL_CONTROL', at, 'the control message is not a tuple')
    if (offset === buf.length) return { control }
    let message: Term
    try {
      ({ term: message, offset } = decodeAt(buf, offset, opts))
    } catch (err) {
      throw wrap(err, 'the message')
    }
    if (offset !== buf.length) throw new ErlPacketError('ERR_ERL_PACKET', offset, `${buf.length - offset} bytes after the message`)
    return { control, message }
  }
}

function wrap (err: unknown, what: string): unknown {
  if (!(err instanceof EtfDecodeError)) return err
  return new ErlPacketError('ERR_ERL_PACKET', err.offset, `${what}: ${err.message}`, { cause: err })
}

/** A message's terms encoded (no version bytes), before the packet kind is chosen. */
export interface EncodedMessage {
  control: Buffer
  message: Buffer | undefined
}

function termBytes (t: Term): Buffer {
  const w = new TermWriter()
  encodeInto(w, t)
  return w.finish()
}

/** Encodes a control tuple and message (an EtfEncodeError for a value with no term), for `packetOf`. */
export function encodeMessage (control: Tuple, message?: Term): EncodedMessage {
  return { control: termBytes(control), message: message === undefined ? undefined : termBytes(message) }
}

/**
 * The packet for a link: with the atom cache negotiated (DFLAG_DIST_HDR_ATOM_CACHE)
 * erl accepts only packets with a distribution header, so one of no atom
 * cache references (131 68 0) and the terms without version bytes;
 * otherwise pass-through (112, each term with its version byte).
 */
export function packetOf (m: EncodedMessage, atomCacheHeader: boolean): Buffer {
  if (atomCacheHeader) return Buffer.concat([Buffer.from([VERSION, DIST_HEADER, 0]), m.control, ...(m.message === undefined ? [] : [m.message])])
  const v = Buffer.from([VERSION])
  return Buffer.concat([Buffer.from([PASS_THROUGH]), v, m.control, ...(m.message === undefined ? [] : [v, m.message])])
}

/** A pass-through packet (112): the control tuple and the message, each with its version byte. */
export function passThrough (control: Tuple, message?: Term): Buffer {
  return packetOf(encodeMessage(control, message), false)
}
