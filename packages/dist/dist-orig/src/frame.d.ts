export declare const FRAME_HEADER_SIZE = 4;
/** Default ceiling for one frame, and for one reassembled message. */
export declare const DEFAULT_MAX_FRAME_SIZE: number;
/** Header and body of one frame in a single new buffer. `body` may come in parts, written back to back. */
export declare function encodeFrame(body: Uint8Array | readonly Uint8Array[], maxFrameSize?: number): Buffer;
/** Just the 4-byte length prefix, for writers that send the body separately. */
export declare function frameHeader(size: number): Buffer;
export interface FrameDecoderOptions {
    /** Largest body accepted, in bytes (default 64 MiB). */
    maxFrameSize?: number;
}
/**
 * Streaming decoder: `feed` chunks as they arrive, take complete bodies with
 * `next` (or both at once with `push`). After it has thrown, the stream is out
 * of sync and the decoder keeps throwing.
 */
export declare class FrameDecoder {
    #private;
    readonly maxFrameSize: number;
    constructor(options?: FrameDecoderOptions);
    /** Bytes fed and not yet returned as (part of) a frame. */
    get buffered(): number;
    feed(chunk: Uint8Array): void;
    /** The next complete frame body, or undefined until more bytes arrive. Throws FrameTooLargeError. */
    next(): Buffer | undefined;
    /**
     * Calls `onFrame(buf, start, end)` with each complete frame body in turn
     * until none is left or `onFrame` returns false. A body that lies in one
     * fed chunk is passed in place (`buf` is that chunk: no view is made, which
     * matters at a million frames a second); one split across chunks is joined
     * into a new buffer first. Throws FrameTooLargeError as `next` does.
     */
    drain(onFrame: (buf: Buffer, start: number, end: number) => boolean): void;
    /** Feeds `chunk` and returns every frame it completes. */
    push(chunk: Uint8Array): Buffer[];
    /**
     * Everything fed and not returned as a frame, as raw stream bytes (a
     * header already read is put back), leaving the decoder empty. Used to hand
     * the bytes past the handshake to the connection.
     */
    takeRest(): Buffer;
}
//# sourceMappingURL=frame.d.ts.map