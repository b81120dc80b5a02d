/**
 * term_to_binary: the values of ./terms.ts to the external term format, in
 * the forms today's Erlang/OTP writes (UTF-8 atoms, NEW_FLOAT_EXT,
 * NEW_PID_EXT, NEWER_REFERENCE_EXT, NEW_PORT_EXT / V4_PORT_EXT), each
 * integer in its smallest form. A value with no Erlang term is an
 * EtfEncodeError that says where in the term it was.
 *
 * ```ts
 * encode(tuple(atom('ok'), 1))                     // <<131,104,2,119,2,"ok",97,1>>
 * const w = new TermWriter(); w.u8(112); encodeInto(w, ctl); encodeInto(w, msg); w.finish()
 * ```
 */
import { deflateSync } from 'node:zlib'
import { EtfEncodeError } from './errors.js'
import { TAG, VERSION } from './tags.js'
import { Atom, BitBinary, ErlFloat, ErlPid, ErlPort, ErlRef, ImproperList, Tuple, type Term } from './terms.js'
import { DEFAULT_MAX_DEPTH, MAX_ATOM_CHARACTERS } from './decode.js'

export interface EncodeOptions {
  /** How deep terms may nest (also what stops a cyclic structure). Default 1000, as for decoding. */
  maxDepth?: number
  /** `encode` only: compress (tag 80, zlib) at this level (true: 6, Erlang's default), when that makes it smaller, as term_to_binary(T, [compressed]). */
  compressed?: boolean | number
}

/** A growing buffer that terms are written into (for a distribution message: its header, then its terms). */
export class TermWriter {
  #buf: Buffer
  #pos = 0

  constructor (initialSize = 256) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialSize))
  }

  /** Bytes written so far. */
  get length (): number { return this.#pos }

  #room (n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.#buf.copy(next, 0, 0, this.#pos)
    this.#buf = next
  }

  u8 (v: number): void {
    this.#room(1)
    this.#buf[this.#pos++] = v
  }

  u16 (v: number): void {
    this.#room(2)
    this.#buf.writeUInt16BE(v, this.#pos)
    this.#pos += 2
  }

  u32 (v: number): void {
    this.#room(4)
    this.#buf.writeUInt32BE(v, this.#pos)
    this.#pos += 4
  }

  i32 (v: number): void {
    this.#room(4)
    this.#buf.writeInt32BE(v, this.#pos)
    this.#pos += 4
  }

  f64 (v: number): void {
    this.#room(8)
    this.#buf.writeDoubleBE(v, this.#pos)
    this.#pos += 8
  }

  bytes (b: Uint8Array): void {
    this.#room(b.length)
    this.#buf.set(b, this.#pos)
    this.#pos += b.length
  }

  /** What was written: a view of the writer's buffer (copy it if the writer is used again). */
  finish (): Buffer {
    return this.#buf.subarray(0, this.#pos)
  }
}

const TWO_32 = 0x1_0000_0000

class Encoder {
  readonly w: TermWriter
  readonly maxDepth: number
  /** Where the encoder is in the term, for errors: indexes and field names. */
  readonly path: Array<string | number> = []

  constructor (w: TermWriter, opts: EncodeOptions) {
    this.w = w
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH
  }

  fail (what: string): never {
    const path = this.path.map((p) => typeof p === 'number' ? `[${p}]` : `.${p}`).join('')
    throw new EtfEncodeError(what, path)
  }

  nested (t: Term, at: string | number): void {
    this.path.push(at)
    if (this.path.length + 1 > this.maxDepth) this.fail(`terms nested deeper than ${this.maxDepth} (maxDepth; a cycle?)`)
    this.term(t)
    this.path.pop()
  }

  term (t: Term): void {
    const w = this.w
    switch (typeof t) {
      case 'number':
        if (Number.isSafeInteger(t) && !Object.is(t, -0)) return this.integer(t)
        if (!Number.isFinite(t)) this.fail(`the number ${t} (Erlang floats are finite)`)
        w.u8(TAG.NEW_FLOAT)
        w.f64(t)
        return
      case 'bigint': return this.integer(t)
      case 'boolean': return this.atom(t ? 'true' : 'false')
      case 'string': return this.string(t)
      case 'object': break
      default: return this.fail(`a value of type ${typeof t}`)
    }
    if (t === null) this.fail('null (use an atom, e.g. atom(\'undefined\'))')
    if (t instanceof Atom) return this.atom(t.name)
    if (t instanceof Uint8Array) {
      w.u8(TAG.BINARY)
      w.u32(t.length)
      w.bytes(t)
      return
    }
    if (Array.isArray(t)) return this.list(t as readonly Term[], undefined)
    if (t instanceof Tuple) {
      const n = t.elements.length
      if (n < 256) { w.u8(TAG.SMALL_TUPLE); w.u8(n) } else { w.u8(TAG.LARGE_TUPLE); w.u32(n) }
      for (let i = 0; i < n; i++) this.nested(t.elements[i], i)
      return
    }
    if (t instanceof Map) {
      w.u8(TAG.MAP)
      w.u32(t.size)
      let i = 0
      for (const [k, v] of t) {
        this.nested(k, `key${i}`)
        this.nested(v, `value${i}`)
        i++
      }
      return
    }
    if (t instanceof ErlFloat) {
      if (!Number.isFinite(t.value)) this.fail(`ErlFloat(${t.value}) (Erlang floats are finite)`)
      w.u8(TAG.NEW_FLOAT)
      w.f64(t.value)
      return
    }
    if (t instanceof ImproperList) return this.list(t.items, t.tail)
    if (t instanceof BitBinary) {
      w.u8(TAG.BIT_BINARY)
      w.u32(t.data.length)
      w.u8(t.bits)
      w.bytes(t.data.subarray(0, t.data.length - 1))
      w.u8(t.data[t.data.length - 1] & (0xff << (8 - t.bits)) & 0xff)
      return
    }
    if (t instanceof ErlPid) {
      w.u8(TAG.NEW_PID)
      this.atom(t.node.name)
      this.u32(t.id, 'id')
      this.u32(t.serial, 'serial')
      this.u32(t.creation, 'creation')
      return
    }
    if (t instanceof ErlRef) {
      if (t.ids.length < 1 || t.ids.length > 5) this.fail(`a reference of ${t.ids.length} words (1 to 5)`)
      w.u8(TAG.NEWER_REFERENCE)
      w.u16(t.ids.length)
      this.atom(t.node.name)
      this.u32(t.creation, 'creation')
      for (const id of t.ids) this.u32(id, 'ids')
      return
    }
    if (t instanceof ErlPort) {
      const id = t.id
      if (typeof id === 'number' ? !Number.isSafeInteger(id) || id < 0 : id < 0n || id >= 1n << 64n) this.fail(`a port id ${String(id)} (0 to 2^64 - 1)`)
      if (id < TWO_32) {
        w.u8(TAG.NEW_PORT)
        this.atom(t.node.name)
        w.u32(Number(id))
      } else {
        w.u8(TAG.V4_PORT)
        this.atom(t.node.name)
        const b = BigInt(id)
        w.u32(Number(b >> 32n))
        w.u32(Number(b & 0xffff_ffffn))
      }
      this.u32(t.creation, 'creation')
      return
    }
    const name = (t as object).constructor?.name ?? 'Object'
    this.fail(name === 'Object' ? 'a plain object (an Erlang map is a JavaScript Map)' : `a ${name}`)
  }

  u32 (v: number, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_32) this.fail(`${field} ${v} is not an unsigned 32-bit integer`)
    this.w.u32(v)
  }

  integer (v: number | bigint): void {
    const w = this.w
    if (typeof v === 'bigint') {
      if (v >= -0x8000_0000n && v <= 0x7fff_ffffn) return this.integer(Number(v))
    } else if (v >= 0 && v < 256) {
      w.u8(TAG.SMALL_INTEGER)
      w.u8(v)
      return
    } else if (v >= -0x8000_0000 && v <= 0x7fff_ffff) {
      w.u8(TAG.INTEGER)
      w.i32(v)
      return
    }
    let b = BigInt(v)
    const sign = b < 0n ? 1 : 0
    if (sign === 1) b = -b
    let hex = b.toString(16)
    if (hex.length % 2 === 1) hex = `0${hex}`
    const digits = Buffer.from(hex, 'hex').reverse()
    if (digits.length < 256) { w.u8(TAG.SMALL_BIG); w.u8(digits.length) } else { w.u8(TAG.LARGE_BIG); w.u32(digits.length) }
    w.u8(sign)
    w.bytes(digits)
  }

  atom (name: string): void {
    const bytes = Buffer.from(name, 'utf8')
    if (bytes.length > MAX_ATOM_CHARACTERS) {
      let chars = 0
      for (const _ of name) chars++
      if (chars > MAX_ATOM_CHARACTERS) this.fail(`an atom of ${chars} characters (at most ${MAX_ATOM_CHARACTERS})`)
    }
    if (bytes.length < 256) { this.w.u8(TAG.SMALL_ATOM_UTF8); this.w.u8(bytes.length) } else { this.w.u8(TAG.ATOM_UTF8); this.w.u16(bytes.length) }
    this.w.bytes(bytes)
  }

  /** A JavaScript string is the list of its code points: STRING_EXT when they are all bytes (and at most 65535), else LIST_EXT. */
  string (s: string): void {
    const w = this.w
    if (s.length === 0) { w.u8(TAG.NIL); return }
    const codes = Array.from(s, (c) => c.codePointAt(0) as number)
    if (codes.length <= 0xffff && codes.every((c) => c < 256)) {
      w.u8(TAG.STRING)
      w.u16(codes.length)
      w.bytes(Uint8Array.from(codes))
      return
    }
    w.u8(TAG.LIST)
    w.u32(codes.length)
    for (const c of codes) this.integer(c)
    w.u8(TAG.NIL)
  }

  list (items: readonly Term[], tail: Term | undefined): void {
    const w = this.w
    if (items.length === 0 && tail === undefined) { w.u8(TAG.NIL); return }
    w.u8(TAG.LIST)
    w.u32(items.length)
    for (let i = 0; i < items.length; i++) this.nested(items[i], i)
    if (tail === undefined) w.u8(TAG.NIL)
    else this.nested(tail, 'tail')
  }
}

/** Writes `term` (no version byte) into `w`: for a distribution message's terms. */
export function encodeInto (w: TermWriter, term: Term, opts: EncodeOptions = {}): void {
  const e = new Encoder(w, opts)
  try {
    e.term(term)
  } catch (err) {
    // A maxDepth set beyond what the stack holds.
    if (err instanceof RangeError && /call stack/i.test(err.message)) e.fail(`terms nested deeper than the stack holds (at depth ${e.path.length + 1}; lower maxDepth)`)
    throw err
  }
}

/** term_to_binary: `term` with the version byte 131 first, compressed if `opts.compressed` and that is smaller. */
export function encode (term: Term, opts: EncodeOptions = {}): Buffer {
  const w = new TermWriter()
  w.u8(VERSION)
  encodeInto(w, term, opts)
  const plain = w.finish()
  if (opts.compressed === undefined || opts.compressed === false) return plain
  const level = opts.compressed === true ? 6 : opts.compressed
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new EtfEncodeError(`compressed level ${level} (0 to 9)`, '')
  const body = plain.subarray(1)
  const packed = deflateSync(body, { level })
  if (packed.length + 5 >= body.length) return plain
  const out = Buffer.allocUnsafe(6 + packed.length)
  out[0] = VERSION
  out[1] = TAG.COMPRESSED
  out.writeUInt32BE(body.length, 2)
  packed.copy(out, 6)
  return out
}
