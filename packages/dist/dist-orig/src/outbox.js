/**
 * A connection's outgoing queues. Control frames (signals, ticks) sit in
 * their own queue and every batch takes them first; data messages larger
 * than one fragment are cut into fragments only as batches are taken, so a
 * control frame queued during a multi-megabyte message waits for at most the
 * batch being written, never for the rest of the message.
 *
 * Messages come in as codec output with SMALL_HEADER_SIZE bytes of headroom
 * (`codec.encode(value, SMALL_HEADER_SIZE)`): a whole frame gets its header
 * written in place, so a small message costs one buffer from encode to
 * socket.
 *
 * `bytes` counts queued payload bytes (headers aside), the measure the
 * connection's back-pressure compares with its high- and low-water marks.
 */
import { Fifo } from './fifo.js';
import { firstFragmentHeader, KIND_CONTROL, KIND_DATA, KIND_FRAG_NEXT, SMALL_HEADER_SIZE, smallHeader, TICK_FRAME } from './wire.js';
export class Outbox {
    fragmentSize;
    /** Whole frames, header included; TICK_FRAME for a tick. */
    #control = new Fifo();
    #data = new Fifo();
    #bytes = 0;
    constructor(fragmentSize) {
        this.fragmentSize = fragmentSize;
    }
    get bytes() {
        return this.#bytes;
    }
    get empty() {
        return this.#control.length === 0 && this.#data.length === 0;
    }
    /** No data message (whole or in fragments) is waiting. */
    get dataEmpty() {
        return this.#data.length === 0;
    }
    pushTick() {
        this.#control.push(TICK_FRAME);
    }
    /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
    pushControl(buf) {
        this.#control.push(framed(KIND_CONTROL, buf));
        this.#bytes += buf.length - SMALL_HEADER_SIZE;
    }
    /** `buf`: an encoded message behind SMALL_HEADER_SIZE bytes of headroom. */
    pushData(buf) {
        const payload = buf.length - SMALL_HEADER_SIZE;
        this.#data.push(payload > this.fragmentSize ? { buf, offset: SMALL_HEADER_SIZE } : framed(KIND_DATA, buf));
        this.#bytes += payload;
    }
    /** Frames to write next, about `limit` bytes (control first), or undefined when empty. */
    take(limit) {
        const parts = [];
        let size = 0;
        let onlyTicks = true;
        for (let c = this.#control.shift(); c !== undefined; c = size < limit ? this.#control.shift() : undefined) {
            parts.push(c);
            size += c.length;
            if (c !== TICK_FRAME) {
                onlyTicks = false;
                this.#bytes -= c.length - SMALL_HEADER_SIZE;
            }
        }
        for (let d = this.#data.peek(); d !== undefined && size < limit; d = this.#data.peek()) {
            onlyTicks = false;
            if (d instanceof Uint8Array) {
                this.#data.shift();
                parts.push(d);
                size += d.length;
                this.#bytes -= d.length - SMALL_HEADER_SIZE;
                continue;
            }
            const total = d.buf.length - SMALL_HEADER_SIZE;
            const n = Math.min(this.fragmentSize, d.buf.length - d.offset);
            const head = d.offset === SMALL_HEADER_SIZE ? firstFragmentHeader(n, total) : smallHeader(KIND_FRAG_NEXT, n);
            parts.push(head, d.buf.subarray(d.offset, d.offset + n));
            size += head.length + n;
            this.#bytes -= n;
            d.offset += n;
            if (d.offset === d.buf.length)
                this.#data.shift();
        }
        return parts.length === 0 ? undefined : { parts, size, onlyTicks };
    }
    clear() {
        this.#control.clear();
        this.#data.clear();
        this.#bytes = 0;
    }
}
/** Writes the frame header into the headroom. */
function framed(kind, buf) {
    buf.writeUInt32BE(buf.length - 4, 0);
    buf[4] = kind;
    return buf;
}
/** Parts at least this big are written as they are; smaller neighbours are copied together. */
const COPY_LIMIT = 16 * 1024;
/**
 * The buffers to write for a batch: runs of small parts joined into one
 * buffer each (a thousand small frames become one write), large parts
 * (fragments, big messages) passed through uncopied.
 */
export function gather(parts) {
    const out = [];
    let run = [];
    let runSize = 0;
    const endRun = () => {
        if (run.length === 1)
            out.push(run[0]);
        else if (run.length > 1)
            out.push(Buffer.concat(run, runSize));
        run = [];
        runSize = 0;
    };
    for (const p of parts) {
        if (p.length >= COPY_LIMIT) {
            endRun();
            out.push(p);
        }
        else {
            run.push(p);
            runSize += p.length;
        }
    }
    endRun();
    return out;
}
