/**
 * A distributed node: a runtime with a name, an incarnation (`creation`),
 * the net kernel and RPC. `startNode` is what the `tekka` command and the
 * tests call; everything it starts, `stop()` undoes.
 */
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { consoleLogger, createRuntime, systemClock } from '@tekka/actors';
import { NetKernel } from './net-kernel.js';
import { Rpc } from './rpc.js';
import { CtlRegistry } from './ctl.js';
import { Applications } from './applications.js';
import { Membership } from './membership/membership.js';
import { nodePort, parseNodeName } from './transport.js';
const nodes = new WeakMap();
/** The distributed node a runtime (or a process's ctx) belongs to. */
export function nodeOf(x) {
    const rt = 'runtime' in x ? x.runtime : x;
    const n = nodes.get(rt);
    if (n === undefined)
        throw new TypeError(`runtime ${rt.node} is not a distributed node`);
    return n;
}
export class DistNode extends EventEmitter {
    name;
    creation;
    runtime;
    kernel;
    rpc;
    log;
    /** Commands of `tekka ctl` this node answers. */
    ctl = new CtlRegistry();
    /** Applications autoheal restarts (the app module, the lock service). */
    applications;
    /** Cluster membership (set by startNode). */
    membership;
    #stopped = false;
    /** @internal use startNode */
    constructor(runtime, kernel, rpc, log) {
        super();
        this.runtime = runtime;
        this.name = runtime.node;
        this.creation = runtime.creation;
        this.kernel = kernel;
        this.rpc = rpc;
        this.log = log;
        this.applications = new Applications(log.child('applications'));
        kernel.on('nodeup', (e) => { this.emit('nodeup', e); });
        kernel.on('nodedown', (e) => { this.emit('nodedown', e); });
    }
    get port() { return this.kernel.port; }
    get stopped() { return this.#stopped; }
    spawn(fn, opts) { return this.runtime.spawn(fn, opts); }
    send(to, msg) { this.runtime.send(to, msg); }
    run(fn) { return this.runtime.run(fn); }
    nodes(opts) { return this.kernel.nodes(opts); }
    connect(node) { return this.kernel.connect(node); }
    disconnect(node) { return this.kernel.disconnect(node); }
    /** `{ type: 'nodeup' | 'nodedown', node, reason }` messages to `pid`, for `node` or for all nodes. */
    monitorNode(pid, node, on = true) { this.kernel.monitorNode(pid, node, on); }
    register(name, fn) { this.rpc.register(name, fn); }
    call(node, fn, args, opts) { return this.rpc.call(node, fn, args, opts); }
    multicall(nodes, fn, args, opts) { return this.rpc.multicall(nodes, fn, args, opts); }
    /** Closes every link (peers see `disconnect`), stops listening, kills every process. */
    async stop() {
        if (this.#stopped)
            return;
        this.#stopped = true;
        await this.membership?.stop();
        await this.kernel.stop();
        for (const pid of this.runtime.processes())
            this.runtime.exit(pid, 'kill');
        this.emit('stopped');
    }
}
/** Starts a node: validates its name, listens on its port, and installs the net kernel. */
export async function startNode(opts) {
    const { host } = parseNodeName(opts.name);
    const logger = opts.logger ?? consoleLogger('tekka');
    const clock = opts.clock ?? systemClock();
    const basePort = opts.basePort ?? 4370;
    const runtime = createRuntime({ node: opts.name, creation: opts.creation ?? randomInt(1, 2 ** 32 - 1), clock, logger });
    const rpc = new Rpc(runtime, logger.child('rpc'));
    const kernel = new NetKernel({
        runtime,
        cookie: opts.cookie,
        cluster: opts.cluster ?? 'tekka',
        hidden: opts.hidden ?? false,
        listen: opts.listen === false ? false : { host: opts.host ?? host, port: opts.port ?? nodePort(opts.name, basePort) },
        basePort,
        tickTime: opts.tickTime ?? 8000,
        handshakeTimeout: opts.handshakeTimeout ?? 5000,
        maxFrameSize: opts.maxFrameSize ?? 64 * 1024 * 1024,
        ...(opts.highWater !== undefined ? { highWater: opts.highWater } : {}),
        ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
        ...(opts.transport !== undefined ? { transport: opts.transport } : {}),
        clock,
        logger: logger.child('dist'),
        onRpc: (peer, s) => { rpc.handle(peer, s); }
    });
    rpc.attach(kernel);
    const node = new DistNode(runtime, kernel, rpc, logger);
    nodes.set(runtime, node);
    rpc.register('tekka.ping', () => 'pong');
    rpc.register('tekka.nodes', () => kernel.nodes());
    rpc.register('tekka.ctl', async (words, flags) => {
        if (!Array.isArray(words) || !words.every((w) => typeof w === 'string'))
            return { ok: false, text: 'bad ctl request' };
        return await node.ctl.run(words, { json: flags?.json === true });
    });
    node.ctl.register('ping', 'answers pong', () => ({ ok: true, text: 'pong', json: { pong: node.name } }));
    node.ctl.register('nodes', 'connected nodes', () => {
        const list = kernel.nodes();
        return { ok: true, text: list.join('\n'), json: { node: node.name, nodes: list } };
    });
    // Reads the stored member table: a corrupt one fails the start here, before anything listens.
    node.membership = new Membership(node, opts.cluster ?? 'tekka', { ...opts.membership, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
    await kernel.start();
    await node.membership.start();
    return node;
}
//# sourceMappingURL=node.js.map