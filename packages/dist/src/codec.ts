/**
 * The msgpack codec of frame bodies. Pids, refs and errors are msgpack
 * extensions so they arrive as the same kind of value that was sent: a Pid
 * compares equal to the original, and an error keeps its class, name,
 * message, stack, `code` and other own fields (see codec-errors.ts: a tekka
 * error is rebuilt from its code, so `instanceof NoProcError` holds).
 *
 * Decoding never trusts its input: every failure, whatever msgpackr throws,
 * becomes a FrameDecodeError. Allocation is bounded by the input size (msgpackr
 * checks every length against the bytes left), and callers bound the input
 * with the frame size limit.
 *
 * Extension types used on the wire (msgpack application range):
 * 0x10 Pid `[node, id, creation]`, 0x11 Ref `[node, id, creation]`
 * (codec-ids.ts), 0x12 Error `[name, message, stack, ownFields, cause]`
 * (codec-errors.ts).
 *
 * Signals, short arrays of small values such as `[SEND, from, to, msg]`,
 * are written and read by hand, byte for byte as msgpackr would
 * (codec-signals.ts). Each codec has its own caches and scratch space, so
 * codecs (one per connection) share nothing but msgpackr's extension table
 * (codec-extensions.ts says why that one is process-wide).
 *
 * Not preserved: Maps arrive as plain objects (msgpackr writes a Map as a
 * msgpack map before it consults extensions), so their keys must be strings
 * or numbers; use arrays of entries for maps keyed by pids. Sets, Dates,
 * RegExps, typed arrays, BigInts and `undefined` (in objects and arrays)
 * round-trip.
 */
import { Packr, RESERVE_START_SPACE, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
import { FrameDecodeError, FrameEncodeError } from './errors.js'
import { NodeStrings } from './codec-ids.js'
import { MAX_SIGNAL_LENGTH, SignalCodec } from './codec-signals.js'
import { attachState, registerExtensions } from './codec-extensions.js'
import { refuseC1 } from './codec-c1.js'

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
   * array of small values, see codec-signals.ts) and returns where it
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

/** Scratch space of a codec for arrays written wholly by hand; larger ones go to msgpackr. */
const HAND_BUFFER_SIZE = 4096

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** A codec with its own msgpackr instance and caches; cheap enough to make one per connection. */
export function createCodec (): Codec {
  registerExtensions()
  const packr = new Packr({
    useRecords: false,
    structuredClone: false,
    moreTypes: true,
    mapsAsObjects: true,
    // Decoded bytes must not alias the frame buffer, which belongs to the socket layer.
    copyBuffers: true,
    useBigIntExtension: true
  })
  const nodeStrings = new NodeStrings()
  attachState(packr, { nodeStrings })
  const signals = new SignalCodec(nodeStrings)
  const scratch: EncodedScratch = { buf: Buffer.alloc(0), start: 0, end: 0 }
  /** Where arrays written wholly by hand go. */
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
      return signals.writeArray(value, target, start, limit)
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
            const q = signals.writeSimple(hand, p, arr![i], HAND_BUFFER_SIZE)
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
      try {
        if (!(start >= 0 && start < end && end <= buf.length)) throw new RangeError(`bad range ${start}..${end} of ${buf.length} bytes`)
        range.end = end
        const h = buf[start]
        if (h >= 0x91 && h <= 0x90 + MAX_SIGNAL_LENGTH && Buffer.isBuffer(buf)) {
          // A signal: its small elements by hand, msgpackr for the last one if it is not (else for all of it).
          const n = h & 0x0f
          const out = new Array<unknown>(n)
          let p = start + 1
          let i = 0
          for (; i < n - 1 && p < end && signals.readSimple(buf, p, end); i++) {
            out[i] = signals.value
            p = signals.end
          }
          if (i === n - 1 && p < end) {
            if (signals.readSimple(buf, p, end) && signals.end === end) {
              out[i] = signals.value
            } else {
              range.start = p
              out[i] = refuseC1(packr.unpack(buf, range), buf, p, end)
            }
            return out
          }
        }
        range.start = start
        return refuseC1(packr.unpack(buf, range), buf, start, end)
      } catch (err) {
        throw new FrameDecodeError(`cannot decode frame body of ${end - start} bytes: ${describe(err)}`, { cause: err })
      }
    }
  }
}
