// Loopback sockets and handshake options for the wire-layer tests.
import { createServer, connect } from 'node:net';
import { silentLogger } from '@tekka/actors';
import { clientHandshake, serverHandshake } from '../../src/handshake.js';
/** A connected pair of real TCP sockets on 127.0.0.1. */
export async function socketPair() {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = server.address().port;
    const accepted = new Promise((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
    const srv = await accepted;
    server.close();
    for (const s of [client, srv])
        s.on('error', () => { });
    return { client, server: srv, close: () => { client.destroy(); srv.destroy(); } };
}
export function opts(name, extra = {}) {
    return {
        localName: name,
        cookie: 'secret-cookie-42',
        creation: 1234,
        cluster: 'tekka',
        hidden: false,
        flags: 0,
        logger: silentLogger(),
        timeout: 2000,
        ...extra
    };
}
export async function settled(p) {
    try {
        return { ok: true, value: await p };
    }
    catch (error) {
        return { ok: false, error };
    }
}
/** Runs both sides of a handshake on a fresh socket pair. */
export async function handshakePair(client, server) {
    const pair = await socketPair();
    const [c, s] = await Promise.all([settled(clientHandshake(pair.client, client)), settled(serverHandshake(pair.server, server))]);
    return { pair, client: c, server: s };
}
export function codeOf(r) {
    return r.error?.code;
}
/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
export async function once(emitter, event, ms = 5000) {
    return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => { emitter.off(event, on); reject(new Error(`no ${event} within ${ms} ms`)); }, ms);
        const on = (...args) => { clearTimeout(timer); resolve(args); };
        emitter.once(event, on);
    });
}
export async function sleep(ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
}
/** Polls `cond` until true or `ms` elapse. */
export async function until(cond, ms = 5000, what = 'condition') {
    const end = Date.now() + ms;
    while (!cond()) {
        if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
    }
}
//# sourceMappingURL=wire.js.map