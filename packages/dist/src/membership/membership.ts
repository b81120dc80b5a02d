/**
 * Cluster membership (ekka_membership / mria_membership): who is in this
 * node's cluster, how old each member is (its guid), and whether it is up.
 *
 * - The member table (member-table.ts) is replicated by gossip between
 *   members: what changed, on every change; the table, on every nodeup
 *   between members; and every `antiEntropy` ms its digest, which a member
 *   whose table differs answers with its table (so each side of a
 *   difference sends the other its table within one period, and a round
 *   costs n small messages per node instead of n tables of n entries).
 *   It is kept on disk when a data dir is given.
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
import type { Clock, EventStream, Logger, Pid, Runtime, Timer } from '@tekka/actors'
import type { NetView, RpcService } from '../components.js'
import { JoinError } from '../errors.js'
import { makeGuid, ringPosition } from './guid.js'
import { MemberTable, byAge, parseEntry, type Change, type Entry } from './member-table.js'
import { MembershipStore } from './store.js'
import type { ClusterStatus, Member, MemberStatus, MembershipEvent, MembershipOptions, PartitionEventType } from './types.js'

/** What the membership uses of its node. */
export interface MembershipDeps {
  readonly name: string
  readonly runtime: Runtime
  readonly net: NetView
  readonly rpc: RpcService
  readonly events: EventStream
  readonly logger: Logger
  readonly clock: Clock
}

type Subscriber = (e: MembershipEvent) => void

const PROCESS_NAME = 'tekka_membership'

interface Gossip {
  t: 'gossip'
  cluster: string
  from: string
  entries: unknown[]
}

/** The periodic round: what this node's table hashes to (MemberTable.digest). */
interface Digest {
  t: 'digest'
  cluster: string
  from: string
  digest: string
}

export class Membership {
  readonly cluster: string
  readonly log: Logger
  /** This incarnation's guid. */
  readonly guid: string
  #table: MemberTable
  #store: MembershipStore | undefined
  #clock: Clock
  #opts: Required<Omit<MembershipOptions, 'dataDir'>>
  #local: 'joining' | 'leaving' | undefined
  #healing = new Set<string>()
  #partitions = new Set<string>()
  #lastStatus = new Map<string, MemberStatus>()
  #pid: Pid | undefined
  #timer: Timer | undefined
  #reconnectTimer: Timer | undefined
  #running = false
  #saveQueued = false

  readonly #d: MembershipDeps
  readonly #name: string
  #offEvents: (() => void) | undefined

  constructor (deps: MembershipDeps, cluster: string, opts: MembershipOptions = {}) {
    this.#d = deps
    this.#name = deps.name
    const node = { name: deps.name }
    this.cluster = cluster
    this.log = deps.logger
    this.#clock = deps.clock
    this.guid = makeGuid(node.name)
    this.#opts = { antiEntropy: opts.antiEntropy ?? 10_000, reconnect: opts.reconnect ?? 5_000 }
    this.#store = opts.dataDir !== undefined ? new MembershipStore(opts.dataDir, node.name) : undefined
    // Throws (and so fails the node's start) if the stored table cannot be read.
    const stored = this.#store?.load(node.name, cluster)
    this.#table = new MemberTable(node.name, stored ?? [])
    const self = this.#table.get(node.name)
    if (self === undefined || self.state !== 'member') this.#table.set(node.name, 'member', this.guid)
    this.#table.setGuid(node.name, this.guid)
  }

  // ---- lifecycle ---------------------------------------------------------------

  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#pid = this.#d.runtime.spawn(async (ctx) => {
      for (;;) this.#onGossip(await ctx.receive())
    }, { name: PROCESS_NAME })
    const offUp = this.#d.events.on('dist.nodeup', (e) => { this.#onNodeUp(e.peer, e.hidden) })
    const offDown = this.#d.events.on('dist.nodedown', (e) => { this.#observe(e.peer) })
    this.#offEvents = () => { offUp(); offDown() }
    this.#d.rpc.register('tekka.membership.join', (entries: unknown, cluster: unknown) => this.#acceptJoin(entries, cluster))
    this.#d.rpc.register('tekka.membership.status', () => this.status())
    this.#save()
    for (const e of this.#table.members()) this.#lastStatus.set(e.node, this.#statusOf(e.node))
    this.#schedule()
    this.#scheduleReconnect()
    // A node restarted with a member list goes back to its cluster by itself.
    this.#reachDown()
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#offEvents?.()
    this.#offEvents = undefined
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimeout(this.#reconnectTimer)
    this.#timer = this.#reconnectTimer = undefined
    if (this.#pid !== undefined) this.#d.runtime.exit(this.#pid, 'kill')
    this.#pid = undefined
    this.#flushSave()
  }

  // ---- queries -------------------------------------------------------------------

  isMember (node: string): boolean {
    return this.#table.isMember(node)
  }

  /** Members, oldest first. */
  members (): Member[] {
    return this.#table.members().map((e) => ({ node: e.node, guid: e.guid, status: this.#statusOf(e.node), ring: ringPosition(e.node) }))
  }

  localMember (): Member {
    return { node: this.#name, guid: this.guid, status: this.#statusOf(this.#name), ring: ringPosition(this.#name) }
  }

  /** Member names, oldest first; with a status, only those up (`up`) or not up (`down`). */
  nodelist (status?: 'up' | 'down'): string[] {
    return this.members().filter((m) => status === undefined || (status === 'up' ? m.status !== 'down' : m.status === 'down')).map((m) => m.node)
  }

  /** The oldest member, up or down (so the two sides of a partition agree on it). */
  leader (): string | undefined {
    return this.#table.members()[0]?.node
  }

  /** The oldest member that is up. */
  coordinator (): string | undefined {
    return this.members().find((m) => m.status !== 'down')?.node
  }

  partitions (): string[] {
    return [...this.#partitions].sort()
  }

  status (): ClusterStatus {
    const members = this.members()
    return {
      node: this.#name,
      cluster: this.cluster,
      leader: this.leader(),
      coordinator: this.coordinator(),
      members,
      running: members.filter((m) => m.status !== 'down').map((m) => m.node).sort(),
      stopped: members.filter((m) => m.status === 'down').map((m) => m.node).sort(),
      partitions: this.partitions()
    }
  }

  /** The raw replicated entries (members and tombstones), for diagnostics. */
  entries (): Entry[] {
    return this.#table.entries()
  }

  // ---- subscriptions -------------------------------------------------------------

  /**
   * ekka:monitor(membership | partition): membership events (`up`, `down`,
   * `joining`, `leaving`, `healing`) and partition events (`occurred`,
   * `healed`) from the node's event stream, as `{ type: 'membership' |
   * 'partition', event, node }`: a function is called, a pid is sent them.
   * Returns the unsubscribe.
   */
  subscribe (target: Pid | Subscriber): () => void {
    const fn: Subscriber = typeof target === 'function' ? target : (e) => { this.#d.runtime.send(target, e) }
    return this.#d.events.on(['membership.change', 'membership.partition'], (e) => {
      fn(e.type === 'membership.change' ? { type: 'membership', event: e.status, node: e.member } : { type: 'partition', event: e.event, node: e.peer })
    })
  }

  #publish (e: MembershipEvent): void {
    if (e.type === 'membership') this.#d.events.publish('membership.change', { member: e.node, status: e.event }, e.event === 'down' ? 'warn' : 'info')
    // At debug: whoever reports a partition (heal's node monitor) publishes its own event with the reason, which the log shows.
    else this.#d.events.publish('membership.partition', { peer: e.node, event: e.event }, 'debug')
  }

  /** For autoheal: marks `node` healing (or not); publishes `healing`. */
  setHealing (node: string, on: boolean): void {
    if (on === this.#healing.has(node)) return
    if (on) this.#healing.add(node)
    else this.#healing.delete(node)
    this.#observe(node)
  }

  /** For partition detection: records and publishes a partition event. */
  reportPartition (event: PartitionEventType, node: string): void {
    if (event === 'occurred') {
      if (this.#partitions.has(node)) return
      this.#partitions.add(node)
    } else if (!this.#partitions.delete(node)) {
      return
    }
    this.#publish({ type: 'partition', event, node })
  }

  // ---- join / leave --------------------------------------------------------------

  /**
   * Joins the cluster of `seed` (ekka:join). Joining itself, or a node that
   * is already a member, is ignored. A node in another cluster leaves it
   * first. Throws JoinError when the seed cannot be reached or refuses.
   */
  async join (seed: string): Promise<'joined' | 'ignored'> {
    if (seed === this.#name) return 'ignored'
    // A member is only joined already if its own table lists this node too: one
    // that joined another cluster since has dropped this node, and ignores its gossip.
    if (this.#table.isMember(seed) && this.#d.net.nodes().includes(seed) && await this.#listsThisNode(seed)) return 'ignored'
    if (this.#local !== undefined) throw new JoinError('ERR_JOIN_BUSY', seed, `cannot join ${seed}: this node is already ${this.#local}`)
    if (!(await this.#d.net.connect(seed))) {
      const cause = this.#d.net.lastError(seed)
      const refused = cause !== undefined && /ERR_HANDSHAKE_(COOKIE|CLUSTER|VERSION|NAME|REFUSED)/.test((cause as { code?: string }).code ?? '')
      throw new JoinError(refused ? 'ERR_JOIN_REFUSED' : 'ERR_JOIN_UNREACHABLE', seed,
        `cannot join ${seed}: ${cause !== undefined ? cause.message : 'it cannot be reached'}`, cause)
    }
    if (this.#table.isMember(seed) && await this.#listsThisNode(seed)) {
      // A member we had lost touch with: gossip brings us back together.
      this.#gossipTo(seed)
      return 'ignored'
    }
    this.#local = 'joining'
    this.#observe(this.#name)
    try {
      const reply = await this.#d.rpc.call<unknown>(seed, 'tekka.membership.join', [[this.#selfEntry()], this.cluster], { timeout: 15_000 })
      const theirs = this.#parseEntries(reply, seed)
      if (theirs === undefined) throw new JoinError('ERR_JOIN_REFUSED', seed, `cannot join ${seed}: it answered with no member table`)
      // ekka:join: a node leaves the cluster it was in and takes the seed's.
      const old = this.#table.members().map((e) => e.node).filter((n) => n !== this.#name)
      const self = this.#table.get(this.#name)!
      const fresh = new MemberTable(this.#name, [self])
      fresh.merge(theirs)
      this.#table = fresh
      for (const n of old) if (!this.#table.isMember(n)) this.#lastStatus.delete(n)
      this.log.info('joined', { seed, members: this.#table.members().map((e) => e.node) })
      this.#afterChange(theirs.map((e) => ({ node: e.node, before: undefined, after: e })))
      return 'joined'
    } catch (err) {
      if (err instanceof JoinError) throw err
      throw new JoinError('ERR_JOIN_UNREACHABLE', seed, `cannot join ${seed}: ${(err as Error).message}`, err)
    } finally {
      this.#local = undefined
      this.#observe(this.#name)
    }
  }

  /** Leaves the cluster (ekka:leave): every member is told; this node becomes a cluster of one. */
  async leave (): Promise<void> {
    const others = this.#table.members().filter((e) => e.node !== this.#name)
    if (others.length === 0) return
    this.#local = 'leaving'
    this.#observe(this.#name)
    const tomb = this.#table.set(this.#name, 'removed', this.guid)
    const gossip = this.#gossip()
    for (const e of others) this.#d.runtime.send({ name: PROCESS_NAME, node: e.node }, gossip)
    // Give the tombstone a round trip to the members that are up before letting go.
    await Promise.all(others.filter((e) => this.#d.net.nodes().includes(e.node))
      .map(async (e) => await this.#d.rpc.call(e.node, 'tekka.ping', [], { timeout: 3000 }).catch(() => undefined)))
    const self: Entry = { ...tomb.after, state: 'member', version: tomb.after.version + 1, at: Date.now() }
    this.#table.reset(self)
    this.#local = undefined
    this.log.info('left the cluster', { members: others.map((e) => e.node) })
    for (const e of others) {
      this.#lastStatus.delete(e.node)
      this.#publish({ type: 'membership', event: 'leaving', node: e.node })
    }
    this.#observe(this.#name)
    this.#save()
  }

  /** Removes `node` from the cluster everywhere (ekka:force_leave); for a member that is down. */
  async forceLeave (node: string): Promise<boolean> {
    if (node === this.#name) throw new JoinError('ERR_JOIN_REFUSED', node, 'force-leave of this node itself: use leave')
    if (!this.#table.isMember(node)) return false
    const change = this.#table.set(node, 'removed')
    if (this.#d.net.nodes().includes(node)) {
      // ekka: a member that is up is told to leave too.
      this.#d.runtime.send({ name: PROCESS_NAME, node }, this.#gossip())
    }
    this.#afterChange([change])
    return true
  }

  // ---- internals -----------------------------------------------------------------

  /** Whether `node`'s own member table lists this node; true when it cannot be asked (then nothing changes). */
  async #listsThisNode (node: string): Promise<boolean> {
    try {
      const s = await this.#d.rpc.call<{ members?: unknown }>(node, 'tekka.membership.status', [], { timeout: 5000 })
      return !Array.isArray(s?.members) || s.members.some((m) => (m as { node?: unknown } | null)?.node === this.#name)
    } catch {
      return true
    }
  }

  #selfEntry (): Entry {
    return this.#table.get(this.#name)!
  }

  #statusOf (node: string): MemberStatus {
    if (this.#healing.has(node)) return 'healing'
    if (node === this.#name) return this.#local ?? 'up'
    return this.#d.net.isConnected(node) ? 'up' : 'down'
  }

  /** Publishes a status change of `node`, if there is one. */
  #observe (node: string): void {
    if (!this.#table.isMember(node)) return
    const now = this.#statusOf(node)
    const before = this.#lastStatus.get(node)
    if (now === before) return
    this.#lastStatus.set(node, now)
    this.#publish({ type: 'membership', event: now, node })
  }

  #gossip (): Gossip {
    return { t: 'gossip', cluster: this.cluster, from: this.#name, entries: this.#table.entries() }
  }

  #gossipTo (node: string): void {
    if (node !== this.#name) this.#d.runtime.send({ name: PROCESS_NAME, node }, this.#gossip())
  }

  /**
   * Sends the table, or only `entries` (what just changed: merging is per
   * entry, so the rest adds nothing a member has not had already and the
   * periodic round brings whatever it missed), to every member with a link.
   * A full table to every member on every change made forming a cluster of
   * n nodes cost n^4 entries on the wire; deltas make it n^3.
   */
  #broadcast (entries?: Entry[]): void {
    const g: Gossip = { t: 'gossip', cluster: this.cluster, from: this.#name, entries: entries ?? this.#table.entries() }
    for (const e of this.#table.members()) if (e.node !== this.#name && this.#d.net.isConnected(e.node)) this.#d.runtime.send({ name: PROCESS_NAME, node: e.node }, g)
  }

  #broadcastDigest (): void {
    const d: Digest = { t: 'digest', cluster: this.cluster, from: this.#name, digest: this.#table.digest() }
    for (const e of this.#table.members()) if (e.node !== this.#name && this.#d.net.isConnected(e.node)) this.#d.runtime.send({ name: PROCESS_NAME, node: e.node }, d)
  }

  #parseEntries (raw: unknown, from: string): Entry[] | undefined {
    if (!Array.isArray(raw)) return undefined
    const out: Entry[] = []
    for (const r of raw) {
      const e = parseEntry(r)
      if (e === undefined) {
        this.log.warn('malformed member entry ignored', { from, entry: JSON.stringify(r)?.slice(0, 200) })
        continue
      }
      out.push(e)
    }
    return out
  }

  #onGossip (m: unknown): void {
    const g = m as Partial<Gossip> & Partial<Digest>
    const digest = g?.t === 'digest' && typeof g.digest === 'string'
    if (typeof g !== 'object' || g === null || (g.t !== 'gossip' && !digest) || typeof g.from !== 'string') {
      this.log.warn('unexpected message to the membership process', { msg: JSON.stringify(m)?.slice(0, 200) })
      return
    }
    if (g.cluster !== this.cluster) {
      this.log.warn('gossip from another cluster ignored', { from: g.from, cluster: g.cluster })
      return
    }
    // Only members gossip to each other; anything else is stale (a node that left, or was removed).
    if (!this.#table.isMember(g.from)) {
      this.log.debug('gossip from a non-member ignored', { from: g.from })
      return
    }
    if (digest) {
      // A member whose table differs gets ours; its own round brings us its.
      if (g.digest !== this.#table.digest()) this.#gossipTo(g.from)
      return
    }
    const theirs = this.#parseEntries(g.entries, g.from)
    if (theirs === undefined) return
    this.#afterChange(this.#table.merge(theirs))
  }

  /** After the table changed: react to removals of this node, publish, persist, reach new members. */
  #afterChange (changes: readonly Change[]): void {
    const selfChange = changes.find((c) => c.node === this.#name && c.after.state === 'removed')
    if (selfChange !== undefined) {
      // Someone force-left this node: it is a cluster of its own now.
      this.log.warn('removed from the cluster by another member', { by: selfChange.after.by })
      const others = this.#table.members().filter((e) => e.node !== this.#name)
      this.#table.reset({ ...selfChange.after, state: 'member', version: selfChange.after.version + 1, by: this.#name, guid: this.guid, at: Date.now() })
      for (const e of others) {
        this.#lastStatus.delete(e.node)
        this.#publish({ type: 'membership', event: 'leaving', node: e.node })
      }
      this.#save()
      return
    }
    for (const c of changes) {
      if (c.after.state === 'member' && c.before?.state !== 'member') {
        this.#publish({ type: 'membership', event: 'joining', node: c.node })
        this.#lastStatus.delete(c.node)
        if (c.node !== this.#name && !this.#d.net.isConnected(c.node)) void this.#d.net.connect(c.node)
        this.#observe(c.node)
      } else if (c.after.state === 'removed' && c.before?.state === 'member') {
        this.#lastStatus.delete(c.node)
        this.#publish({ type: 'membership', event: 'leaving', node: c.node })
      }
    }
    if (changes.length > 0) {
      this.#broadcast(changes.map((c) => this.#table.get(c.node) ?? c.after))
      this.#save()
    }
  }

  #acceptJoin (rawEntries: unknown, cluster: unknown): Entry[] {
    if (cluster !== this.cluster) throw new JoinError('ERR_JOIN_REFUSED', this.#name, `cluster ${JSON.stringify(cluster)} cannot join cluster ${JSON.stringify(this.cluster)}`)
    if (this.#local === 'leaving') throw new JoinError('ERR_JOIN_BUSY', this.#name, `${this.#name} is leaving its cluster`)
    const entries = this.#parseEntries(rawEntries, 'join request')
    const joiner = entries?.[0]
    if (joiner === undefined) throw new JoinError('ERR_JOIN_REFUSED', this.#name, 'join request without the joining node\'s entry')
    const changes: Change[] = []
    if (!this.#table.isMember(joiner.node)) changes.push(this.#table.set(joiner.node, 'member', joiner.guid))
    else this.#table.setGuid(joiner.node, joiner.guid)
    this.log.info('member joins', { node: joiner.node })
    this.#afterChange(changes)
    return this.#table.entries()
  }

  #onNodeUp (peer: string, hidden: boolean): void {
    if (hidden) return
    if (this.#table.isMember(peer)) {
      this.#gossipTo(peer)
      this.#observe(peer)
    }
  }

  /** Dials every member that is down (they come back after a restart or a healed partition). */
  #reachDown (): void {
    for (const e of this.#table.members()) {
      if (e.node !== this.#name && !this.#d.net.isConnected(e.node)) void this.#d.net.connect(e.node)
    }
  }

  #schedule (): void {
    if (!this.#running) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#broadcastDigest()
      this.#schedule()
    }, this.#opts.antiEntropy)
  }

  #scheduleReconnect (): void {
    if (!this.#running) return
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined
      this.#reachDown()
      this.#scheduleReconnect()
    }, this.#opts.reconnect)
  }

  #save (): void {
    if (this.#store === undefined || this.#saveQueued) return
    this.#saveQueued = true
    queueMicrotask(() => { this.#flushSave() })
  }

  #flushSave (): void {
    if (this.#store === undefined) return
    this.#saveQueued = false
    try {
      this.#store.save(this.#name, this.cluster, this.#table.entries())
    } catch (err) {
      this.log.error('cannot write the member table', { file: this.#store.file, error: err as Error })
    }
  }
}

export { byAge }
