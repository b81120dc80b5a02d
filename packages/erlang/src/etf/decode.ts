/**
 * binary_to_term: the external term format's bytes to the values of
 * ./terms.ts. Every way bytes can be wrong ends in an EtfDecodeError with
 * its code and the offset (never a RangeError from a Buffer read, never a
 * stack overflow): length fields are checked against the bytes left before
 * anything is allocated (a list claiming 2^32 elements fails at once), nesting
 * is bounded by `maxDepth`, a compressed term by `maxInflated`.
 *
 * ```ts
 * decode(Buffer.from([131, 100, 0, 2, 111, 107]))         // Atom.of('ok')
 * const { term, offset } = decodeAt(frame, 5, { atomCache })  // a term inside a distribution message
 * ```
 */
import { inflateSync } from 'node:zlib'
import { EtfDecodeError, type EtfDecodeErrorCode } from './errors.js'
import { TAG, VERSION } from './tags.js'
import { Atom, BitBinary, ErlFloat, ErlPid, ErlPort, ErlRef, ImproperList, Tuple, type Term } from './terms.js'

export interface DecodeOptions {
  /**
   * The atoms an ATOM_CACHE_REF (tag 82) names, by its index: the atom cache
   * references of the distribution header of the message being decoded, in
   * their order there (the connection keeps the cache and resolves the
   * header; see ./index.ts). Without it, an ATOM_CACHE_REF is an error.
   */
  atomCache?: ReadonlyArray<Atom | undefined>
  /** How deep terms may nest (a list in a tuple in a map is depth 3). Default 1000. */
  maxDepth?: number
  /** The largest size a compressed term (tag 80) may state for its inflated bytes. Default 64 MiB. */
  maxInflated?: number
  /** Floats as JavaScript numbers (default) or as ErlFloat, which `encode` writes back as floats. */
  floats?: 'number' | 'boxed'
  /** STRING_EXT (a list of bytes) as a JavaScript string of those characters (default) or as an array of numbers. */
  strings?: 'string' | 'list'
  /** Whether the term starts with the version byte 131 (decodeAt only; `decode` always expects it). Only then may it be compressed. Default false. */
  versioned?: boolean
}

export const DEFAULT_MAX_DEPTH = 1000
export const DEFAULT_MAX_INFLATED = 64 * 1024 * 1024

/** The largest number of characters in an atom (Erlang's limit). */
export const MAX_ATOM_CHARACTERS = 255

const TRUE = Atom.of('true')
const FALSE = Atom.of('false')
const utf8 = new TextDecoder('utf-8', { fatal: true })
const TWO_32 = 0x1_0000_0000

const TAG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TAG).map(([name, tag]) => [tag, `${name}_EXT`]))

class Decoder {
  readonly buf: Buffer
  pos: number
  /** The depth of the term being read: the outermost is 1. */
  depth = 1
  readonly maxDepth: number
  readonly opts: DecodeOptions
  /** Said after the offset of an error in an inflated term. */
  readonly within: string

  constructor (buf: Buffer, pos: number, opts: DecodeOptions, within = '') {
    this.buf = buf
    this.pos = pos
    this.opts = opts
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH
    this.within = within
  }

  fail (code: EtfDecodeErrorCode, what: string, at = this.pos, tag?: number): never {
    throw new EtfDecodeError(code, at, what + this.within, tag)
  }

  /** Fails unless `n` more bytes are there; `what` names the field for the message. */
  need (n: number, what: string, tag?: number): void {
    const left = this.buf.length - this.pos
    if (n > left) this.fail('ERR_ETF_TRUNCATED', `${what} needs ${n} bytes, ${left} left`, this.pos, tag)
  }

  u8 (what: string, tag?: number): number {
    this.need(1, what, tag)
    return this.buf[this.pos++]
  }

  u16 (what: string, tag?: number): number {
    this.need(2, what, tag)
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }

  u32 (what: string, tag?: number): number {
    this.need(4, what, tag)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  /** A count of things that each take at least `each` bytes: checked against the bytes left, so a huge count fails before anything is allocated. */
  count (n: number, each: number, what: string, tag: number, at: number): number {
    const left = this.buf.length - this.pos
    if (n * each > left) this.fail('ERR_ETF_TRUNCATED', `${TAG_NAMES[tag]} claims ${n} ${what}, only ${left} bytes left`, at, tag)
    return n
  }

  term (): Term {
    const at = this.pos
    const tag = this.u8('a tag')
    switch (tag) {
      case TAG.SMALL_INTEGER: return this.u8('SMALL_INTEGER_EXT', tag)
      case TAG.INTEGER: {
        this.need(4, 'INTEGER_EXT', tag)
        const v = this.buf.readInt32BE(this.pos)
        this.pos += 4
        return v
      }
      case TAG.SMALL_BIG: return this.big(this.u8('SMALL_BIG_EXT\'s length', tag), tag, at)
      case TAG.LARGE_BIG: return this.big(this.u32('LARGE_BIG_EXT\'s length', tag), tag, at)
      case TAG.NEW_FLOAT: {
        this.need(8, 'NEW_FLOAT_EXT', tag)
        const v = this.buf.readDoubleBE(this.pos)
        this.pos += 8
        return this.float(v, at, tag)
      }
      case TAG.FLOAT: {
        this.need(31, 'FLOAT_EXT', tag)
        const text = this.buf.toString('latin1', this.pos, this.pos + 31).replace(/\0+$/, '')
        this.pos += 31
        if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) this.fail('ERR_ETF_BAD_TERM', `FLOAT_EXT's text ${JSON.stringify(text)} is not a float`, at, tag)
        return this.float(Number(text), at, tag)
      }
      case TAG.ATOM:
      case TAG.SMALL_ATOM:
      case TAG.ATOM_UTF8:
      case TAG.SMALL_ATOM_UTF8:
      case TAG.ATOM_CACHE_REF: {
        const a = this.atomBody(tag, at)
        return a === TRUE ? true : a === FALSE ? false : a
      }
      case TAG.SMALL_TUPLE: return this.tuple(this.u8('SMALL_TUPLE_EXT\'s arity', tag), tag, at)
      case TAG.LARGE_TUPLE: return this.tuple(this.u32('LARGE_TUPLE_EXT\'s arity', tag), tag, at)
      case TAG.NIL: return []
      case TAG.STRING: return this.string(tag)
      case TAG.LIST: return this.list(at)
      case TAG.BINARY: {
        const n = this.u32('BINARY_EXT\'s length', tag)
        this.count(n, 1, 'bytes', tag, at)
        return this.bytes(n)
      }
      case TAG.BIT_BINARY: return this.bitBinary(tag, at)
      case TAG.MAP: return this.map(at)
      case TAG.NEW_PID:
      case TAG.PID: {
        const node = this.atom()
        const id = this.u32('the pid\'s id', tag)
        const serial = this.u32('the pid\'s serial', tag)
        const creation = tag === TAG.NEW_PID ? this.u32('the pid\'s creation', tag) : this.u8('the pid\'s creation', tag)
        return new ErlPid(node, id, serial, creation)
      }
      case TAG.NEW_PORT:
      case TAG.PORT:
      case TAG.V4_PORT: {
        const node = this.atom()
        let id: number | bigint
        if (tag === TAG.V4_PORT) {
          const hi = this.u32('the port\'s id', tag)
          const lo = this.u32('the port\'s id', tag)
          id = hi < 0x20_0000 ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo)
        } else {
          id = this.u32('the port\'s id', tag)
        }
        const creation = tag === TAG.PORT ? this.u8('the port\'s creation', tag) : this.u32('the port\'s creation', tag)
        return new ErlPort(node, id, creation)
      }
      case TAG.NEWER_REFERENCE:
      case TAG.NEW_REFERENCE: {
        const len = this.u16('the reference\'s length', tag)
        if (len < 1 || len > 5) this.fail('ERR_ETF_BAD_TERM', `a reference of ${len} words (1 to 5)`, at, tag)
        const node = this.atom()
        const creation = tag === TAG.NEWER_REFERENCE ? this.u32('the reference\'s creation', tag) : this.u8('the reference\'s creation', tag)
        this.need(4 * len, 'the reference\'s id', tag)
        const ids: number[] = []
        for (let i = 0; i < len; i++) ids.push(this.u32('the reference\'s id', tag))
        return new ErlRef(node, creation, ids)
      }
      case TAG.REFERENCE: {
        const node = this.atom()
        const id = this.u32('the reference\'s id', tag)
        const creation = this.u8('the reference\'s creation', tag)
        return new ErlRef(node, creation, [id])
      }
      case TAG.NEW_FUN:
      case TAG.EXPORT:
      case TAG.FUN:
        return this.fail('ERR_ETF_UNSUPPORTED', `funs are not supported (${TAG_NAMES[tag]}); send data, not closures`, at, tag)
      case TAG.LOCAL:
        return this.fail('ERR_ETF_UNSUPPORTED', 'LOCAL_EXT is not supported (its encoding is private to the node that made it)', at, tag)
      case TAG.COMPRESSED:
        return this.fail('ERR_ETF_BAD_TERM', 'a compressed term (tag 80) inside a term: only a whole term after the version byte may be compressed', at, tag)
      default:
        return this.fail('ERR_ETF_UNKNOWN_TAG', `unknown tag ${tag}`, at, tag)
    }
  }

  /** A term one level deeper. */
  nested (): Term {
    if (++this.depth > this.maxDepth) this.fail('ERR_ETF_DEPTH_LIMIT', `terms nested deeper than ${this.maxDepth} (maxDepth)`)
    const t = this.term()
    this.depth--
    return t
  }

  float (v: number, at: number, tag: number): Term {
    if (!Number.isFinite(v)) this.fail('ERR_ETF_BAD_TERM', `a float that is ${v} (Erlang has no NaN or infinity)`, at, tag)
    return this.opts.floats === 'boxed' ? new ErlFloat(v) : v
  }

  big (n: number, tag: number, at: number): number | bigint {
    // 1 is negative; so is any other non-zero byte, as Erlang reads it.
    const sign = this.u8(`${TAG_NAMES[tag]}'s sign`, tag) === 0 ? 0 : 1
    this.count(n, 1, 'digit bytes', tag, at)
    const digits = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    let v: number | bigint
    if (n <= 6) {
      let x = 0
      for (let i = n - 1; i >= 0; i--) x = x * 256 + digits[i]
      v = x
    } else {
      // Little-endian digits: reversed, they are the number's hex.
      const be = Buffer.from(digits).reverse()
      const b = BigInt(`0x${be.toString('hex')}`)
      v = b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b
    }
    if (sign === 1) v = typeof v === 'number' ? (v === 0 ? 0 : -v) : -v
    return v
  }

  /** An atom where the format wants one (a pid's node): an atom tag, read as an Atom even when it is true or false. */
  atom (): Atom {
    const at = this.pos
    const tag = this.u8('an atom\'s tag')
    if (tag !== TAG.ATOM && tag !== TAG.SMALL_ATOM && tag !== TAG.ATOM_UTF8 && tag !== TAG.SMALL_ATOM_UTF8 && tag !== TAG.ATOM_CACHE_REF) {
      this.fail('ERR_ETF_BAD_TERM', `expected an atom (a node name), got tag ${tag}`, at, tag)
    }
    return this.atomBody(tag, at)
  }

  atomBody (tag: number, at: number): Atom {
    if (tag === TAG.ATOM_CACHE_REF) {
      const index = this.u8('ATOM_CACHE_REF\'s index', tag)
      const cache = this.opts.atomCache
      if (cache === undefined) this.fail('ERR_ETF_ATOM_CACHE', `ATOM_CACHE_REF ${index} with no atom cache (only a distribution message with an atom cache header may use it)`, at, tag)
      const a = cache[index]
      if (a === undefined) this.fail('ERR_ETF_ATOM_CACHE', `ATOM_CACHE_REF ${index}: the distribution header has no atom at that index (it has ${cache.length})`, at, tag)
      return a
    }
    const small = tag === TAG.SMALL_ATOM || tag === TAG.SMALL_ATOM_UTF8
    const len = small ? this.u8('the atom\'s length', tag) : this.u16('the atom\'s length', tag)
    this.need(len, 'the atom', tag)
    const bytes = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    let name: string
    if (tag === TAG.ATOM_UTF8 || tag === TAG.SMALL_ATOM_UTF8) {
      try { name = utf8.decode(bytes) } catch { return this.fail('ERR_ETF_BAD_ATOM', 'an atom that is not valid UTF-8', at, tag) }
      if (len > MAX_ATOM_CHARACTERS) {
        let chars = 0
        for (const _ of name) chars++
        if (chars > MAX_ATOM_CHARACTERS) this.fail('ERR_ETF_BAD_ATOM', `an atom of ${chars} characters (at most ${MAX_ATOM_CHARACTERS})`, at, tag)
      }
    } else {
      if (len > MAX_ATOM_CHARACTERS) this.fail('ERR_ETF_BAD_ATOM', `an atom of ${len} characters (at most ${MAX_ATOM_CHARACTERS})`, at, tag)
      name = bytes.toString('latin1')
    }
    return Atom.of(name)
  }

  tuple (n: number, tag: number, at: number): Tuple {
    this.count(n, 1, 'elements', tag, at)
    const elements: Term[] = []
    for (let i = 0; i < n; i++) elements.push(this.nested())
    return new Tuple(elements)
  }

  string (tag: number): Term {
    const n = this.u16('STRING_EXT\'s length', tag)
    this.need(n, 'STRING_EXT', tag)
    const bytes = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return this.opts.strings === 'list' ? Array.from(bytes) : bytes.toString('latin1')
  }

  bytes (n: number): Buffer {
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n))
    this.pos += n
    return b
  }

  bitBinary (tag: number, at: number): Term {
    const n = this.u32('BIT_BINARY_EXT\'s length', tag)
    const bits = this.u8('BIT_BINARY_EXT\'s bit count', tag)
    if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) this.fail('ERR_ETF_BAD_TERM', `BIT_BINARY_EXT of ${n} bytes with ${bits} bits in its last (1 to 8; 0 when empty)`, at, tag)
    this.count(n, 1, 'bytes', tag, at)
    const data = this.bytes(n)
    if (bits === 8 || n === 0) return data
    data[n - 1] &= (0xff << (8 - bits)) & 0xff
    return new BitBinary(data, bits)
  }

  /**
   * LIST_EXT: its elements, then its tail. A tail that is itself a list
   * (Erlang never writes one, but `[1 | [2]]` is `[1, 2]`) is read on in this
   * loop, not nested, so a long chain of them cannot exhaust the stack.
   */
  list (at: number): Term {
    const items: Term[] = []
    for (;;) {
      const n = this.u32('LIST_EXT\'s length', TAG.LIST)
      this.count(n, 1, 'elements', TAG.LIST, at)
      for (let i = 0; i < n; i++) items.push(this.nested())
      const tailAt = this.pos
      const next = this.u8('the list\'s tail')
      if (next === TAG.NIL) return items
      if (next === TAG.LIST) { at = tailAt; continue }
      if (next === TAG.STRING) {
        const s = this.string(next)
        for (const c of s as string | number[]) items.push(typeof c === 'string' ? c.charCodeAt(0) : c)
        return items
      }
      this.pos = tailAt
      const tail = this.nested()
      if (Array.isArray(tail)) return tail.length === 0 ? items : [...items, ...tail as Term[]]
      if (tail instanceof ImproperList) return items.length === 0 ? tail : new ImproperList([...items, ...tail.items], tail.tail)
      return items.length === 0 ? tail : new ImproperList(items, tail)
    }
  }

  /**
   * MAP_EXT. A key that is a float and one that is an integer of the same
   * value (`#{1 => a, 1.0 => b}`) are two keys in Erlang but the same number
   * here: the float one is then an ErlFloat (so are -0.0 next to 0.0). Any
   * other key twice is refused.
   */
  map (at: number): Map<Term, Term> {
    const n = this.u32('MAP_EXT\'s arity', TAG.MAP)
    this.count(n, 2, 'pairs', TAG.MAP, at)
    const m = new Map<Term, Term>()
    /** The number keys that were floats, as they were (-0 or 0). */
    let floatKeys: Map<number, number> | undefined
    for (let i = 0; i < n; i++) {
      const keyAt = this.pos
      const keyTag = this.buf[keyAt]
      let k = this.nested()
      const v = this.nested()
      if (typeof k === 'number' && (keyTag === TAG.NEW_FLOAT || keyTag === TAG.FLOAT)) {
        const had = m.has(k)
        const hadFloat = floatKeys?.get(k)
        if (!had) (floatKeys ??= new Map()).set(k, k)
        else if (hadFloat === undefined || !Object.is(hadFloat, k)) k = new ErlFloat(k)
      } else if (typeof k === 'number' && floatKeys?.has(k) === true) {
        // An integer key where a float of its value is: that one becomes an ErlFloat.
        const f = floatKeys.get(k) as number
        const fv = m.get(k) as Term
        m.delete(k)
        floatKeys.delete(k)
        m.set(new ErlFloat(f), fv)
      }
      m.set(k, v)
      if (m.size !== i + 1) this.fail('ERR_ETF_BAD_TERM', 'a map with a key twice', keyAt, TAG.MAP)
    }
    return m
  }
}

function asBuffer (buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
}

function isStackOverflow (err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message)
}

/** Runs `read` on `d`, turning a stack overflow (a maxDepth set beyond what the stack holds) into the depth error. */
function guarded<T> (d: Decoder, read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (isStackOverflow(err)) d.fail('ERR_ETF_DEPTH_LIMIT', `terms nested deeper than the stack holds (at depth ${d.depth}; lower maxDepth)`)
    throw err
  }
}

/** After the version byte: a compressed term (tag 80) or a plain one. */
function versionedTerm (d: Decoder): Term {
  if (d.buf[d.pos] !== TAG.COMPRESSED) return d.term()
  const at = d.pos++
  const size = d.u32('the compressed term\'s size', TAG.COMPRESSED)
  const max = d.opts.maxInflated ?? DEFAULT_MAX_INFLATED
  if (size > max) d.fail('ERR_ETF_SIZE_LIMIT', `a compressed term that states ${size} bytes inflated (maxInflated is ${max})`, at, TAG.COMPRESSED)
  let inflated: Buffer
  try {
    inflated = inflateSync(d.buf.subarray(d.pos), { maxOutputLength: Math.max(1, size) })
  } catch (err) {
    return d.fail('ERR_ETF_BAD_TERM', `a compressed term that does not inflate to its stated ${size} bytes (${(err as Error).message})`, at, TAG.COMPRESSED)
  }
  if (inflated.length !== size) d.fail('ERR_ETF_BAD_TERM', `a compressed term that inflates to ${inflated.length} bytes, not its stated ${size}`, at, TAG.COMPRESSED)
  d.pos = d.buf.length
  const inner = new Decoder(inflated, 0, d.opts, ` of the term inflated from the compressed term at byte ${at}`)
  const t = guarded(inner, () => inner.term())
  if (inner.pos !== inflated.length) inner.fail('ERR_ETF_TRAILING_BYTES', `${inflated.length - inner.pos} bytes after the term`)
  return t
}

/**
 * The term at `offset` of `buf` and the offset just after it (a term inside
 * a distribution message: no version byte unless `opts.versioned`).
 */
export function decodeAt (buf: Uint8Array, offset: number, opts: DecodeOptions = {}): { term: Term, offset: number } {
  const d = new Decoder(asBuffer(buf), offset, opts)
  const term = guarded(d, () => {
    if (opts.versioned === true) {
      const v = d.u8('the version byte')
      if (v !== VERSION) d.fail('ERR_ETF_BAD_VERSION', `version byte ${v}, not ${VERSION}`, d.pos - 1)
      return versionedTerm(d)
    }
    return d.term()
  })
  return { term, offset: d.pos }
}

/** binary_to_term: the one term in `buf` (version byte 131 first, nothing after the term). */
export function decode (buf: Uint8Array, opts: DecodeOptions = {}): Term {
  const { term, offset } = decodeAt(buf, 0, { ...opts, versioned: true })
  if (offset !== buf.length) throw new EtfDecodeError('ERR_ETF_TRAILING_BYTES', offset, `${buf.length - offset} bytes after the term`)
  return term
}
