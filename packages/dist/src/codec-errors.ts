/**
 * Errors on the wire: msgpack extension 0x12, `[name, message, stack,
 * ownFields, cause]`. An error arrives as the same kind of error that was
 * sent, rebuilt by one generic rule rather than a list of classes:
 *
 * - its own `code` has a class in the error registry (`errorClassOf`, where
 *   every tekka package, plugin and app registers its table with
 *   `registerErrors`): an instance of that class (its prototype; no
 *   constructor runs), so `instanceof LockTimeoutError` and `err.code` hold
 *   on the receiving node;
 * - else its name is a JavaScript error (TypeError, RangeError, ...): that;
 * - else a plain Error that keeps the sender's `name`.
 *
 * Message, stack, cause and every other own field (`code`, `reason`,
 * `timeout`, ...) are kept in each case.
 */
import { errorClassOf } from '@tekka/actors'
import type { Allocate, PackFn } from './codec-ids.js'

export const EXT_ERROR = 0x12

/** msgpackr's own Error extension type, written for Packr instances that are not a codec's. */
const MSGPACKR_ERROR = 0x65

const NATIVE_ERRORS: Record<string, new (message?: string, options?: { cause?: unknown }) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError
}

/** Own fields that the error array carries in fixed slots (or that must never be copied over). */
const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause', '__proto__', '__proto_'])

/** The `pack` of the Error extension; `ours` tells a codec's Packr (msgpackr's `this`) from another msgpackr user's. */
export function packError (ours: (packr: unknown) => boolean) {
  return function (this: { moreTypes?: boolean }, err: Error, allocate: Allocate, pack: PackFn): void {
    if (!ours(this)) {
      // Not ours: write what msgpackr's built-in Error extension writes, so
      // registering ours (msgpackr's extension table is process-wide) changes
      // nothing for other msgpackr users.
      const { target, position } = allocate(this.moreTypes === true ? 3 : 0)
      if (this.moreTypes === true) { target[position] = 0xd4; target[position + 1] = MSGPACKR_ERROR; target[position + 2] = 0 }
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
}

function define (obj: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable })
}

/** The `read` of the Error extension. Throws TypeError for a malformed one (the codec makes it a FrameDecodeError). */
export function readError (data: unknown): Error {
  if (!Array.isArray(data) || data.length !== 5 || typeof data[0] !== 'string' || typeof data[1] !== 'string') {
    throw new TypeError('malformed error extension')
  }
  const [name, message, stack, fields, cause] = data as [string, string, unknown, unknown, unknown]
  if (fields !== undefined && fields !== null && (typeof fields !== 'object' || Array.isArray(fields))) {
    throw new TypeError('malformed error extension fields')
  }
  const own = (fields ?? undefined) as Record<string, unknown> | undefined
  const code = own !== undefined && Object.prototype.hasOwnProperty.call(own, 'code') ? own.code : undefined
  const Registered = typeof code === 'string' ? errorClassOf(code) : undefined
  let err: Error
  if (Registered !== undefined) {
    err = Object.create(Registered.prototype) as Error
    define(err, 'message', message, false)
    if (cause !== undefined) define(err, 'cause', cause, false)
    // A TekkaError's `name` is an own enumerable field (set in its constructor).
    define(err, 'name', name, true)
  } else {
    const Native = Object.prototype.hasOwnProperty.call(NATIVE_ERRORS, name) ? NATIVE_ERRORS[name] : Error
    err = cause !== undefined ? new Native(message, { cause }) : new Native(message)
    define(err, 'name', name, false)
  }
  define(err, 'stack', typeof stack === 'string' ? stack : `${name}: ${message}`, false)
  if (own !== undefined) {
    for (const [key, value] of Object.entries(own)) {
      if (!SKIPPED_FIELDS.has(key)) define(err, key, value, true)
    }
  }
  return err
}
