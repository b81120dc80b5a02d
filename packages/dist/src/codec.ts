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
 * Not preserved: Maps arrive as plain objects (msgpackr writes a Map as a
 * msgpack map before it consults extensions), so their keys must be strings
 * or numbers; use arrays of entries for maps keyed by pids. Sets, Dates,
 * RegExps, typed arrays, BigInts and `undefined` (in objects and arrays)
 * round-trip.
 */
import { Packr, addExtension, RESERVE_START_SPACE } from 'msgpackr'
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
  addExtension({ Class: Pid, type: EXT_PID, write: (p: Pid) => [p.node, p.id, p.creation], read: readIdentifier('pid', Pid) })
  addExtension({ Class: Ref, type: EXT_REF, write: (r: Ref) => [r.node, r.id, r.creation], read: readIdentifier('ref', Ref) })
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
  return {
    encode (value: unknown, headroom = 0): Buffer {
      if (!Number.isInteger(headroom) || headroom < 0 || headroom > 255) throw new RangeError(`headroom must be an integer in 0..255, got ${headroom}`)
      try {
        return headroom === 0 ? packr.pack(value) : packr.pack(value, RESERVE_START_SPACE | headroom)
      } catch (err) {
        throw new FrameEncodeError(`cannot encode message: ${describe(err)}`, { cause: err })
      }
    },
    decode (buf: Uint8Array, start = 0, end = buf.length): unknown {
      const saved = decodingClasses
      decodingClasses = classes
      try {
        if (!(start >= 0 && start < end && end <= buf.length)) throw new RangeError(`bad range ${start}..${end} of ${buf.length} bytes`)
        return packr.unpack(buf, { start, end })
      } catch (err) {
        throw new FrameDecodeError(`cannot decode frame body of ${end - start} bytes: ${describe(err)}`, { cause: err })
      } finally {
        decodingClasses = saved
      }
    }
  }
}
