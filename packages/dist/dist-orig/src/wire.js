/**
 * Frame kinds of an established connection: the first byte of every
 * non-empty frame body. A zero-length frame is a tick.
 *
 * ```
 * DATA       [1] msgpack                  a whole message
 * CONTROL    [2] msgpack                  a whole message from the priority queue
 * FRAG_FIRST [3] u32 total, bytes         first fragment of a large data message
 * FRAG_NEXT  [4] bytes                    following fragments, in order
 * ```
 *
 * Only data messages are fragmented and the data queue is FIFO, so at most
 * one fragmented message is in flight per direction and fragments need no
 * message id; control frames may come between them, data frames may not.
 */
export const KIND_DATA = 1;
export const KIND_CONTROL = 2;
export const KIND_FRAG_FIRST = 3;
export const KIND_FRAG_NEXT = 4;
/** Length prefix plus kind byte. */
export const SMALL_HEADER_SIZE = 5;
/** Length prefix, kind byte and the u32 total of FRAG_FIRST. */
export const FIRST_FRAGMENT_HEADER_SIZE = 9;
/** The 5-byte header of a DATA, CONTROL or FRAG_NEXT frame whose payload is `size` bytes. */
export function smallHeader(kind, size) {
    const h = Buffer.allocUnsafe(SMALL_HEADER_SIZE);
    h.writeUInt32BE(size + 1, 0);
    h[4] = kind;
    return h;
}
/** The 9-byte header of FRAG_FIRST carrying `size` bytes of a `total`-byte message. */
export function firstFragmentHeader(size, total) {
    const h = Buffer.allocUnsafe(FIRST_FRAGMENT_HEADER_SIZE);
    h.writeUInt32BE(size + 5, 0);
    h[4] = KIND_FRAG_FIRST;
    h.writeUInt32BE(total, 5);
    return h;
}
/** A tick: a zero-length frame. */
export const TICK_FRAME = Buffer.alloc(4);
//# sourceMappingURL=wire.js.map