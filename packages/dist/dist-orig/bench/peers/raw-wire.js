import { Packr, RESERVE_START_SPACE } from 'msgpackr';
const HEADER = 5;
const KIND_DATA = 1;
/** Control frames of the raw peer, `[CTL, what, ...]`; everything else is `[tag, ...]` as in protocol.ts. */
export const CTL = 0;
export const SEND = 1;
export const RPC_CALL = 10;
export const RPC_REPLY = 11;
export class RawLink {
    #socket;
    #packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: true, mapsAsObjects: true, copyBuffers: true });
    #queue = [];
    #queuedBytes = 0;
    #flushing;
    #blocked = false;
    #drainWaiters = [];
    /** Bytes of a frame cut by the end of the last chunk. */
    #pending;
    #onMessage;
    constructor(socket, onMessage) {
        this.#socket = socket;
        this.#onMessage = onMessage;
        socket.setNoDelay(true);
        socket.on('data', this.#ingest);
        socket.on('drain', () => {
            this.#blocked = false;
            this.#schedule();
            this.#release();
        });
    }
    /** Bytes queued and not yet written. */
    get queuedBytes() {
        return this.#queuedBytes;
    }
    send(value) {
        const buf = this.#packr.pack(value, RESERVE_START_SPACE | HEADER);
        buf.writeUInt32BE(buf.length - 4, 0);
        buf[4] = KIND_DATA;
        this.#queue.push(buf);
        this.#queuedBytes += buf.length;
        this.#schedule();
    }
    /** Resolves once the queue is written and the socket takes more. */
    drained() {
        if (!this.#blocked && this.#queuedBytes === 0)
            return Promise.resolve();
        return new Promise((resolve) => { this.#drainWaiters.push(resolve); });
    }
    #schedule() {
        if (this.#flushing === undefined && !this.#blocked && this.#queue.length > 0)
            this.#flushing = setImmediate(this.#flush);
    }
    #flush = () => {
        this.#flushing = undefined;
        if (this.#blocked || this.#queue.length === 0)
            return;
        const q = this.#queue;
        const out = q.length === 1 ? q[0] : Buffer.concat(q, this.#queuedBytes);
        this.#queue = [];
        this.#queuedBytes = 0;
        if (!this.#socket.write(out))
            this.#blocked = true;
        else
            this.#release();
    };
    #release() {
        if (this.#blocked || this.#queuedBytes > 0 || this.#drainWaiters.length === 0)
            return;
        const ws = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const w of ws)
            w();
    }
    #ingest = (chunk) => {
        let buf = chunk;
        if (this.#pending !== undefined) {
            buf = Buffer.concat([this.#pending, chunk]);
            this.#pending = undefined;
        }
        let at = 0;
        while (buf.length - at >= 4) {
            const size = buf.readUInt32BE(at);
            if (buf.length - at - 4 < size)
                break;
            if (size > 0 && buf[at + 4] === KIND_DATA) {
                this.#onMessage(this.#packr.unpack(buf, { start: at + HEADER, end: at + 4 + size }));
            }
            at += 4 + size;
        }
        if (at < buf.length)
            this.#pending = buf.subarray(at);
    };
}
//# sourceMappingURL=raw-wire.js.map