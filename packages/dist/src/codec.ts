/**
 * The msgpack codec of frame bodies. Pids, refs and errors are msgpack
 * extensions so they arrive as the same kind of value that was sent: a Pid
 * compares equal to the original, an error keeps its name, message, stack,
 * `code`, `reason` and other own fields, and a known tekka error class comes
 * back as an instance of that class (`instanceof NoProcError` holds).
 *
 * Decoding never trusts its input: every failure, whatever msgpackr throws,
 * becomes a FrameDecodeError. Allocation is bounded by the input size (msgpackr
 * checks every length against the bytes left), and callers bound the input
 * with the frame size limit.
 *
 * Extension types used on the wire (msgpack application range):
 * 0x10 Pid `[node, id, creation]`, 0x11 Ref `[node, id, creation]`,
 * 0x12 Error `[name, message, stack, ownFields, cause]`.
 *
 * Pids and refs, on every SEND, are written by hand as an ext 8 whose data is
 * the msgpack array `[node, id, creation]` (node name bytes cached), and read
 * back from those bytes without the generic reader; a pid read is cached by
 * its bytes, so the same pid arriving again costs no allocation. The older
 * form (a fixext 1 tag followed by the array), still written for ids beyond
 * 32 bits, is read as well.
 *
 * Not preserved: Maps arrive as plain objects (msgpackr writes a Map as a
 * msgpack map before it consults extensions), so their keys must be strings
 * or numbers; use arrays of entries for maps keyed by pids. Sets, Dates,
 * RegExps, typed arrays, BigInts and `undefined` (in objects and arrays)
 * round-trip.
 */
import { Packr, addExtension, RESERVE_START_SPACE, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
import {
  Pid, Ref, TekkaError, NoProcError, NameTakenError, CallTimeoutError, CallExitError, BadArgError, ProcessExitedError
} from '@tekka/actors'
import {
  FrameDecodeError, FrameEncodeError, FrameTooLargeError, ProtocolError, HandshakeError, PortInUseError, DialError, BadNodeNameError
} from './errors.js'

export interface Codec {
  /**
   * msgpack bytes of `value`; throws FrameEncodeError for values msgpack
   * cannot hold (cycles, ...). With `headroom` (0..255), that many bytes are
   * left free at the front of the result for the caller's frame header, so a
   * frame needs no second buffer.
   */
  encode(value: unknown, headroom?: number): Buffer
  /**
   * The value in `buf` (or in `buf[start..end)`), which must hold exactly one
   * msgpack value; throws FrameDecodeError otherwise. Decoded binaries are
   * copies, never views of `buf`.
   */
  decode(buf: Uint8Array, start?: number, end?: number): unknown
  /**
   * Like `encode`, but the bytes are left in a scratch buffer shared by every
   * codec, valid only until the next encode: `buf[start..end)` of the
   * returned object (the same object every call). For callers that copy the
   * bytes at once (the connection's outbox), so encoding allocates nothing.
   * Optional: a codec without it is used through `encode`.
   */
  encodeScratch?(value: unknown): EncodedScratch
}

/** Where `encodeScratch` left its bytes. */
export interface EncodedScratch {
  buf: Buffer
  start: number
  end: number
}

/** Any Error subclass; instances are rebuilt with `Object.create(prototype)`, so constructors never run. */
export type ErrorClass = abstract new (...args: never[]) => Error

export interface CodecOptions {
  /**
   * Error classes to rebuild by `name` on decode, on top of the built-in
   * JavaScript errors and tekka's own. Others arrive as a plain Error whose
   * `name` is the sender's.
   */
  errorClasses?: readonly ErrorClass[]
}

export const EXT_PID = 0x10
export const EXT_REF = 0x11
export const EXT_ERROR = 0x12

/** Marks the Packr instances of this codec, so the Error extension leaves other msgpackr users alone. */
const TEKKA_PACKR = Symbol.for('tekka.dist.codec')

const NATIVE_ERRORS: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError
}

const TEKKA_ERRORS: readonly ErrorClass[] = [
  TekkaError, NoProcError, NameTakenError, CallTimeoutError, CallExitError, BadArgError, ProcessExitedError,
  FrameDecodeError, FrameEncodeError, FrameTooLargeError, ProtocolError, HandshakeError, PortInUseError, DialError, BadNodeNameError
]

/** Own fields that the error array carries in fixed slots (or that must never be copied over). */
const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause', '__proto__', '__proto_'])

type Allocate = (size: number) => { target: Uint8Array, position: number }
type PackFn = (value: unknown) => void

function isCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

type IdentifierClass<T> = new (node: string, id: number, creation: number) => T

/** The older form: a fixext 1 tag, then the array as a msgpack value. */
function readIdentifier<T> (what: string, Ctor: IdentifierClass<T>) {
  return (data: unknown): T => {
    if (!Array.isArray(data) || data.length !== 3 || typeof data[0] !== 'string' || !isCount(data[1]) || !isCount(data[2])) {
      throw new TypeError(`malformed ${what} extension`)
    }
    return new Ctor(data[0], data[1], data[2])
  }
}

// ---- pids and refs, by hand ----------------------------------------------------

/** msgpack str (header and UTF-8 bytes) of recent node names. */
const nodeStrings = new Map<string, Buffer>()
const NODE_STRINGS_MAX = 1024

function nodeString (node: string): Buffer {
  let b = nodeStrings.get(node)
  if (b === undefined) {
    const utf8 = Buffer.from(node, 'utf8')
    const n = utf8.length
    const head = n < 32 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : [0xda, n >> 8, n & 0xff]
    b = Buffer.concat([Buffer.from(head), utf8])
    if (nodeStrings.size >= NODE_STRINGS_MAX) nodeStrings.clear()
    nodeStrings.set(node, b)
  }
  return b
}

const isUint32 = (n: unknown): n is number => typeof n === 'number' && n >= 0 && n <= 0xffff_ffff && Number.isInteger(n)
const uintSize = (n: number): number => n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5

function writeUint (t: Uint8Array, p: number, n: number): number {
  if (n < 0x80) {
    t[p] = n
    return p + 1
  }
  if (n < 0x100) {
    t[p] = 0xcc; t[p + 1] = n
    return p + 2
  }
  if (n < 0x10000) {
    t[p] = 0xcd; t[p + 1] = n >>> 8; t[p + 2] = n & 0xff
    return p + 3
  }
  t[p] = 0xce; t[p + 1] = n >>> 24; t[p + 2] = (n >>> 16) & 0xff; t[p + 3] = (n >>> 8) & 0xff; t[p + 4] = n & 0xff
  return p + 5
}

interface Identifier { node: string, id: number, creation: number }

/** Writes a pid or ref as ext 8 `[node, id, creation]`; the older form when a field does not fit it. */
function packIdentifier (type: number) {
  return function (v: Identifier, allocate: Allocate, pack: PackFn): void {
    const { node, id, creation } = v
    const str = typeof node === 'string' && isUint32(id) && isUint32(creation) ? nodeString(node) : undefined
    const len = str === undefined ? 0 : 1 + str.length + uintSize(id) + uintSize(creation)
    if (str === undefined || len > 0xff) {
      const { target, position } = allocate(3)
      target[position] = 0xd4; target[position + 1] = type; target[position + 2] = 0
      pack([node, id, creation])
      return
    }
    const { target, position } = allocate(3 + len)
    let p = position
    target[p++] = 0xc7; target[p++] = len; target[p++] = type; target[p++] = 0x93
    for (let i = 0; i < str.length; i++) target[p++] = str[i]!
    writeUint(target, writeUint(target, p, id), creation)
  }
}

const utf8 = new TextDecoder()

/** Recently read node names, by their bytes: a pid's node is nearly always one of a few. */
const nodeNames: Array<{ bytes: Uint8Array, name: string } | undefined> = new Array(16)

function readNodeName (data: Uint8Array, start: number, end: number): string {
  const n = end - start
  const slot = (n + (n > 0 ? data[end - 1]! : 0)) & 15
  const hit = nodeNames[slot]
  if (hit !== undefined && hit.bytes.length === n) {
    let same = true
    for (let i = 0; i < n; i++) if (hit.bytes[i] !== data[start + i]) { same = false; break }
    if (same) return hit.name
  }
  const name = utf8.decode(data.subarray(start, end))
  nodeNames[slot] = { bytes: Uint8Array.prototype.slice.call(data, start, end), name }
  return name
}

/** Reads the ext data `[node, id, creation]`; throws TypeError when it is anything else. */
function parseIdentifier<T> (what: string, Ctor: IdentifierClass<T>, d: Uint8Array): T {
  const n = d.length
  const bad = (): never => { throw new TypeError(`malformed ${what} extension`) }
  if (n < 4 || d[0] !== 0x93) bad()
  let p = 1
  const h = d[p]!
  let len: number
  if ((h & 0xe0) === 0xa0) { len = h & 0x1f; p += 1 } else if (h === 0xd9) { len = d[p + 1]!; p += 2 } else if (h === 0xda) { len = (d[p + 1]! << 8) | d[p + 2]!; p += 3 } else return bad()
  if (p + len > n) bad()
  const node = readNodeName(d, p, p + len)
  p += len
  p = readUint(d, p)
  const id = uintRead
  p = readUint(d, p)
  if (p !== n) bad()
  return new Ctor(node, id, uintRead)
}

/** The value of the last readUint. */
let uintRead = 0

/** Reads a msgpack unsigned integer of up to 32 bits at `p` into uintRead; returns the position after it, or Infinity. */
function readUint (d: Uint8Array, p: number): number {
  const n = d.length
  const b = p < n ? d[p]! : -1
  if (b >= 0 && b < 0x80) { uintRead = b; return p + 1 }
  if (b === 0xcc && p + 1 < n) { uintRead = d[p + 1]!; return p + 2 }
  if (b === 0xcd && p + 2 < n) { uintRead = (d[p + 1]! << 8) | d[p + 2]!; return p + 3 }
  if (b === 0xce && p + 4 < n) { uintRead = d[p + 1]! * 0x100_0000 + ((d[p + 2]! << 16) | (d[p + 3]! << 8) | d[p + 4]!); return p + 5 }
  return Infinity
}

const PID_CACHE_SLOTS = 256
/** Pids read recently, by their ext data: the same pid arriving again is the same (immutable) object. */
const pidCache: Array<{ bytes: Uint8Array, pid: Pid } | undefined> = new Array(PID_CACHE_SLOTS)

function unpackPid (data: Uint8Array): Pid {
  const n = data.length
  let h = n
  for (let i = 0; i < n; i++) h = (h * 31 + data[i]!) | 0
  const slot = h & (PID_CACHE_SLOTS - 1)
  const hit = pidCache[slot]
  if (hit !== undefined && hit.bytes.length === n) {
    const b = hit.bytes
    let same = true
    for (let i = n - 1; i >= 0; i--) if (b[i] !== data[i]) { same = false; break }
    if (same) return hit.pid
  }
  const pid = parseIdentifier('pid', Pid, data)
  pidCache[slot] = { bytes: Uint8Array.prototype.slice.call(data), pid } // a copy: data is a view of the frame
  return pid
}
unpackPid.read = readIdentifier('pid', Pid)

function unpackRef (data: Uint8Array): Ref {
  return parseIdentifier('ref', Ref, data)
}
unpackRef.read = readIdentifier('ref', Ref)

/** The error registry consulted by the Error extension's reader, per decode call. */
let decodingClasses: Map<string, ErrorClass> | undefined

function packError (this: Record<symbol, unknown> & { moreTypes?: boolean }, err: Error, allocate: Allocate, pack: PackFn): void {
  if (this[TEKKA_PACKR] !== true) {
    // Not ours: write what msgpackr's built-in Error extension writes, so
    // registering ours (msgpackr's extension table is process-wide) changes
    // nothing for other msgpackr users.
    const { target, position } = allocate(this.moreTypes === true ? 3 : 0)
    if (this.moreTypes === true) { target[position] = 0xd4; target[position + 1] = 0x65; target[position + 2] = 0 }
    pack([err.name, err.message, (err as { cause?: unknown }).cause])
    return
  }
  const { target, position } = allocate(3)
  target[position] = 0xd4; target[position + 1] = EXT_ERROR; target[position + 2] = 0
  let fields: Record<string, unknown> | undefined
  for (const key of Object.keys(err)) {
    if (SKIPPED_FIELDS.has(key)) continue
    ;(fields ??= {})[key] = (err as unknown as Record<string, unknown>)[key]
  }
  const cause = Object.prototype.hasOwnProperty.call(err, 'cause') ? (err as { cause?: unknown }).cause : undefined
  pack([String(err.name), String(err.message), typeof err.stack === 'string' ? err.stack : undefined, fields, cause])
}

function define (obj: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable })
}

function readError (data: unknown): Error {
  if (!Array.isArray(data) || data.length !== 5 || typeof data[0] !== 'string' || typeof data[1] !== 'string') {
    throw new TypeError('malformed error extension')
  }
  const [name, message, stack, fields, cause] = data as [string, string, unknown, unknown, unknown]
  let err: Error
  const Known = decodingClasses?.get(name)
  const Native = Object.prototype.hasOwnProperty.call(NATIVE_ERRORS, name) ? NATIVE_ERRORS[name] : undefined
  if (Known !== undefined) {
    err = Object.create(Known.prototype) as Error
    define(err, 'message', message, false)
    if (cause !== undefined) define(err, 'cause', cause, false)
  } else {
    err = cause !== undefined ? new (Native ?? Error)(message, { cause }) : new (Native ?? Error)(message)
  }
  // TekkaError keeps `name` as an own enumerable field; others inherit it.
  define(err, 'name', name, Known !== undefined)
  define(err, 'stack', typeof stack === 'string' ? stack : `${name}: ${message}`, false)
  if (fields !== undefined && fields !== null) {
    if (typeof fields !== 'object' || Array.isArray(fields)) throw new TypeError('malformed error extension fields')
    for (const [key, value] of Object.entries(fields)) {
      if (!SKIPPED_FIELDS.has(key)) define(err, key, value, true)
    }
  }
  return err
}

let registered = false

/** Registers the extensions once, on first use (so importing this module has no side effect). */
function registerExtensions (): void {
  if (registered) return
  registered = true
  // msgpackr's typings know only the one-argument form of `pack`. An `unpack`
  // function with a `read` property serves both forms: msgpackr hands ext data
  // to the function, and the value after a fixext 1 tag to its `read`.
  addExtension({ Class: Pid, type: EXT_PID, pack: packIdentifier(EXT_PID) as unknown as (v: unknown) => Buffer, unpack: unpackPid })
  addExtension({ Class: Ref, type: EXT_REF, pack: packIdentifier(EXT_REF) as unknown as (v: unknown) => Buffer, unpack: unpackRef })
  // msgpackr's typings know only the one-argument form of `pack`.
  addExtension({ Class: Error, type: EXT_ERROR, pack: packError as unknown as (v: unknown) => Buffer, read: readError })
}

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A codec with its own msgpackr instance; cheap enough to make one per connection. */
export function createCodec (options: CodecOptions = {}): Codec {
  registerExtensions()
  const classes = new Map<string, ErrorClass>()
  for (const C of [...TEKKA_ERRORS, ...(options.errorClasses ?? [])]) classes.set(C.name, C)
  const packr = new Packr({
    useRecords: false,
    structuredClone: false,
    moreTypes: true,
    mapsAsObjects: true,
    // Decoded bytes must not alias the frame buffer, which belongs to the socket layer.
    copyBuffers: true,
    useBigIntExtension: true
  })
  ;(packr as unknown as Record<symbol, unknown>)[TEKKA_PACKR] = true
  const scratch: EncodedScratch = { buf: Buffer.alloc(0), start: 0, end: 0 }
  // One options object for every decode (msgpackr reads it before anything can re-enter).
  const range = { start: 0, end: 0 }
  return {
    encode (value: unknown, headroom = 0): Buffer {
      if (!Number.isInteger(headroom) || headroom < 0 || headroom > 255) throw new RangeError(`headroom must be an integer in 0..255, got ${headroom}`)
      try {
        return headroom === 0 ? packr.pack(value) : packr.pack(value, RESERVE_START_SPACE | headroom)
      } catch (err) {
        throw new FrameEncodeError(`cannot encode message: ${describe(err)}`, { cause: err })
      }
    },
    encodeScratch (value: unknown): EncodedScratch {
      let out: Buffer & { start?: number, end?: number }
      try {
        // REUSE: msgpackr's own buffer comes back (no view made); RESET: the next encode writes over it.
        out = packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE)
      } catch (err) {
        throw new FrameEncodeError(`cannot encode message: ${describe(err)}`, { cause: err })
      }
      scratch.buf = out
      scratch.start = out.start!
      scratch.end = out.end!
      return scratch
    },
    decode (buf: Uint8Array, start = 0, end = buf.length): unknown {
      const saved = decodingClasses
      decodingClasses = classes
      try {
        if (!(start >= 0 && start < end && end <= buf.length)) throw new RangeError(`bad range ${start}..${end} of ${buf.length} bytes`)
        range.start = start
        range.end = end
        return packr.unpack(buf, range)
      } catch (err) {
        throw new FrameDecodeError(`cannot decode frame body of ${end - start} bytes: ${describe(err)}`, { cause: err })
      } finally {
        decodingClasses = saved
      }
    }
  }
}
