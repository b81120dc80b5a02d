export interface Codec {
    /**
     * msgpack bytes of `value`; throws FrameEncodeError for values msgpack
     * cannot hold (cycles, ...). With `headroom` (0..255), that many bytes are
     * left free at the front of the result for the caller's frame header, so a
     * frame needs no second buffer.
     */
    encode(value: unknown, headroom?: number): Buffer;
    /**
     * The value in `buf` (or in `buf[start..end)`), which must hold exactly one
     * msgpack value; throws FrameDecodeError otherwise. Decoded binaries are
     * copies, never views of `buf`.
     */
    decode(buf: Uint8Array, start?: number, end?: number): unknown;
    /**
     * Like `encode`, but the bytes are left in a scratch buffer shared by every
     * codec, valid only until the next encode: `buf[start..end)` of the
     * returned object (the same object every call). For callers that copy the
     * bytes at once (the connection's outbox), so a small message costs no
     * buffer of its own. Optional: a codec without it is used through `encode`.
     */
    encodeScratch?(value: unknown): EncodedScratch;
    /**
     * Writes `value` straight into `target[start..limit)` when it can (a short
     * array of small values, see "signals, by hand") and returns where it
     * ended; -1 when it cannot or it does not fit (nothing useful is written:
     * use encodeScratch or encode). Optional.
     */
    encodeInto?(value: unknown, target: Uint8Array, start: number, limit: number): number;
}
/** Where `encodeScratch` left its bytes. */
export interface EncodedScratch {
    buf: Buffer;
    start: number;
    end: number;
}
/** Any Error subclass; instances are rebuilt with `Object.create(prototype)`, so constructors never run. */
export type ErrorClass = abstract new (...args: never[]) => Error;
export interface CodecOptions {
    /**
     * Error classes to rebuild by `name` on decode, on top of the built-in
     * JavaScript errors and tekka's own. Others arrive as a plain Error whose
     * `name` is the sender's.
     */
    errorClasses?: readonly ErrorClass[];
}
export declare const EXT_PID = 16;
export declare const EXT_REF = 17;
export declare const EXT_ERROR = 18;
/** A codec with its own msgpackr instance; cheap enough to make one per connection. */
export declare function createCodec(options?: CodecOptions): Codec;
//# sourceMappingURL=codec.d.ts.map