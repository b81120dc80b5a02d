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
import { Packr, addExtension, RESERVE_START_SPACE } from 'msgpackr';
import { Pid, Ref, TekkaError, NoProcError, NameTakenError, CallTimeoutError, CallExitError, BadArgError, ProcessExitedError } from '@tekka/actors';
import { FrameDecodeError, FrameEncodeError, FrameTooLargeError, ProtocolError, HandshakeError, PortInUseError, DialError, BadNodeNameError } from './errors.js';
export const EXT_PID = 0x10;
export const EXT_REF = 0x11;
export const EXT_ERROR = 0x12;
/** Marks the Packr instances of this codec, so the Error extension leaves other msgpackr users alone. */
const TEKKA_PACKR = Symbol.for('tekka.dist.codec');
const NATIVE_ERRORS = {
    Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError
};
const TEKKA_ERRORS = [
    TekkaError, NoProcError, NameTakenError, CallTimeoutError, CallExitError, BadArgError, ProcessExitedError,
    FrameDecodeError, FrameEncodeError, FrameTooLargeError, ProtocolError, HandshakeError, PortInUseError, DialError, BadNodeNameError
];
/** Own fields that the error array carries in fixed slots (or that must never be copied over). */
const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause', '__proto__', '__proto_']);
function isCount(v) {
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function readIdentifier(what, Ctor) {
    return (data) => {
        if (!Array.isArray(data) || data.length !== 3 || typeof data[0] !== 'string' || !isCount(data[1]) || !isCount(data[2])) {
            throw new TypeError(`malformed ${what} extension`);
        }
        return new Ctor(data[0], data[1], data[2]);
    };
}
/** The error registry consulted by the Error extension's reader, per decode call. */
let decodingClasses;
function packError(err, allocate, pack) {
    if (this[TEKKA_PACKR] !== true) {
        // Not ours: write what msgpackr's built-in Error extension writes, so
        // registering ours (msgpackr's extension table is process-wide) changes
        // nothing for other msgpackr users.
        const { target, position } = allocate(this.moreTypes === true ? 3 : 0);
        if (this.moreTypes === true) {
            target[position] = 0xd4;
            target[position + 1] = 0x65;
            target[position + 2] = 0;
        }
        pack([err.name, err.message, err.cause]);
        return;
    }
    const { target, position } = allocate(3);
    target[position] = 0xd4;
    target[position + 1] = EXT_ERROR;
    target[position + 2] = 0;
    let fields;
    for (const key of Object.keys(err)) {
        if (SKIPPED_FIELDS.has(key))
            continue;
        (fields ??= {})[key] = err[key];
    }
    const cause = Object.prototype.hasOwnProperty.call(err, 'cause') ? err.cause : undefined;
    pack([String(err.name), String(err.message), typeof err.stack === 'string' ? err.stack : undefined, fields, cause]);
}
function define(obj, key, value, enumerable) {
    Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable });
}
function readError(data) {
    if (!Array.isArray(data) || data.length !== 5 || typeof data[0] !== 'string' || typeof data[1] !== 'string') {
        throw new TypeError('malformed error extension');
    }
    const [name, message, stack, fields, cause] = data;
    let err;
    const Known = decodingClasses?.get(name);
    const Native = Object.prototype.hasOwnProperty.call(NATIVE_ERRORS, name) ? NATIVE_ERRORS[name] : undefined;
    if (Known !== undefined) {
        err = Object.create(Known.prototype);
        define(err, 'message', message, false);
        if (cause !== undefined)
            define(err, 'cause', cause, false);
    }
    else {
        err = cause !== undefined ? new (Native ?? Error)(message, { cause }) : new (Native ?? Error)(message);
    }
    // TekkaError keeps `name` as an own enumerable field; others inherit it.
    define(err, 'name', name, Known !== undefined);
    define(err, 'stack', typeof stack === 'string' ? stack : `${name}: ${message}`, false);
    if (fields !== undefined && fields !== null) {
        if (typeof fields !== 'object' || Array.isArray(fields))
            throw new TypeError('malformed error extension fields');
        for (const [key, value] of Object.entries(fields)) {
            if (!SKIPPED_FIELDS.has(key))
                define(err, key, value, true);
        }
    }
    return err;
}
let registered = false;
/** Registers the extensions once, on first use (so importing this module has no side effect). */
function registerExtensions() {
    if (registered)
        return;
    registered = true;
    addExtension({ Class: Pid, type: EXT_PID, write: (p) => [p.node, p.id, p.creation], read: readIdentifier('pid', Pid) });
    addExtension({ Class: Ref, type: EXT_REF, write: (r) => [r.node, r.id, r.creation], read: readIdentifier('ref', Ref) });
    // msgpackr's typings know only the one-argument form of `pack`.
    addExtension({ Class: Error, type: EXT_ERROR, pack: packError, read: readError });
}
function describe(err) {
    return err instanceof Error ? err.message : String(err);
}
/** A codec with its own msgpackr instance; cheap enough to make one per connection. */
export function createCodec(options = {}) {
    registerExtensions();
    const classes = new Map();
    for (const C of [...TEKKA_ERRORS, ...(options.errorClasses ?? [])])
        classes.set(C.name, C);
    const packr = new Packr({
        useRecords: false,
        structuredClone: false,
        moreTypes: true,
        mapsAsObjects: true,
        // Decoded bytes must not alias the frame buffer, which belongs to the socket layer.
        copyBuffers: true,
        useBigIntExtension: true
    });
    packr[TEKKA_PACKR] = true;
    return {
        encode(value, headroom = 0) {
            if (!Number.isInteger(headroom) || headroom < 0 || headroom > 255)
                throw new RangeError(`headroom must be an integer in 0..255, got ${headroom}`);
            try {
                return headroom === 0 ? packr.pack(value) : packr.pack(value, RESERVE_START_SPACE | headroom);
            }
            catch (err) {
                throw new FrameEncodeError(`cannot encode message: ${describe(err)}`, { cause: err });
            }
        },
        decode(buf, start = 0, end = buf.length) {
            const saved = decodingClasses;
            decodingClasses = classes;
            try {
                if (!(start >= 0 && start < end && end <= buf.length))
                    throw new RangeError(`bad range ${start}..${end} of ${buf.length} bytes`);
                return packr.unpack(buf, { start, end });
            }
            catch (err) {
                throw new FrameDecodeError(`cannot decode frame body of ${end - start} bytes: ${describe(err)}`, { cause: err });
            }
            finally {
                decodingClasses = saved;
            }
        }
    };
}
