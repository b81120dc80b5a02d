/**
 * The node monitor (ekka_node_monitor): an actor on every node, under the
 * heal supervisor, that follows the links to the members and decides what
 * a lost link was.
 *
 * - A member goes down: after `probeDelay` others are asked about it (the
 *   indirect probe). If one of them still has a link to the same
 *   incarnation, the failure is on this side's link, not a dead node: a
 *   partial partition. The answer is logged, published and used by
 *   autoclean, which never removes a member that others still reach.
 * - A member that went down comes back with the same `creation`: neither
 *   side restarted, both kept running apart: a partition. It is recorded
 *   (and shown by `cluster status`), the peer is told so it records it too,
 *   and the partition is reported to the leader (autoheal). A member that
 *   comes back with a new creation restarted: not a partition, and any
 *   partition recorded with its old incarnation is over.
 * - Down members are dialled every `reconnect` ms, so the end of a
 *   partition is noticed soon.
 *
 * What is seen and recorded lives in the PartitionTracker, outside the
 * actor: the link listeners update it synchronously (no event can be lost
 * while the actor restarts), and a restarted actor carries on with it.
 */
import type { Clock, GenServer, Logger, Pid, ProcessContext, Timer } from '@tekka/actors'
import { noreply } from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import { MONITOR_NAME, RPC, type HealEvent, type HealOptions, type ProbeResult } from './types.js'

interface Seen {
  creation: number
  up: boolean
  /** Clock ms of the last change. */
  at: number
}

export type UpVerdict = 'first' | 'up' | 'partition' | 'restarted'

/** What this node has seen of each peer's incarnation, and the partitions it recorded. */
export class PartitionTracker {
  readonly #node: DistNode
  readonly #clock: Clock
  readonly #publish: (e: HealEvent) => void
  readonly #seen = new Map<string, Seen>()
  readonly #partitions = new Map<string, { since: number, reason: string }>()
  readonly #probes = new Map<string, { result: ProbeResult, at: number }>()
  #lastChange: number
  readonly #startedAt: number

  constructor (node: DistNode, clock: Clock, publish: (e: HealEvent) => void) {
    this.#node = node
    this.#clock = clock
    this.#publish = publish
    this.#startedAt = this.#lastChange = clock.now()
    // Links that are up already (the service started after the node).
    for (const n of node.nodes()) {
      const info = node.kernel.peerInfo(n)
      if (info !== undefined) this.#seen.set(n, { creation: info.creation, up: true, at: this.#lastChange })
    }
    // Partitions recorded by an earlier instance of the service.
    for (const n of node.membership.partitions()) this.#partitions.set(n, { since: this.#lastChange, reason: 'recorded before start' })
  }

  /** A link came up: was it a partition that ended? */
  nodeUp (node: string, creation: number): UpVerdict {
    const before = this.#seen.get(node)
    const now = this.#clock.now()
    this.#seen.set(node, { creation, up: true, at: now })
    // Only links between members count as changes (a stranger dialling in does not delay a heal).
    if (this.#node.membership.isMember(node)) this.#lastChange = now
    this.#probes.delete(node)
    if (before === undefined) return 'first'
    if (before.creation !== creation) {
      this.clear(node, 'it restarted (new incarnation)')
      return 'restarted'
    }
    if (before.up) return 'up'
    if (!this.#node.membership.isMember(node)) return 'up'
    this.record(node, 'it came back with the same incarnation: both sides kept running apart')
    return 'partition'
  }

  nodeDown (node: string): void {
    const s = this.#seen.get(node)
    const now = this.#clock.now()
    if (s !== undefined) this.#seen.set(node, { ...s, up: false, at: now })
    if (this.#node.membership.isMember(node)) this.#lastChange = now
  }

  /** The incarnation last seen of `node`, and whether its link is up. */
  seen (node: string): Readonly<Seen> | undefined {
    return this.#seen.get(node)
  }

  /** Since when (clock ms) `node` has been down here; the service start if it was never seen. */
  downSince (node: string): number {
    const s = this.#seen.get(node)
    return s === undefined ? this.#startedAt : s.up ? this.#clock.now() : s.at
  }

  partitions (): string[] {
    return [...this.#partitions.keys()].sort()
  }

  has (node: string): boolean {
    return this.#partitions.has(node)
  }

  /** Records a partition with `node`; false if it was recorded already. */
  record (node: string, reason: string): boolean {
    if (this.#partitions.has(node)) return false
    this.#partitions.set(node, { since: this.#clock.now(), reason })
    this.#lastChange = this.#clock.now()
    this.#node.membership.reportPartition('occurred', node)
    this.#publish({ type: 'partition', event: 'occurred', node, reason })
    return true
  }

  /** Drops the partition with `node`; false if there was none. */
  clear (node: string, reason: string): boolean {
    if (!this.#partitions.delete(node)) return false
    this.#lastChange = this.#clock.now()
    this.#node.membership.reportPartition('healed', node)
    this.#publish({ type: 'partition', event: 'healed', node, reason })
    return true
  }

  /** Drops every partition (a node rebooted by autoheal); returns those dropped. */
  reset (reason: string): string[] {
    const all = this.partitions()
    for (const n of all) this.clear(n, reason)
    return all
  }

  /** ms since the last link change or partition record here. */
  quietFor (): number {
    return this.#clock.now() - this.#lastChange
  }

  setProbe (node: string, result: ProbeResult): void {
    this.#probes.set(node, { result, at: this.#clock.now() })
  }

  probe (node: string): { result: ProbeResult, at: number } | undefined {
    return this.#probes.get(node)
  }

  forget (node: string): void {
    this.#probes.delete(node)
  }
}

/**
 * Member names from the member table as it is: no ring positions computed,
 * no sorting (what the frequent checks need; `members()` is for age order).
 */
export function memberNames (node: DistNode): string[] {
  const out: string[] = []
  for (const e of node.membership.entries()) if (e.state === 'member') out.push(e.node)
  return out.sort()
}

/** A probe answer: does the asked node have a link to `node`, and to which incarnation. */
export interface ProbeAnswer { node: string, up: boolean, creation?: number }

/**
 * The indirect probe (ekka's suspect / confirm): asks up to three other
 * members that are up whether they reach `target`.
 */
export async function probe (node: DistNode, target: string, known: number | undefined, opts: HealOptions): Promise<{ result: ProbeResult, answers: ProbeAnswer[] }> {
  const askers = memberNames(node).filter((m) => m !== node.name && m !== target && node.kernel.isConnected(m)).slice(0, 3)
  if (askers.length === 0) return { result: 'unknown', answers: [] }
  const replies = await node.multicall<ProbeAnswer>(askers, RPC.probe, [target], { timeout: opts.rpcTimeout })
  const answers: ProbeAnswer[] = []
  for (const r of replies) {
    if (!r.ok) continue
    const v = r.value as Partial<ProbeAnswer> | undefined
    if (typeof v !== 'object' || v === null || typeof v.up !== 'boolean') continue
    answers.push({ node: r.node, up: v.up, ...(typeof v.creation === 'number' ? { creation: v.creation } : {}) })
  }
  if (answers.length === 0) return { result: 'unknown', answers }
  if (answers.some((a) => a.up && (known === undefined || a.creation === known))) return { result: 'unreachable_here', answers }
  if (answers.some((a) => a.up)) return { result: 'restarted', answers }
  return { result: 'down', answers }
}

/** The probe as the asked node answers it: a link it has, or one it can make within `ms`. */
export async function answerProbe (ctx: ProcessContext, node: DistNode, target: string, ms: number): Promise<ProbeAnswer> {
  if (typeof target !== 'string') throw new TypeError('probe: a node name is needed')
  if (target !== node.name && !node.kernel.isConnected(target) && node.membership.isMember(target)) {
    await Promise.race([node.connect(target), ctx.sleep(ms)])
  }
  const info = node.kernel.peerInfo(target)
  return info !== undefined ? { node: node.name, up: true, creation: info.creation } : { node: node.name, up: false }
}

// ---- the actor -------------------------------------------------------------------

/** What the monitor is told: link changes, reports, timers and its workers' results. */
export type MonitorMsg =
  | { t: 'nodeup', node: string, creation: number, verdict: UpVerdict }
  | { t: 'nodedown', node: string, reason: string }
  | { t: 'left', node: string }
  | { t: 'tick' }
  | { t: 'probe', node: string }
  | { t: 'report', from: string, partitions: string[], forwarded?: boolean }
  | { t: 'partition_with', from: string, creation: number, yours: number }
  | { t: 'round' }
  | { t: 'worker_done', kind: 'probe' | 'round' | 'autoclean' }

/** What the monitor needs from the service that owns it. */
export interface MonitorHost {
  readonly node: DistNode
  readonly opts: HealOptions
  readonly log: Logger
  readonly clock: Clock
  readonly tracker: PartitionTracker
  publish(e: HealEvent): void
  /** Called on a detected partition: tell the leader. */
  reportNow(): void
  /** Periodic work: reports while partitions remain, autoclean. */
  onTick(ctx: ProcessContext): void
  onReport(ctx: ProcessContext, from: string, partitions: string[], forwarded: boolean): void
  onRound(ctx: ProcessContext): void
  onMemberLeft(node: string): void
}

interface MonitorState {
  host: MonitorHost
  tick: Timer | undefined
  probes: Map<string, Timer>
}

function isMsg (m: unknown): m is MonitorMsg {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string'
}

/** The node monitor's behaviour; `startGenServer(ctx, monitorServer, host, { name: MONITOR_NAME, link: true })`. */
export const monitorServer: GenServer<MonitorState, never, never, never, MonitorHost> = {
  init (host, ctx) {
    const state: MonitorState = { host, tick: undefined, probes: new Map() }
    armTick(state, ctx)
    return state
  },

  handleInfo (msg, state, ctx) {
    if (!isMsg(msg)) {
      state.host.log.debug('unexpected message to the node monitor', { msg: JSON.stringify(msg)?.slice(0, 200) })
      return noreply(state)
    }
    const { host } = state
    const { node, log } = host
    switch (msg.t) {
      case 'nodeup': {
        const p = state.probes.get(msg.node)
        if (p !== undefined) { host.clock.clearTimeout(p); state.probes.delete(msg.node) }
        if (msg.verdict === 'partition') {
          log.warn('partition detected: a member that was down came back with the same incarnation', {
            peer: msg.node, creation: msg.creation, partitions: host.tracker.partitions()
          })
          // Both sides record it, even one that did not see the link go down.
          ctx.send({ name: MONITOR_NAME, node: msg.node }, { t: 'partition_with', from: node.name, creation: node.creation, yours: msg.creation })
          host.reportNow()
        } else if (msg.verdict === 'restarted') {
          log.info('member restarted (new incarnation): not a partition', { peer: msg.node, creation: msg.creation })
        }
        break
      }
      case 'nodedown':
        if (node.membership.isMember(msg.node) && msg.reason !== 'disconnect' && !state.probes.has(msg.node)) {
          const timer = host.clock.setTimeout(() => {
            state.probes.delete(msg.node)
            node.send({ name: MONITOR_NAME, node: node.name }, { t: 'probe', node: msg.node })
          }, host.opts.probeDelay)
          state.probes.set(msg.node, timer)
        }
        break
      case 'left':
        host.onMemberLeft(msg.node)
        break
      case 'probe':
        if (!node.kernel.isConnected(msg.node) && node.membership.isMember(msg.node)) runProbe(host, ctx, msg.node)
        break
      case 'partition_with': {
        const seen = host.tracker.seen(msg.from)
        if (msg.yours === node.creation && seen?.up === true && seen.creation === msg.creation && node.membership.isMember(msg.from) &&
            host.tracker.record(msg.from, 'the peer detected it (it saw this link go down and come back)')) {
          log.warn('partition reported by the peer', { peer: msg.from })
          host.reportNow()
        }
        break
      }
      case 'tick':
        state.tick = undefined
        for (const m of memberNames(node)) if (m !== node.name && !node.kernel.isConnected(m)) void node.connect(m)
        host.onTick(ctx)
        armTick(state, ctx)
        break
      case 'report':
        if (typeof msg.from === 'string' && Array.isArray(msg.partitions)) host.onReport(ctx, msg.from, msg.partitions.filter((x) => typeof x === 'string'), msg.forwarded === true)
        break
      case 'round':
        host.onRound(ctx)
        break
      case 'worker_done':
        break
    }
    return noreply(state)
  },

  terminate (_reason, state) {
    if (state.tick !== undefined) state.host.clock.clearTimeout(state.tick)
    for (const t of state.probes.values()) state.host.clock.clearTimeout(t)
  }
}

function armTick (state: MonitorState, ctx: ProcessContext): void {
  const self: Pid = ctx.self
  state.tick = state.host.clock.setTimeout(() => { ctx.runtime.send(self, { t: 'tick' }) }, state.host.opts.reconnect)
}

function runProbe (host: MonitorHost, ctx: ProcessContext, target: string): void {
  const known = host.tracker.seen(target)?.creation
  ctx.spawn(async () => {
    const { result, answers } = await probe(host.node, target, known, host.opts)
    if (host.node.kernel.isConnected(target)) return // back meanwhile: the answer is stale
    host.tracker.setProbe(target, result)
    const fields = { peer: target, result, answers: answers.map((a) => `${a.node}:${a.up ? 'up' : 'down'}`).join(',') }
    if (result === 'unreachable_here') host.log.warn('member unreachable from here but up for others: a link failure on this side, not a dead node', fields)
    else host.log.info('member down', fields)
    host.publish({ type: 'probe', node: target, result, answers })
  })
}
