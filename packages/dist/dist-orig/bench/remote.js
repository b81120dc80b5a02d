/**
 * Remote benchmarks: two OS processes on loopback. This process is one node
 * (`bench0@127.0.0.1`); a child `tekka` command running peers/app.js is the
 * other (`peer1@127.0.0.1`). Each is measured next to a raw baseline in the
 * same run, alternating: plain TCP sockets with the same framing and
 * coalescing and no actors (peers/raw-wire.ts), against a plain child node
 * script (peers/raw-peer.js).
 *
 * - remote.oneway: 1,000,000 messages of a 32-byte string from a process here
 *   to a process on the peer, which reports when all have arrived; msg/s.
 *   Baseline raw.oneway: `[1, null, pid, payload]` frames, counted by the peer.
 * - remote.pingpong: round trips between a process here and one on the peer;
 *   round trips/s, with p50 / p99 latency in µs (also as rows of their own).
 * - remote.call: `node.call` of a function registered on the peer, 64 callers
 *   in flight; calls/s with p50 / p99. Baseline raw.call: request / reply
 *   frames, 64 in flight.
 *
 * Output: one JSON line per result (see packages/actors/bench/local.ts), e.g.
 *   {"bench":"remote.oneway","value":5.1e5,"unit":"msg/s","min":...,"max":...,"runs":5,
 *    "baseline":{"name":"raw.oneway ...","value":...},"ratio":0.72,"goals":{...}}
 *
 * Environment:
 *   TEKKA_BENCH_RUNS      runs per measurement (default 5)
 *   TEKKA_BENCH_SCALE     multiplies every count (default 1; 0.1 for a quick look)
 *   TEKKA_BENCH_ONLY      comma-separated bench names (prefixes) to run (default all)
 *   TEKKA_BENCH_BASELINE  0 skips the raw runs (for profiling the tekka path alone)
 *   TEKKA_BENCH_CPU_PROF  a directory: the children run with --cpu-prof and
 *                         write their profiles there (run this file itself with
 *                         `node --cpu-prof` for this side)
 *
 * The children are started and stopped here and killed whatever happens: on
 * exit, on a signal, and, should this process die by SIGKILL, by themselves
 * when their stdin (held by this process) closes.
 */
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { consoleLogger } from '@tekka/actors';
import { startNode } from '../src/index.js';
import { CTL, RawLink, RPC_CALL, RPC_REPLY, SEND } from './peers/raw-wire.js';
const RUNS = Math.max(1, Number(process.env.TEKKA_BENCH_RUNS ?? 5));
const SCALE = Number(process.env.TEKKA_BENCH_SCALE ?? 1);
const ONLY = (process.env.TEKKA_BENCH_ONLY ?? '').split(',').filter((s) => s !== '');
const BASELINE = process.env.TEKKA_BENCH_BASELINE !== '0';
const PROF_DIR = process.env.TEKKA_BENCH_CPU_PROF;
const scaled = (n) => Math.max(1, Math.round(n * SCALE));
const ONEWAY_MESSAGES = scaled(1_000_000);
const PINGPONG_ROUND_TRIPS = scaled(20_000);
const CALLS = scaled(100_000);
const CALLERS = 64;
/** The sender yields every this many sends, as a well-behaved producer does (and as local.oneway's does). */
const SEND_BATCH = 1000;
const PAYLOAD = 'x'.repeat(32);
/** Raw sender's back-pressure mark: the connection's default highWater. */
const RAW_HIGH_WATER = 8 * 1024 * 1024;
/** A run that takes longer than this has lost messages: fail rather than hang. */
const RUN_TIMEOUT_MS = 120_000;
const COOKIE = 'tekka-bench';
const SELF = 'bench0@127.0.0.1';
const PEER = 'peer1@127.0.0.1';
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url));
const APP = fileURLToPath(new URL('./peers/app.js', import.meta.url));
const RAW_PEER = fileURLToPath(new URL('./peers/raw-peer.js', import.meta.url));
function stats(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    const value = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { value, min: s[0], max: s[s.length - 1] };
}
const round = (n) => Number(n.toPrecision(4));
function emit(bench, unit, xs, baseline, extra = {}) {
    const r = stats(xs);
    const line = { bench, value: round(r.value), unit, min: round(r.min), max: round(r.max), runs: xs.length };
    if (baseline !== undefined && baseline.xs.length > 0) {
        const b = stats(baseline.xs);
        line.baseline = { name: baseline.name, value: round(b.value), min: round(b.min), max: round(b.max) };
        line.ratio = round(r.value / b.value);
    }
    process.stdout.write(JSON.stringify({ ...line, ...extra }) + '\n');
}
function gc() {
    const g = globalThis.gc;
    if (g === undefined)
        throw new Error('run with --expose-gc (scripts/bench.mjs does)');
    g();
    g();
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
function latency(count, ms, lat) {
    lat.sort();
    const at = (q) => lat[Math.min(lat.length - 1, Math.floor(q * (lat.length - 1)))] * 1000;
    return { rate: count / (ms / 1000), p50: at(0.5), p99: at(0.99) };
}
function withTimeout(what, p) {
    let timer;
    const t = new Promise((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${what}: no result within ${RUN_TIMEOUT_MS} ms`)); }, RUN_TIMEOUT_MS);
    });
    return Promise.race([p, t]).finally(() => { clearTimeout(timer); });
}
// ---- child processes ------------------------------------------------------------
const children = new Set();
function killChildren() {
    for (const c of children) {
        try {
            c.kill('SIGKILL');
        }
        catch { }
    }
    children.clear();
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
        killChildren();
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
}
function startChild(label, args) {
    const prof = PROF_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : [];
    const proc = spawn(process.execPath, [...prof, '--expose-gc', ...args], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, TEKKA_LOG: process.env.TEKKA_LOG ?? 'error' }
    });
    children.add(proc);
    const exited = new Promise((resolve) => { proc.once('exit', () => { children.delete(proc); resolve(); }); });
    const lines = [];
    const waiters = new Set();
    let buf = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
            lines.push(buf.slice(0, i));
            buf = buf.slice(i + 1);
        }
        for (const w of waiters)
            w();
    });
    const line = (re, timeoutMs) => new Promise((resolve, reject) => {
        const check = () => {
            for (const l of lines) {
                const m = re.exec(l);
                if (m !== null) {
                    done();
                    resolve(m);
                    return;
                }
            }
        };
        const fail = (why) => () => { done(); reject(new Error(`${label}: ${why} before a line matching ${String(re)}\n${lines.join('\n')}`)); };
        const onExit = fail('exited');
        const timer = setTimeout(fail(`nothing in ${timeoutMs} ms`), timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); proc.off('exit', onExit); };
        waiters.add(check);
        proc.once('exit', onExit);
        check();
    });
    const stop = async () => {
        if (!children.has(proc))
            return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => { proc.kill('SIGKILL'); }, 5000);
        await exited;
        clearTimeout(timer);
    };
    return { proc, line, stop };
}
/** A port free right now (the OS's pick), for the peer's listener. */
async function freePort() {
    const srv = createServer();
    await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen({ host: '127.0.0.1', port: 0 }, resolve); });
    const port = srv.address().port;
    await new Promise((resolve) => { srv.close(() => { resolve(); }); });
    return port;
}
async function startTekka() {
    const peerPort = await freePort();
    // The peer listens on base + 1 (the trailing digit of `peer1`), the port this node dials.
    const basePort = peerPort - 1;
    const child = startChild('peer', [BIN, '--name', PEER, '--cookie', COOKIE, '--set', `node.dist_base_port=${basePort}`, APP]);
    await child.line(/^tekka: app .* started/, 20_000);
    const node = await startNode({ name: SELF, cookie: COOKIE, basePort, port: 0, logger: consoleLogger('tekka:bench') });
    if (!(await node.connect(PEER)))
        throw new Error(`cannot connect to ${PEER} on port ${peerPort}`);
    return { node, child };
}
async function peerCpu(node) {
    return await node.call(PEER, 'bench.cpu', []);
}
async function peerGc(node) {
    gc();
    await node.call(PEER, 'bench.gc', [], { timeout: 30_000 });
}
async function remoteOneway({ node }, n) {
    return await withTimeout('remote.oneway', node.run(async (ctx) => {
        const sink = await node.call(PEER, 'bench.sink', [n, ctx.self]);
        const t0 = performance.now();
        node.spawn(async (c) => {
            for (let i = 0; i < n; i++) {
                c.send(sink, PAYLOAD);
                if (i % SEND_BATCH === SEND_BATCH - 1)
                    await c.yield();
            }
        });
        await ctx.receive();
        return { rate: n / ((performance.now() - t0) / 1000) };
    }));
}
async function remotePingpong({ node }, n) {
    const ponger = await node.call(PEER, 'bench.ponger', []);
    const lat = new Float64Array(n);
    const ms = await withTimeout('remote.pingpong', node.run(async (ctx) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
            const s = performance.now();
            ctx.send(ponger, ctx.self);
            await ctx.receive();
            lat[i] = performance.now() - s;
        }
        return performance.now() - t0;
    }));
    node.send(ponger, 'stop');
    return latency(n, ms, lat);
}
async function remoteCall({ node }, n) {
    const lat = new Float64Array(n);
    let next = 0;
    const caller = async () => {
        for (let i = next++; i < n; i = next++) {
            const s = performance.now();
            await node.call(PEER, 'bench.echo', [i]);
            lat[i] = performance.now() - s;
        }
    };
    const t0 = performance.now();
    await withTimeout('remote.call', Promise.all(Array.from({ length: CALLERS }, caller)));
    return latency(n, performance.now() - t0, lat);
}
// ---- the raw side ------------------------------------------------------------------
/** This side of the raw link; a pid is a plain tuple there. */
const RAW_SELF = [SELF, 1, 1];
const RAW_TARGET = [PEER, 2, 1];
async function startRaw() {
    const child = startChild('raw-peer', [RAW_PEER, '0']);
    const m = await child.line(/^raw-peer listening (\d+)/, 20_000);
    const socket = connect({ host: '127.0.0.1', port: Number(m[1]) });
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.on('error', () => { });
    let waiter;
    const calls = new Map();
    const link = new RawLink(socket, (msg) => {
        if (msg[0] === RPC_REPLY) {
            const id = msg[1];
            const done = calls.get(id);
            calls.delete(id);
            done?.();
            return;
        }
        const w = waiter;
        waiter = undefined;
        w?.(msg[0] === CTL ? msg.slice(1) : msg[3]);
    });
    const next = () => new Promise((resolve) => { waiter = resolve; });
    return { child, link, next, calls, close: () => { socket.destroy(); } };
}
async function rawCpu(raw) {
    const answer = raw.next();
    raw.link.send([CTL, 'cpu']);
    return (await answer)[1];
}
async function rawGc(raw) {
    gc();
    const ack = raw.next();
    raw.link.send([CTL, 'gc']);
    await ack;
}
async function rawOneway(raw, n) {
    const { link } = raw;
    const done = withTimeout('raw.oneway', raw.next());
    link.send([CTL, 'sink', n, RAW_SELF]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
        link.send([SEND, null, RAW_TARGET, PAYLOAD]);
        if (i % SEND_BATCH === SEND_BATCH - 1) {
            await tick();
            if (link.queuedBytes > RAW_HIGH_WATER)
                await link.drained();
        }
    }
    await done;
    return { rate: n / ((performance.now() - t0) / 1000) };
}
async function rawPingpong(raw, n) {
    const lat = new Float64Array(n);
    const t0 = performance.now();
    await withTimeout('raw.pingpong', (async () => {
        for (let i = 0; i < n; i++) {
            const s = performance.now();
            const pong = raw.next();
            raw.link.send([SEND, null, RAW_TARGET, RAW_SELF]);
            await pong;
            lat[i] = performance.now() - s;
        }
    })());
    return latency(n, performance.now() - t0, lat);
}
async function rawCall(raw, n) {
    const lat = new Float64Array(n);
    let next = 0;
    const caller = async () => {
        for (let i = next++; i < n; i = next++) {
            const s = performance.now();
            await new Promise((resolve) => {
                raw.calls.set(i, resolve);
                raw.link.send([RPC_CALL, i, 'bench.echo', [i]]);
            });
            lat[i] = performance.now() - s;
        }
    };
    const t0 = performance.now();
    await withTimeout('raw.call', Promise.all(Array.from({ length: CALLERS }, caller)));
    return latency(n, performance.now() - t0, lat);
}
// ---- driver -------------------------------------------------------------------------
const want = (name) => ONLY.length === 0 || ONLY.some((o) => `remote.${name}`.startsWith(o) || `raw.${name}`.startsWith(o));
async function measure(n, peer, run) {
    const p0 = await peer();
    const h0 = process.cpuUsage();
    const r = await run();
    const h = process.cpuUsage(h0);
    const p1 = await peer();
    return { ...r, cpuHere: (h.user + h.system) * 1000 / n, cpuPeer: (p1 - p0) * 1000 / n };
}
/**
 * Warm-up (not counted), then RUNS rounds of a tekka run and a raw run,
 * alternating so drift on the machine hits both, with a GC on both sides
 * before each.
 */
async function alternate(tekka, raw, warmN, n, t, r) {
    await t(tekka, warmN);
    if (raw !== undefined)
        await r(raw, warmN);
    const out = { tekka: [], raw: [] };
    for (let i = 0; i < RUNS; i++) {
        await peerGc(tekka.node);
        out.tekka.push(await measure(n, () => peerCpu(tekka.node), () => t(tekka, n)));
        if (raw !== undefined) {
            await rawGc(raw);
            out.raw.push(await measure(n, () => rawCpu(raw), () => r(raw, n)));
        }
    }
    return out;
}
const median = (xs) => xs.length > 0 ? round(stats(xs).value) : undefined;
/** Median CPU time per operation on each side, in ns: where the cost is, whatever the machine's load. */
function cpu(xs) {
    return { here: median(xs.map((x) => x.cpuHere)), peer: median(xs.map((x) => x.cpuPeer)) };
}
function rateRows(name, unit, rt, base, baseName, extra, goal) {
    emit(name, unit, rt.map((x) => x.rate), { name: baseName, xs: base.map((x) => x.rate) }, { ...extra, cpuNsPerOp: cpu(rt), ...(base.length > 0 ? { baselineCpuNsPerOp: cpu(base) } : {}), goal });
    if (base.length > 0)
        emit(baseName, unit, base.map((x) => x.rate), undefined, { ...extra, cpuNsPerOp: cpu(base) });
}
function latencyRows(name, unit, rt, base, baseName, extra, p50Goal) {
    const p = (xs, k) => xs.map((x) => x[k] ?? NaN);
    const lat = { p50Us: median(p(rt, 'p50')), p99Us: median(p(rt, 'p99')), baselineP50Us: median(p(base, 'p50')), baselineP99Us: median(p(base, 'p99')) };
    emit(name, unit, rt.map((x) => x.rate), { name: baseName, xs: base.map((x) => x.rate) }, { ...extra, ...lat, cpuNsPerOp: cpu(rt), ...(base.length > 0 ? { baselineCpuNsPerOp: cpu(base) } : {}) });
    emit(`${name}.p50`, 'µs', p(rt, 'p50'), { name: `${baseName} p50`, xs: p(base, 'p50') }, p50Goal !== undefined ? { goal: `ratio <= ${p50Goal}` } : {});
    emit(`${name}.p99`, 'µs', p(rt, 'p99'), { name: `${baseName} p99`, xs: p(base, 'p99') });
    if (base.length > 0)
        emit(baseName, unit, base.map((x) => x.rate), undefined, { ...extra, p50Us: lat.baselineP50Us, p99Us: lat.baselineP99Us, cpuNsPerOp: cpu(base) });
}
const tekka = await startTekka();
const raw = BASELINE ? await startRaw() : undefined;
try {
    if (want('oneway')) {
        const r = await alternate(tekka, raw, Math.round(ONEWAY_MESSAGES / 4), ONEWAY_MESSAGES, remoteOneway, rawOneway);
        rateRows('remote.oneway', 'msg/s', r.tekka, r.raw, 'raw.oneway', { messages: ONEWAY_MESSAGES, payloadBytes: PAYLOAD.length }, 'ratio >= 0.7 and value >= 500000');
    }
    if (want('pingpong')) {
        const r = await alternate(tekka, raw, Math.round(PINGPONG_ROUND_TRIPS / 4), PINGPONG_ROUND_TRIPS, remotePingpong, rawPingpong);
        latencyRows('remote.pingpong', 'round trips/s', r.tekka, r.raw, 'raw.pingpong', { roundTrips: PINGPONG_ROUND_TRIPS }, 1.3);
    }
    if (want('call')) {
        const r = await alternate(tekka, raw, Math.round(CALLS / 4), CALLS, remoteCall, rawCall);
        latencyRows('remote.call', 'calls/s', r.tekka, r.raw, 'raw.call', { calls: CALLS, inFlight: CALLERS });
    }
}
finally {
    raw?.close();
    await tekka.node.stop();
    await Promise.all([tekka.child.stop(), raw?.child.stop()]);
}
//# sourceMappingURL=remote.js.map