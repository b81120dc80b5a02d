/**
 * Raw peers for the bad-input tests: a TCP socket to a node that the test
 * writes arbitrary bytes to, before the handshake (`rawSocket`) or after a
 * real one (`RawPeer.open`, then `write` whatever bytes). Both read what the
 * node sends and tell when, and by whom, the socket was closed.
 *
 * ```ts
 * const peer = await RawPeer.open({ host, port, name: 'fuzz1@127.0.0.1', cookie, expectedName: 'n1@127.0.0.1' })
 * peer.write(Buffer.from([0, 0, 0, 2, 0x7f, 0]))
 * assert.is(await peer.waitClosed(3000), 'closed')
 * ```
 */
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { Pid, Ref, silentLogger } from '@tekka/actors';
import { createCodec } from '../../src/codec.js';
import { FrameDecoder } from '../../src/frame.js';
import { clientHandshake } from '../../src/handshake.js';
import { dial } from '../../src/transport.js';
import { KIND_CONTROL, KIND_DATA, smallHeader } from '../../src/wire.js';
/** A frame as Connection writes it: length prefix, kind byte, msgpack body. */
export function frameOf(codec, value, kind = KIND_DATA) {
    const body = codec.encode(value);
    return Buffer.concat([smallHeader(kind, body.length), body]);
}
/** A plain TCP connection to host:port, errors swallowed (a reset is a way of closing). */
export async function rawSocket(host, port, timeoutMs = 3000) {
    const socket = connect({ host, port });
    socket.on('error', () => { });
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)); }, timeoutMs);
        socket.once('connect', () => { clearTimeout(timer); resolve(); });
        socket.once('close', () => { clearTimeout(timer); reject(new Error(`connection to ${host}:${port} closed during setup`)); });
    });
    const chunks = [];
    socket.on('data', (c) => { chunks.push(c); });
    let closed = false;
    const closedAt = new Promise((resolve) => { socket.once('close', () => { closed = true; resolve(Date.now()); }); });
    return { socket, localPort: socket.localPort, received: () => Buffer.concat(chunks), closedAt, isClosed: () => closed };
}
/** Resolves with 'closed' when `closed` settles within `ms`, else 'timeout'. */
export async function closedWithin(closed, ms) {
    let timer;
    try {
        return await Promise.race([
            closed.then(() => 'closed'),
            new Promise((resolve) => { timer = setTimeout(() => { resolve('timeout'); }, ms); })
        ]);
    }
    finally {
        clearTimeout(timer);
    }
}
/**
 * An authenticated connection whose stream after the handshake is ours to
 * write raw. What the node sends is decoded (DATA and CONTROL frames) for
 * `waitFor`; anything it cannot decode is counted, not thrown.
 */
export class RawPeer {
    name;
    creation;
    socket;
    localPort;
    codec = createCodec();
    /** Resolves once the socket has closed. */
    closed;
    /** Frames in, and frames in that could not be decoded. */
    framesIn = 0;
    undecodable = 0;
    #closed = false;
    #endedByUs = false;
    #decoder = new FrameDecoder({ maxFrameSize: 64 * 1024 * 1024 });
    #waiters = new Set();
    static async open(opts) {
        const timeout = opts.timeout ?? 5000;
        const socket = await dial({ host: opts.host, port: opts.port, timeout });
        const creation = opts.creation ?? randomInt(1, 2 ** 32 - 1);
        const { rest } = await clientHandshake(socket, {
            localName: opts.name,
            expectedName: opts.expectedName,
            cookie: opts.cookie,
            creation,
            cluster: opts.cluster ?? 'tekka',
            hidden: opts.hidden ?? false,
            timeout,
            logger: silentLogger()
        });
        return new RawPeer(socket, opts.name, creation, rest);
    }
    constructor(socket, name, creation, rest) {
        this.socket = socket;
        this.name = name;
        this.creation = creation;
        this.localPort = socket.localPort;
        socket.on('error', () => { });
        this.closed = new Promise((resolve) => {
            socket.once('close', () => {
                this.#closed = true;
                for (const w of [...this.#waiters])
                    w.done({ kind: 'closed' });
                resolve();
            });
        });
        socket.on('data', this.#onData);
        if (rest.length > 0)
            this.#onData(rest);
        socket.resume();
    }
    get isClosed() { return this.#closed; }
    /** We half-closed or destroyed the socket (else the node closed it). */
    get endedByUs() { return this.#endedByUs; }
    /** A pid of this (fake) node. */
    pid(id) { return new Pid(this.name, id, this.creation); }
    ref(id) { return new Ref(this.name, id, this.creation); }
    frame(value, kind = KIND_CONTROL) { return frameOf(this.codec, value, kind); }
    /** Writes raw bytes; false once the socket is closed. */
    write(bytes) {
        if (this.#closed || this.socket.destroyed)
            return false;
        this.socket.write(bytes);
        return true;
    }
    /** Half-closes: the node reads everything written so far, then sees the end of the stream. */
    end() {
        this.#endedByUs = true;
        if (!this.#closed)
            this.socket.end();
    }
    destroy() {
        if (!this.#closed)
            this.#endedByUs = true;
        this.socket.destroy();
    }
    /** The first decoded message (from now on) that `match` accepts, or why none came. */
    async waitFor(match, ms) {
        if (this.#closed)
            return { kind: 'closed' };
        return await new Promise((resolve) => {
            const w = {
                match,
                done: (r) => {
                    clearTimeout(timer);
                    this.#waiters.delete(w);
                    resolve(r);
                }
            };
            const timer = setTimeout(() => { w.done({ kind: 'timeout' }); }, ms);
            this.#waiters.add(w);
        });
    }
    /** 'closed' once the socket has closed within `ms`, else 'timeout'. */
    async waitClosed(ms) {
        return await closedWithin(this.closed, ms);
    }
    #onData = (chunk) => {
        let frames;
        try {
            frames = this.#decoder.push(chunk);
        }
        catch {
            this.undecodable++;
            this.socket.destroy();
            return;
        }
        for (const f of frames) {
            this.framesIn++;
            if (f.length === 0 || (f[0] !== KIND_DATA && f[0] !== KIND_CONTROL))
                continue;
            let value;
            try {
                value = this.codec.decode(f, 1);
            }
            catch {
                this.undecodable++;
                continue;
            }
            for (const w of [...this.#waiters])
                if (w.match(value))
                    w.done({ kind: 'message', value });
        }
    };
}
//# sourceMappingURL=fuzz-peer.js.map