/**
 * Cluster membership (ekka_membership / mria_membership): who is in this
 * node's cluster, how old each member is (its guid), and whether it is up.
 *
 * - The member table (member-table.ts) is replicated by gossip between
 *   members: on every change, on every nodeup between members, and every
 *   `antiEntropy` ms. It is kept on disk when a data dir is given.
 * - Status: a member is `up` while this node has a link to it (itself
 *   always), else `down`; `joining` / `leaving` while this node joins or
 *   leaves, `healing` while autoheal says so.
 * - Leader: the oldest member (smallest guid), up or down. Coordinator: the
 *   oldest member that is up.
 * - Down members are dialled again every `reconnect` ms, so a partition that
 *   heals, or a restarted node, rejoins by itself.
 *
 * Gossip travels as messages to the `tekka_membership` process of each
 * member; joins are RPCs to the seed. Everything from a peer is checked
 * before it is merged.
 */
import { EventEmitter } from 'node:events';
import { TekkaError } from '@tekka/actors';
import { makeGuid, ringPosition } from './guid.js';
import { MemberTable, byAge, parseEntry } from './member-table.js';
import { MembershipStore } from './store.js';
/** A join that could not be made; `code` says why, the message names the node and the cause. */
export class JoinError extends TekkaError {
    code;
    node;
    constructor(code, node, message, cause) {
        super(message, code, cause === undefined ? undefined : { cause });
        this.code = code;
        this.node = node;
    }
}
const PROCESS_NAME = 'tekka_membership';
export class Membership extends EventEmitter {
    node;
    cluster;
    log;
    /** This incarnation's guid. */
    guid;
    #table;
    #store;
    #clock;
    #opts;
    #local;
    #healing = new Set();
    #partitions = new Set();
    #subscribers = new Set();
    #lastStatus = new Map();
    #pid;
    #timer;
    #reconnectTimer;
    #running = false;
    #saveQueued = false;
    constructor(node, cluster, opts = {}) {
        super();
        this.node = node;
        this.cluster = cluster;
        this.log = node.log.child('membership');
        this.#clock = node.runtime.clock;
        this.guid = makeGuid(node.name);
        this.#opts = { antiEntropy: opts.antiEntropy ?? 10_000, reconnect: opts.reconnect ?? 5_000 };
        this.#store = opts.dataDir !== undefined ? new MembershipStore(opts.dataDir, node.name) : undefined;
        // Throws (and so fails the node's start) if the stored table cannot be read.
        const stored = this.#store?.load(node.name, cluster);
        this.#table = new MemberTable(node.name, stored ?? []);
        const self = this.#table.get(node.name);
        if (self === undefined || self.state !== 'member')
            this.#table.set(node.name, 'member', this.guid);
        this.#table.setGuid(node.name, this.guid);
    }
    // ---- lifecycle ---------------------------------------------------------------
    async start() {
        if (this.#running)
            return;
        this.#running = true;
        this.#pid = this.node.spawn(async (ctx) => {
            for (;;)
                this.#onGossip(await ctx.receive());
        }, { name: PROCESS_NAME });
        this.node.on('nodeup', this.#onNodeUp);
        this.node.on('nodedown', this.#onNodeDown);
        this.node.register('tekka.membership.join', (entries, cluster) => this.#acceptJoin(entries, cluster));
        this.node.register('tekka.membership.status', () => this.status());
        this.#registerCtl();
        this.#save();
        for (const e of this.#table.members())
            this.#lastStatus.set(e.node, this.#statusOf(e.node));
        this.#schedule();
        this.#scheduleReconnect();
        // A node restarted with a member list goes back to its cluster by itself.
        this.#reachDown();
    }
    async stop() {
        if (!this.#running)
            return;
        this.#running = false;
        this.node.off('nodeup', this.#onNodeUp);
        this.node.off('nodedown', this.#onNodeDown);
        if (this.#timer !== undefined)
            this.#clock.clearTimeout(this.#timer);
        if (this.#reconnectTimer !== undefined)
            this.#clock.clearTimeout(this.#reconnectTimer);
        this.#timer = this.#reconnectTimer = undefined;
        if (this.#pid !== undefined)
            this.node.runtime.exit(this.#pid, 'kill');
        this.#pid = undefined;
        this.#flushSave();
    }
    // ---- queries -------------------------------------------------------------------
    isMember(node) {
        return this.#table.isMember(node);
    }
    /** Members, oldest first. */
    members() {
        return this.#table.members().map((e) => ({ node: e.node, guid: e.guid, status: this.#statusOf(e.node), ring: ringPosition(e.node) }));
    }
    localMember() {
        return { node: this.node.name, guid: this.guid, status: this.#statusOf(this.node.name), ring: ringPosition(this.node.name) };
    }
    /** Member names, oldest first; with a status, only those up (`up`) or not up (`down`). */
    nodelist(status) {
        return this.members().filter((m) => status === undefined || (status === 'up' ? m.status !== 'down' : m.status === 'down')).map((m) => m.node);
    }
    /** The oldest member, up or down (so the two sides of a partition agree on it). */
    leader() {
        return this.#table.members()[0]?.node;
    }
    /** The oldest member that is up. */
    coordinator() {
        return this.members().find((m) => m.status !== 'down')?.node;
    }
    partitions() {
        return [...this.#partitions].sort();
    }
    status() {
        const members = this.members();
        return {
            node: this.node.name,
            cluster: this.cluster,
            leader: this.leader(),
            coordinator: this.coordinator(),
            members,
            running: members.filter((m) => m.status !== 'down').map((m) => m.node).sort(),
            stopped: members.filter((m) => m.status === 'down').map((m) => m.node).sort(),
            partitions: this.partitions()
        };
    }
    /** The raw replicated entries (members and tombstones), for diagnostics. */
    entries() {
        return this.#table.entries();
    }
    // ---- subscriptions -------------------------------------------------------------
    /**
     * Membership events (`up`, `down`, `joining`, `leaving`, `healing`) and
     * partition events (`occurred`, `healed`): a function is called, a pid is
     * sent `{ type: 'membership' | 'partition', event, node }`. Returns the unsubscribe.
     */
    subscribe(target) {
        const fn = typeof target === 'function' ? target : (e) => { this.node.send(target, e); };
        this.#subscribers.add(fn);
        return () => { this.#subscribers.delete(fn); };
    }
    #publish(e) {
        this.emit(e.type, e);
        for (const s of this.#subscribers) {
            try {
                s(e);
            }
            catch (err) {
                this.log.warn('membership subscriber threw', { error: err });
            }
        }
    }
    /** For autoheal: marks `node` healing (or not); publishes `healing`. */
    setHealing(node, on) {
        if (on === this.#healing.has(node))
            return;
        if (on)
            this.#healing.add(node);
        else
            this.#healing.delete(node);
        this.#observe(node);
    }
    /** For partition detection: records and publishes a partition event. */
    reportPartition(event, node) {
        if (event === 'occurred') {
            if (this.#partitions.has(node))
                return;
            this.#partitions.add(node);
        }
        else if (!this.#partitions.delete(node)) {
            return;
        }
        this.#publish({ type: 'partition', event, node });
    }
    // ---- join / leave --------------------------------------------------------------
    /**
     * Joins the cluster of `seed` (ekka:join). Joining itself, or a node that
     * is already a member, is ignored. A node in another cluster leaves it
     * first. Throws JoinError when the seed cannot be reached or refuses.
     */
    async join(seed) {
        if (seed === this.node.name)
            return 'ignored';
        // A member is only joined already if its own table lists this node too: one
        // that joined another cluster since has dropped this node, and ignores its gossip.
        if (this.#table.isMember(seed) && this.node.nodes().includes(seed) && await this.#listsThisNode(seed))
            return 'ignored';
        if (this.#local !== undefined)
            throw new JoinError('ERR_JOIN_BUSY', seed, `cannot join ${seed}: this node is already ${this.#local}`);
        if (!(await this.node.connect(seed))) {
            const cause = this.node.kernel.lastError(seed);
            const refused = cause !== undefined && /ERR_HANDSHAKE_(COOKIE|CLUSTER|VERSION|NAME|REFUSED)/.test(cause.code ?? '');
            throw new JoinError(refused ? 'ERR_JOIN_REFUSED' : 'ERR_JOIN_UNREACHABLE', seed, `cannot join ${seed}: ${cause !== undefined ? cause.message : 'it cannot be reached'}`, cause);
        }
        if (this.#table.isMember(seed) && await this.#listsThisNode(seed)) {
            // A member we had lost touch with: gossip brings us back together.
            this.#gossipTo(seed);
            return 'ignored';
        }
        this.#local = 'joining';
        this.#observe(this.node.name);
        try {
            const reply = await this.node.call(seed, 'tekka.membership.join', [[this.#selfEntry()], this.cluster], { timeout: 15_000 });
            const theirs = this.#parseEntries(reply, seed);
            if (theirs === undefined)
                throw new JoinError('ERR_JOIN_REFUSED', seed, `cannot join ${seed}: it answered with no member table`);
            // ekka:join: a node leaves the cluster it was in and takes the seed's.
            const old = this.#table.members().map((e) => e.node).filter((n) => n !== this.node.name);
            const self = this.#table.get(this.node.name);
            const fresh = new MemberTable(this.node.name, [self]);
            fresh.merge(theirs);
            this.#table = fresh;
            for (const n of old)
                if (!this.#table.isMember(n))
                    this.#lastStatus.delete(n);
            this.log.info('joined', { seed, members: this.#table.members().map((e) => e.node) });
            this.#afterChange(theirs.map((e) => ({ node: e.node, before: undefined, after: e })));
            return 'joined';
        }
        catch (err) {
            if (err instanceof JoinError)
                throw err;
            throw new JoinError('ERR_JOIN_UNREACHABLE', seed, `cannot join ${seed}: ${err.message}`, err);
        }
        finally {
            this.#local = undefined;
            this.#observe(this.node.name);
        }
    }
    /** Leaves the cluster (ekka:leave): every member is told; this node becomes a cluster of one. */
    async leave() {
        const others = this.#table.members().filter((e) => e.node !== this.node.name);
        if (others.length === 0)
            return;
        this.#local = 'leaving';
        this.#observe(this.node.name);
        const tomb = this.#table.set(this.node.name, 'removed', this.guid);
        const gossip = this.#gossip();
        for (const e of others)
            this.node.send({ name: PROCESS_NAME, node: e.node }, gossip);
        // Give the tombstone a round trip to the members that are up before letting go.
        await Promise.all(others.filter((e) => this.node.nodes().includes(e.node))
            .map(async (e) => await this.node.call(e.node, 'tekka.ping', [], { timeout: 3000 }).catch(() => undefined)));
        const self = { ...tomb.after, state: 'member', version: tomb.after.version + 1, at: Date.now() };
        this.#table.reset(self);
        this.#local = undefined;
        this.log.info('left the cluster', { members: others.map((e) => e.node) });
        for (const e of others) {
            this.#lastStatus.delete(e.node);
            this.#publish({ type: 'membership', event: 'leaving', node: e.node });
        }
        this.#observe(this.node.name);
        this.#save();
    }
    /** Removes `node` from the cluster everywhere (ekka:force_leave); for a member that is down. */
    async forceLeave(node) {
        if (node === this.node.name)
            throw new JoinError('ERR_JOIN_REFUSED', node, 'force-leave of this node itself: use leave');
        if (!this.#table.isMember(node))
            return false;
        const change = this.#table.set(node, 'removed');
        if (this.node.nodes().includes(node)) {
            // ekka: a member that is up is told to leave too.
            this.node.send({ name: PROCESS_NAME, node }, this.#gossip());
        }
        this.#afterChange([change]);
        return true;
    }
    // ---- internals -----------------------------------------------------------------
    /** Whether `node`'s own member table lists this node; true when it cannot be asked (then nothing changes). */
    async #listsThisNode(node) {
        try {
            const s = await this.node.call(node, 'tekka.membership.status', [], { timeout: 5000 });
            return !Array.isArray(s?.members) || s.members.some((m) => m?.node === this.node.name);
        }
        catch {
            return true;
        }
    }
    #selfEntry() {
        return this.#table.get(this.node.name);
    }
    #statusOf(node) {
        if (this.#healing.has(node))
            return 'healing';
        if (node === this.node.name)
            return this.#local ?? 'up';
        return this.node.kernel.isConnected(node) ? 'up' : 'down';
    }
    /** Publishes a status change of `node`, if there is one. */
    #observe(node) {
        if (!this.#table.isMember(node))
            return;
        const now = this.#statusOf(node);
        const before = this.#lastStatus.get(node);
        if (now === before)
            return;
        this.#lastStatus.set(node, now);
        this.#publish({ type: 'membership', event: now, node });
    }
    #gossip() {
        return { t: 'gossip', cluster: this.cluster, from: this.node.name, entries: this.#table.entries() };
    }
    #gossipTo(node) {
        if (node !== this.node.name)
            this.node.send({ name: PROCESS_NAME, node }, this.#gossip());
    }
    #broadcast() {
        const g = this.#gossip();
        for (const e of this.#table.members())
            if (e.node !== this.node.name && this.node.kernel.isConnected(e.node))
                this.node.send({ name: PROCESS_NAME, node: e.node }, g);
    }
    #parseEntries(raw, from) {
        if (!Array.isArray(raw))
            return undefined;
        const out = [];
        for (const r of raw) {
            const e = parseEntry(r);
            if (e === undefined) {
                this.log.warn('malformed member entry ignored', { from, entry: JSON.stringify(r)?.slice(0, 200) });
                continue;
            }
            out.push(e);
        }
        return out;
    }
    #onGossip(m) {
        const g = m;
        if (typeof g !== 'object' || g === null || g.t !== 'gossip' || typeof g.from !== 'string') {
            this.log.warn('unexpected message to the membership process', { msg: JSON.stringify(m)?.slice(0, 200) });
            return;
        }
        if (g.cluster !== this.cluster) {
            this.log.warn('gossip from another cluster ignored', { from: g.from, cluster: g.cluster });
            return;
        }
        // Only members gossip to each other; anything else is stale (a node that left, or was removed).
        if (!this.#table.isMember(g.from)) {
            this.log.debug('gossip from a non-member ignored', { from: g.from });
            return;
        }
        const theirs = this.#parseEntries(g.entries, g.from);
        if (theirs === undefined)
            return;
        this.#afterChange(this.#table.merge(theirs));
    }
    /** After the table changed: react to removals of this node, publish, persist, reach new members. */
    #afterChange(changes) {
        const selfChange = changes.find((c) => c.node === this.node.name && c.after.state === 'removed');
        if (selfChange !== undefined) {
            // Someone force-left this node: it is a cluster of its own now.
            this.log.warn('removed from the cluster by another member', { by: selfChange.after.by });
            const others = this.#table.members().filter((e) => e.node !== this.node.name);
            this.#table.reset({ ...selfChange.after, state: 'member', version: selfChange.after.version + 1, by: this.node.name, guid: this.guid, at: Date.now() });
            for (const e of others) {
                this.#lastStatus.delete(e.node);
                this.#publish({ type: 'membership', event: 'leaving', node: e.node });
            }
            this.#save();
            return;
        }
        for (const c of changes) {
            if (c.after.state === 'member' && c.before?.state !== 'member') {
                this.#publish({ type: 'membership', event: 'joining', node: c.node });
                this.#lastStatus.delete(c.node);
                if (c.node !== this.node.name && !this.node.kernel.isConnected(c.node))
                    void this.node.connect(c.node);
                this.#observe(c.node);
            }
            else if (c.after.state === 'removed' && c.before?.state === 'member') {
                this.#lastStatus.delete(c.node);
                this.#publish({ type: 'membership', event: 'leaving', node: c.node });
            }
        }
        if (changes.length > 0) {
            this.#broadcast();
            this.#save();
        }
    }
    #acceptJoin(rawEntries, cluster) {
        if (cluster !== this.cluster)
            throw new JoinError('ERR_JOIN_REFUSED', this.node.name, `cluster ${JSON.stringify(cluster)} cannot join cluster ${JSON.stringify(this.cluster)}`);
        if (this.#local === 'leaving')
            throw new JoinError('ERR_JOIN_BUSY', this.node.name, `${this.node.name} is leaving its cluster`);
        const entries = this.#parseEntries(rawEntries, 'join request');
        const joiner = entries?.[0];
        if (joiner === undefined)
            throw new JoinError('ERR_JOIN_REFUSED', this.node.name, 'join request without the joining node\'s entry');
        const changes = [];
        if (!this.#table.isMember(joiner.node))
            changes.push(this.#table.set(joiner.node, 'member', joiner.guid));
        else
            this.#table.setGuid(joiner.node, joiner.guid);
        this.log.info('member joins', { node: joiner.node });
        this.#afterChange(changes);
        return this.#table.entries();
    }
    #onNodeUp = (e) => {
        if (e.hidden)
            return;
        if (this.#table.isMember(e.node)) {
            this.#gossipTo(e.node);
            this.#observe(e.node);
        }
    };
    #onNodeDown = (e) => {
        this.#observe(e.node);
    };
    /** Dials every member that is down (they come back after a restart or a healed partition). */
    #reachDown() {
        for (const e of this.#table.members()) {
            if (e.node !== this.node.name && !this.node.kernel.isConnected(e.node))
                void this.node.connect(e.node);
        }
    }
    #schedule() {
        if (!this.#running)
            return;
        this.#timer = this.#clock.setTimeout(() => {
            this.#timer = undefined;
            this.#broadcast();
            this.#schedule();
        }, this.#opts.antiEntropy);
    }
    #scheduleReconnect() {
        if (!this.#running)
            return;
        this.#reconnectTimer = this.#clock.setTimeout(() => {
            this.#reconnectTimer = undefined;
            this.#reachDown();
            this.#scheduleReconnect();
        }, this.#opts.reconnect);
    }
    #save() {
        if (this.#store === undefined || this.#saveQueued)
            return;
        this.#saveQueued = true;
        queueMicrotask(() => { this.#flushSave(); });
    }
    #flushSave() {
        if (this.#store === undefined)
            return;
        this.#saveQueued = false;
        try {
            this.#store.save(this.node.name, this.cluster, this.#table.entries());
        }
        catch (err) {
            this.log.error('cannot write the member table', { file: this.#store.file, error: err });
        }
    }
    #registerCtl() {
        const ctl = this.node.ctl;
        ctl.register('cluster status', 'members with status and guid, leader, running / stopped nodes, partitions', (_args, { json }) => {
            const s = this.status();
            return { ok: true, json: s, text: formatStatus(s) };
        });
        ctl.register('cluster join', 'cluster join NODE: join the cluster of NODE', async (args) => {
            if (args.length !== 1)
                return { ok: false, text: 'usage: cluster join NODE' };
            try {
                const r = await this.join(args[0]);
                return { ok: true, text: r === 'joined' ? `joined ${args[0]}` : `already in the cluster of ${args[0]}`, json: { result: r } };
            }
            catch (err) {
                return { ok: false, text: err.message, json: { error: err.code ?? 'ERR', message: err.message } };
            }
        });
        ctl.register('cluster leave', 'leave the cluster', async () => {
            await this.leave();
            return { ok: true, text: 'left the cluster', json: { result: 'left' } };
        });
        ctl.register('cluster force-leave', 'cluster force-leave NODE: remove NODE from the cluster', async (args) => {
            if (args.length !== 1)
                return { ok: false, text: 'usage: cluster force-leave NODE' };
            try {
                const removed = await this.forceLeave(args[0]);
                return { ok: removed, text: removed ? `removed ${args[0]}` : `${args[0]} is not a member`, json: { removed } };
            }
            catch (err) {
                return { ok: false, text: err.message };
            }
        });
    }
}
/** `cluster status` as an operator reads it. */
export function formatStatus(s) {
    const lines = [
        `cluster ${s.cluster} (seen from ${s.node})`,
        `leader: ${s.leader ?? '-'}   coordinator: ${s.coordinator ?? '-'}`,
        `running: ${s.running.join(', ') || '-'}`,
        `stopped: ${s.stopped.join(', ') || '-'}`,
        `partitions: ${s.partitions.join(', ') || '-'}`,
        'members (oldest first):'
    ];
    for (const m of s.members)
        lines.push(`  ${m.node.padEnd(32)} ${m.status.padEnd(8)} ${m.guid}`);
    return lines.join('\n');
}
export { byAge };
//# sourceMappingURL=membership.js.map