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
 * Signals, short arrays of small values such as `[SEND, from, to, msg]`,
 * are written and read by hand, byte for byte as msgpackr would (see
 * "signals, by hand" below): at a million messages a second, msgpackr's
 * per-call setup, extension look-ups and JavaScript string decoding were
 * most of the cost of a remote send. A pid read again is the same object.
 *
 * Not preserved: Maps arrive as plain objects (msgpackr writes a Map as a
 * msgpack map before it consults extensions), so their keys must be strings
 * or numbers; use arrays of entries for maps keyed by pids. Sets, Dates,
 * RegExps, typed arrays, BigInts and `undefined` (in objects and arrays)
 * round-trip.
 */
import { C1, Packr, addExtension, RESERVE_START_SPACE, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
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
   * Like `encode`, but the bytes are left in a scratch buffer, valid only
   * until the next encode by any codec: `buf[start..end)` of the returned
   * object (the same object every call). For callers that copy the
   * bytes at once (the connection's outbox), so a small message costs no
   * buffer of its own. Optional: a codec without it is used through `encode`.
   */
  encodeScratch?(value: unknown): EncodedScratch
  /**
   * Writes `value` straight into `target[start..limit)` when it can (a short
   * array of small values, see "signals, by hand") and returns where it
   * ended; -1 when it cannot or it does not fit (nothing useful is written:
   * use encodeScratch or encode). Optional.
   */
  encodeInto?(value: unknown, target: Uint8Array, start: number, limit: number): number
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

function readIdentifier<T> (what: string, Ctor: new (node: string, id: number, creation: number) => T) {
  return (data: unknown): T => {
    if (!Array.isArray(data) || data.length !== 3 || typeof data[0] !== 'string' || !isCount(data[1]) || !isCount(data[2])) {
      throw new TypeError(`malformed ${what} extension`)
    }
    return new Ctor(data[0], data[1], data[2])
  }
}

// ---- writing pids and refs -------------------------------------------------------
// Every SEND carries one or two pids, so they are written by hand: the same
// bytes msgpackr writes for `[node, id, creation]` behind the fixext 1 tag,
// with the node name's msgpack string cached rather than encoded each time.

/** msgpack str (header and UTF-8 bytes) of recent node names. */
const nodeStrings = new Map<string, Buffer>()
const NODE_STRINGS_MAX = 1024
/** The node names last written, most recent first, and their msgpack strings: a linear look-up beats the Map. */
const recentNodes: string[] = ['', '', '', '']
const recentStrings: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)]

function nodeString (node: string): Buffer {
  for (let i = 0; i < 4; i++) if (recentNodes[i] === node) return recentStrings[i]!
  let b = nodeStrings.get(node)
  if (b === undefined) {
    const utf8 = Buffer.from(node, 'utf8')
    const n = utf8.length
    const head = n < 0x20 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : [0xda, n >> 8, n & 0xff]
    b = Buffer.concat([Buffer.from(head), utf8])
    if (nodeStrings.size >= NODE_STRINGS_MAX) nodeStrings.clear()
    nodeStrings.set(node, b)
  }
  recentNodes.pop(); recentNodes.unshift(node)
  recentStrings.pop(); recentStrings.unshift(b)
  return b
}

const isUint32 = (n: unknown): n is number => typeof n === 'number' && n >= 0 && n <= 0xffff_ffff && Number.isInteger(n)
/** Bytes msgpackr writes for a uint32 (fixint below 0x80, as with useRecords off). */
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

/** Bytes of a pid or ref written by hand, or -1 when its fields are not the usual ones (msgpackr writes it then). */
function identifierSize (v: Identifier): number {
  const { node, id, creation } = v
  if (typeof node !== 'string' || !isUint32(id) || !isUint32(creation)) return -1
  return 4 + nodeString(node).length + uintSize(id) + uintSize(creation)
}

/** Writes a pid or ref (identifierSize >= 0) at `p`; returns the position after it. */
function writeIdentifier (t: Uint8Array, p: number, type: number, v: Identifier): number {
  const str = nodeString(v.node)
  t[p++] = 0xd4; t[p++] = type; t[p++] = 0; t[p++] = 0x93
  return writeIdentifierRest(t, p, str, v)
}

function writeIdentifierRest (t: Uint8Array, p: number, str: Buffer, v: Identifier): number {
  for (let i = 0; i < str.length; i++) t[p++] = str[i]!
  return writeUint(t, writeUint(t, p, v.id), v.creation)
}

/** Writes a pid or ref as fixext 1 tag + `[node, id, creation]`, by hand when the fields are the usual ones. */
function packIdentifier (type: number) {
  return function (v: Identifier, allocate: Allocate, pack: PackFn): void {
    const size = identifierSize(v)
    if (size < 0) {
      const { target, position } = allocate(3)
      target[position] = 0xd4; target[position + 1] = type; target[position + 2] = 0
      pack([v.node, v.id, v.creation])
      return
    }
    const { target, position } = allocate(size)
    writeIdentifier(target, position, type, v)
  }
}

// ---- signals, by hand ---------------------------------------------------------
// Signals are short arrays of small values (`[SEND, from, to, msg]`, the
// message often a string or a number). Such an array, when every element is
// null, a boolean, an unsigned 32-bit integer, an ASCII string or a pid or ref,
// is written and read here, byte for byte as msgpackr writes it, without
// msgpackr's per-call setup, its walk through the extension table for each
// pid, or its JavaScript UTF-8 decoder (an ASCII string is one native
// latin1 slice). When only the last element is something else, the rest is
// still done here and msgpackr does that one. Anything else is msgpackr's.

/** Scratch space of a codec for arrays written wholly by hand; larger ones go to msgpackr. */
const HAND_BUFFER_SIZE = 4096
/** Elements of an array written or read by hand, at most (fixarray). */
const MAX_SIGNAL_LENGTH = 15
/** Strings longer than this are left to msgpackr (its encoder then uses Buffer#utf8Write). */
const MAX_HAND_STRING = 0xff

/**
 * Writes `v` at `p` if it is a simple value and fits before `limit`;
 * returns the position after it, or -1 (msgpackr must write it).
 */
function writeSimple (t: Uint8Array, p: number, v: unknown, limit: number): number {
  if (p + 5 > limit) return -1
  if (v === null) { t[p] = 0xc0; return p + 1 }
  if (v === true) { t[p] = 0xc3; return p + 1 }
  if (v === false) { t[p] = 0xc2; return p + 1 }
  if (typeof v === 'number') return isUint32(v) ? writeUint(t, p, v) : -1
  if (typeof v === 'string') {
    const n = v.length
    if (n > MAX_HAND_STRING || p + 2 + n > limit) return -1
    if (n < 0x20) t[p++] = 0xa0 | n
    else { t[p++] = 0xd9; t[p++] = n }
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i)
      if (c >= 0x80) return -1
      t[p++] = c
    }
    return p
  }
  if (v instanceof Pid || v instanceof Ref) {
    const { node, id, creation } = v
    if (typeof node !== 'string' || !isUint32(id) || !isUint32(creation)) return -1
    const str = nodeString(node)
    if (p + 14 + str.length > limit) return -1
    t[p++] = 0xd4; t[p++] = v instanceof Pid ? EXT_PID : EXT_REF; t[p++] = 0; t[p++] = 0x93
    return writeIdentifierRest(t, p, str, v)
  }
  return -1
}

/** Node names read recently, by their bytes: a pid's node is nearly always one of a few. */
const nodeNames: Array<{ bytes: Uint8Array, name: string } | undefined> = new Array(32)

/** The node name in `d[start..end)` (ASCII), the same string as last time for the same bytes. */
function readNodeName (d: Buffer, start: number, end: number): string | undefined {
  const n = end - start
  const slot = (n * 7 + (n > 0 ? d[start]! + d[end - 1]! * 3 : 0)) & 31
  const hit = nodeNames[slot]
  if (hit !== undefined && hit.bytes.length === n) {
    const b = hit.bytes
    let i = n - 1
    while (i >= 0 && b[i] === d[start + i]) i--
    if (i < 0) return hit.name
  }
  const name = readAscii(d, start, end)
  // A copy: `d` is (a view of) the socket's chunk.
  if (name !== undefined) nodeNames[slot] = { bytes: Uint8Array.prototype.slice.call(d, start, end), name }
  return name
}

/** The string in `d[start..end)` if it is ASCII (as UTF-8 it then reads the same), else undefined. */
function readAscii (d: Buffer, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if (d[i]! >= 0x80) return undefined
  if (end - start < 8) {
    let s = ''
    for (let i = start; i < end; i++) s += String.fromCharCode(d[i]!)
    return s
  }
  return (d as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
}

/** Where readSimple left off, and what it read. */
let readEnd = 0
let readValue: unknown

/** Reads a simple value at `p` (before `end`) into readValue / readEnd; false when msgpackr must read it. */
function readSimple (d: Buffer, p: number, end: number): boolean {
  const b = d[p]!
  if (b < 0x80) { readValue = b; readEnd = p + 1; return true }
  if (b === 0xc0 || b === 0xc2 || b === 0xc3) { readValue = b === 0xc0 ? null : b === 0xc3; readEnd = p + 1; return true }
  if (b === 0xcc || b === 0xcd || b === 0xce) {
    const q = readUint(d, p, end)
    if (q < 0) return false
    readValue = uintRead
    readEnd = q
    return true
  }
  if ((b & 0xe0) === 0xa0 || b === 0xd9) {
    const len = b === 0xd9 ? (p + 1 < end ? d[p + 1]! : end) : b & 0x1f
    const q = p + (b === 0xd9 ? 2 : 1)
    if (q + len > end) return false
    const str = readAscii(d, q, q + len)
    if (str === undefined) return false
    readValue = str
    readEnd = q + len
    return true
  }
  // fixext 1 pid / ref tag, then `[node (ASCII fixstr or str 8), id, creation]`
  if (b !== 0xd4 || p + 5 >= end || d[p + 2] !== 0 || d[p + 3] !== 0x93) return false
  const type = d[p + 1]
  if (type !== EXT_PID && type !== EXT_REF) return false
  let q = p + 4
  const h = d[q]!
  let len: number
  if ((h & 0xe0) === 0xa0) { len = h & 0x1f; q += 1 } else if (h === 0xd9) { len = d[q + 1]!; q += 2 } else return false
  if (q + len > end) return false
  const node = readNodeName(d, q, q + len)
  if (node === undefined) return false
  q = readUint(d, q + len, end)
  if (q < 0) return false
  const id = uintRead
  q = readUint(d, q, end)
  if (q < 0) return false
  readValue = type === EXT_PID ? cachedPid(node, id, uintRead) : new Ref(node, id, uintRead)
  readEnd = q
  return true
}

const PID_CACHE_SLOTS = 256
/**
 * Pids read recently. A pid is an immutable value, so the same pid read
 * again (every message to a process names it) can be the same object, and
 * costs no allocation. `node` is interned by readNodeName, so comparing it is
 * comparing pointers.
 */
const pidCache: Array<Pid | undefined> = new Array(PID_CACHE_SLOTS)

function cachedPid (node: string, id: number, creation: number): Pid {
  const slot = (id ^ creation ^ node.length) & (PID_CACHE_SLOTS - 1)
  const hit = pidCache[slot]
  if (hit !== undefined && hit.id === id && hit.creation === creation && hit.node === node) return hit
  const pid = new Pid(node, id, creation)
  pidCache[slot] = pid
  return pid
}

/** The value of the last readUint. */
let uintRead = 0

/** Reads a msgpack unsigned integer of up to 32 bits at `p` into uintRead; returns the position after it, or -1. */
function readUint (d: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1
  const b = d[p]!
  if (b < 0x80) { uintRead = b; return p + 1 }
  if (b === 0xcc && p + 1 < end) { uintRead = d[p + 1]!; return p + 2 }
  if (b === 0xcd && p + 2 < end) { uintRead = (d[p + 1]! << 8) | d[p + 2]!; return p + 3 }
  if (b === 0xce && p + 4 < end) { uintRead = d[p + 1]! * 0x100_0000 + ((d[p + 2]! << 16) | (d[p + 3]! << 8) | d[p + 4]!); return p + 5 }
  return -1
}

/**
 * 0xc1 is "never used" in MessagePack; msgpackr decodes it to a placeholder
 * object instead of failing. Only a body holding that byte somewhere (rare;
 * found by a native search) is walked for one.
 */
function checked (value: unknown, buf: Uint8Array, start: number, end: number): unknown {
  if (holdsC1Byte(buf, start, end) && holdsC1(value, 0)) throw new RangeError('byte 0xc1, which MessagePack never uses')
  return value
}

/** Bodies at most this long are searched by a plain loop (no view to allocate, no native call). */
const SHORT_BODY = 256

/**
 * Whether byte 0xc1 occurs in `buf[start..end)`. Bodies are decoded where
 * they lie in a socket chunk and indexOf has no end bound, so a long body is
 * searched through a view of just that body: never to the chunk's end once
 * per frame.
 */
function holdsC1Byte (buf: Uint8Array, start: number, end: number): boolean {
  if (end - start <= SHORT_BODY) {
    for (let i = start; i < end; i++) if (buf[i] === 0xc1) return true
    return false
  }
  return buf.subarray(start, end).indexOf(0xc1) !== -1
}

/** Whether a decoded value holds msgpackr's placeholder for the unused byte 0xc1. */
function holdsC1 (v: unknown, depth: number): boolean {
  if (v === C1) return true
  if (typeof v !== 'object' || v === null || depth > 200 || ArrayBuffer.isView(v)) return false
  if (Array.isArray(v)) {
    for (const x of v) if (holdsC1(x, depth + 1)) return true
    return false
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (holdsC1(k, depth + 1) || holdsC1(x, depth + 1)) return true
    return false
  }
  if (v instanceof Set) {
    for (const x of v) if (holdsC1(x, depth + 1)) return true
    return false
  }
  for (const k in v) if (holdsC1((v as Record<string, unknown>)[k], depth + 1)) return true
  return false
}

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
  // msgpackr's typings know only the one-argument form of `pack`.
  addExtension({ Class: Pid, type: EXT_PID, pack: packIdentifier(EXT_PID) as unknown as (v: unknown) => Buffer, read: readIdentifier('pid', Pid) })
  addExtension({ Class: Ref, type: EXT_REF, pack: packIdentifier(EXT_REF) as unknown as (v: unknown) => Buffer, read: readIdentifier('ref', Ref) })
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
  /** Where arrays written wholly by hand go (see "signals, by hand"). */
  const hand = Buffer.allocUnsafe(HAND_BUFFER_SIZE)
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
    encodeInto (value: unknown, target: Uint8Array, start: number, limit: number): number {
      if (!Array.isArray(value) || value.constructor !== Array) return -1
      const arr = value as unknown[]
      const n = arr.length
      if (n < 1 || n > MAX_SIGNAL_LENGTH || start >= limit) return -1
      target[start] = 0x90 | n
      let p = start + 1
      for (let i = 0; i < n && p >= 0; i++) p = writeSimple(target, p, arr[i], limit)
      return p
    },
    encodeScratch (value: unknown): EncodedScratch {
      // REUSE: msgpackr's own buffer comes back (no view made); RESET: the next encode writes over it.
      const mode = REUSE_BUFFER_MODE | RESET_BUFFER_MODE
      let out: Buffer & { start?: number, end?: number }
      try {
        const arr = Array.isArray(value) && value.constructor === Array ? value as unknown[] : undefined
        const n = arr !== undefined ? arr.length : 0
        let p = 1
        let i = 0
        if (n >= 1 && n <= MAX_SIGNAL_LENGTH) {
          hand[0] = 0x90 | n
          for (; i < n; i++) {
            const q = writeSimple(hand, p, arr![i], HAND_BUFFER_SIZE)
            if (q < 0) break
            p = q
          }
        }
        if (n > 0 && i === n) {
          // All by hand, in this codec's own scratch buffer.
          scratch.buf = hand
          scratch.start = 0
          scratch.end = p
          return scratch
        }
        if (n > 0 && i === n - 1 && p <= 0xff) {
          // msgpackr writes the last element behind `p` bytes left free, for the rest.
          out = packr.pack(arr![n - 1], mode | RESERVE_START_SPACE | p)
          const at = out.start!
          for (let k = 0; k < p; k++) out[at + k] = hand[k]!
        } else {
          out = packr.pack(value, mode)
        }
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
        range.end = end
        const h = buf[start]!
        if (h >= 0x91 && h <= 0x90 + MAX_SIGNAL_LENGTH && Buffer.isBuffer(buf)) {
          // A signal: its small elements by hand, msgpackr for the last one if it is not (else for all of it).
          const n = h & 0x0f
          const out = new Array<unknown>(n)
          let p = start + 1
          let i = 0
          for (; i < n - 1 && p < end && readSimple(buf, p, end); i++) {
            out[i] = readValue
            p = readEnd
          }
          if (i === n - 1 && p < end) {
            if (readSimple(buf, p, end) && readEnd === end) {
              out[i] = readValue
            } else {
              range.start = p
              out[i] = checked(packr.unpack(buf, range), buf, p, end)
            }
            return out
          }
        }
        range.start = start
        return checked(packr.unpack(buf, range), buf, start, end)
      } catch (err) {
        throw new FrameDecodeError(`cannot decode frame body of ${end - start} bytes: ${describe(err)}`, { cause: err })
      } finally {
        decodingClasses = saved
      }
    }
  }
}
