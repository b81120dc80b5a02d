/**
 * RPC: functions registered by name on a node, called from other nodes
 * (Erlang's rpc:call / rpc:multicall, with named functions in place of
 * module:function). A remote call runs in a fresh process on the callee, so
 * a throw there is the call's typed failure and never harms the node.
 */
import { TekkaError, formatReason } from '@tekka/actors';
import { RPC_CALL, RPC_REPLY } from './protocol.js';
/** A failed RPC: `code` says how (timeout, nodedown, undefined function, exception on the callee). */
export class BadRpcError extends TekkaError {
    code;
    node;
    fn;
    /** For ERR_RPC_EXCEPTION: the callee's error (name, message, stack). */
    remote;
    constructor(code, node, fn, message, remote) {
        super(message, code);
        this.code = code;
        this.node = node;
        this.fn = fn;
        this.remote = remote;
    }
}
export class Rpc {
    #rt;
    #clock;
    #log;
    #kernel;
    #fns = new Map();
    #pending = new Map();
    #nextId = 1;
    constructor(rt, logger) {
        this.#rt = rt;
        this.#clock = rt.clock;
        this.#log = logger;
    }
    /** @internal */
    attach(kernel) {
        this.#kernel = kernel;
        const lost = (node, why) => {
            for (const [id, p] of this.#pending) {
                if (p.node !== node)
                    continue;
                this.#pending.delete(id);
                p.cleanup();
                p.reject(new BadRpcError('ERR_RPC_NODEDOWN', node, p.fn, `rpc ${p.fn} on ${node}: ${why}`));
            }
        };
        kernel.on('nodedown', (e) => { lost(e.node, `node down (${e.reason})`); });
        kernel.on('unreachable', (node) => { lost(node, 'node unreachable'); });
    }
    /** Makes `fn` callable from other nodes as `name`. Replaces an earlier registration. */
    register(name, fn) {
        if (typeof name !== 'string' || name.length === 0)
            throw new TypeError('rpc function name must be a non-empty string');
        if (typeof fn !== 'function')
            throw new TypeError(`rpc function ${name} must be a function`);
        this.#fns.set(name, fn);
    }
    unregister(name) {
        this.#fns.delete(name);
    }
    registered() {
        return [...this.#fns.keys()].sort();
    }
    /** Calls `fn` on `node` with `args`; rejects with a BadRpcError. */
    call(node, fn, args = [], opts = {}) {
        const timeout = opts.timeout ?? 5000;
        if (node === this.#rt.node || this.#kernel === undefined)
            return this.#local(fn, args, timeout, opts.signal);
        const kernel = this.#kernel;
        return new Promise((resolve, reject) => {
            if (opts.signal?.aborted === true) {
                reject(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`));
                return;
            }
            const id = this.#nextId++;
            const onAbort = () => {
                if (!this.#pending.delete(id))
                    return;
                p.cleanup();
                reject(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`));
            };
            const p = {
                node,
                fn,
                resolve: resolve,
                reject,
                timer: undefined,
                cleanup: () => {
                    if (p.timer !== undefined)
                        this.#clock.clearTimeout(p.timer);
                    opts.signal?.removeEventListener('abort', onAbort);
                }
            };
            if (Number.isFinite(timeout)) {
                p.timer = this.#clock.setTimeout(() => {
                    if (!this.#pending.delete(id))
                        return;
                    p.cleanup();
                    reject(new BadRpcError('ERR_RPC_TIMEOUT', node, fn, `rpc ${fn} on ${node} timed out after ${timeout} ms`));
                }, timeout);
            }
            opts.signal?.addEventListener('abort', onAbort, { once: true });
            this.#pending.set(id, p);
            kernel.sendFrame(node, [RPC_CALL, id, fn, args]);
        });
    }
    /** Calls `fn` on every node; each result is `{ node, ok: true, value }` or `{ node, ok: false, error }`. */
    async multicall(nodes, fn, args = [], opts = {}) {
        return await Promise.all(nodes.map(async (node) => {
            try {
                return { node, ok: true, value: await this.call(node, fn, args, opts) };
            }
            catch (err) {
                return { node, ok: false, error: err };
            }
        }));
    }
    #local(fn, args, timeout, signal) {
        const node = this.#rt.node;
        return new Promise((resolve, reject) => {
            let done = false;
            let timer;
            const finish = (err, v) => {
                if (done)
                    return;
                done = true;
                if (timer !== undefined)
                    this.#clock.clearTimeout(timer);
                if (err !== undefined)
                    reject(err);
                else
                    resolve(v);
            };
            if (Number.isFinite(timeout)) {
                timer = this.#clock.setTimeout(() => { finish(new BadRpcError('ERR_RPC_TIMEOUT', node, fn, `rpc ${fn} on ${node} timed out after ${timeout} ms`)); }, timeout);
            }
            signal?.addEventListener('abort', () => { finish(new BadRpcError('ERR_RPC_ABORTED', node, fn, `rpc ${fn} on ${node} aborted`)); }, { once: true });
            this.#run(fn, args, (ok, value) => {
                if (ok)
                    finish(undefined, value);
                else
                    finish(this.#failure(node, fn, value));
            });
        });
    }
    #failure(node, fn, value) {
        const v = value;
        if (v?.kind === 'undef')
            return new BadRpcError('ERR_RPC_UNDEF', node, fn, `rpc: no function ${JSON.stringify(fn)} registered on ${node}`);
        const e = v?.error;
        const remote = { name: String(e?.name ?? 'Error'), message: String(e?.message ?? formatReason(value)), ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}) };
        return new BadRpcError('ERR_RPC_EXCEPTION', node, fn, `rpc ${fn} on ${node} threw ${remote.name}: ${remote.message}`, remote);
    }
    /** Runs a registered function in a new process; `done(ok, value)` once. */
    #run(fn, args, done) {
        const f = this.#fns.get(fn);
        if (f === undefined) {
            done(false, { kind: 'undef', fn });
            return;
        }
        this.#rt.spawn(async (ctx) => {
            try {
                done(true, await f.apply(ctx, args));
            }
            catch (err) {
                const e = err instanceof Error ? err : new Error(formatReason(err));
                done(false, { kind: 'exception', error: { name: e.name, message: e.message, stack: e.stack } });
            }
        });
    }
    /** @internal RPC signals from a peer. */
    handle(peer, s) {
        if (s.tag === RPC_CALL) {
            this.#run(s.fn, s.args, (ok, value) => {
                try {
                    this.#kernel?.sendFrame(peer, [RPC_REPLY, s.id, ok, value]);
                }
                catch (err) {
                    this.#log.warn('rpc reply could not be encoded', { fn: s.fn, peer, error: err });
                    this.#kernel?.sendFrame(peer, [RPC_REPLY, s.id, false, { kind: 'exception', error: { name: 'TypeError', message: `result of ${s.fn} cannot be sent: ${err.message}` } }]);
                }
            });
            return;
        }
        const p = this.#pending.get(s.id);
        if (p === undefined || p.node !== peer)
            return;
        this.#pending.delete(s.id);
        p.cleanup();
        if (s.ok)
            p.resolve(s.value);
        else
            p.reject(this.#failure(peer, p.fn, s.value));
    }
}
//# sourceMappingURL=rpc.js.map