export interface Batch {
    parts: Buffer[];
    /** Bytes on the wire. */
    size: number;
    /** Nothing but ticks: does not count as traffic for the tick logic. */
    onlyTicks: boolean;
}
export declare class Outbox {
    #private;
    readonly fragmentSize: number;
    constructor(fragmentSize: number);
    get bytes(): number;
    get empty(): boolean;
    /** No data message (whole or in fragments) is waiting. */
    get dataEmpty(): boolean;
    pushTick(): void;
    /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
    pushControl(buf: Buffer): void;
    /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
    pushData(buf: Buffer): void;
    /** Queues the encoded message `src[start..end)` (copied now) as a control frame. */
    appendControl(src: Buffer, start: number, end: number): void;
    /** Queues the encoded message `src[start..end)` (copied now) as data, in fragments when larger than one. */
    appendData(src: Buffer, start: number, end: number): void;
    /**
     * Queues a small message written in place: `write(buf, start, limit)` puts
     * its bytes in `buf[start..limit)` and returns where they end, or -1 when
     * it cannot (not a value it writes, or no room). False when the message
     * was not queued. `maxPayload` bounds the message.
     */
    appendWith(control: boolean, maxPayload: number, write: (buf: Buffer, start: number, limit: number) => number): boolean;
    /**
     * The batch last taken has been written (the socket is done with its
     * buffers): its runs that are closed and wholly taken are kept for reuse.
     */
    written(): void;
    /** Frames to write next, about `limit` bytes (control first), or undefined when empty. */
    take(limit: number): Batch | undefined;
    clear(): void;
}
/**
 * The buffers to write for a batch: runs of small parts joined into one
 * buffer each (a thousand small frames become one write), large parts
 * (fragments, big messages) passed through uncopied.
 */
export declare function gather(parts: readonly Buffer[]): Buffer[];
//# sourceMappingURL=outbox.d.ts.map