/**
 * The autocluster actor (ekka_autocluster): a supervised process that,
 * every `interval` ms until the work is done, runs one round:
 *
 *   discover → lock (or a random pause, when the strategy has no lock)
 *   → reach every discovered node and ask its member status
 *   → join the first-ranked node (plan.ts) → register → unlock (always)
 *
 * and stops when this node is registered, and every discovered node answers
 * and is in this node's cluster (both member tables list each other). With
 * nothing discovered, being registered is enough: the others come to it.
 *
 * Whatever the strategy does — throws, hangs, answers garbage — is logged
 * with its cause and the round is retried at the next interval; every call
 * into it is bounded by `callTimeout`. A bug that crashes the actor anyway
 * is the supervisor's business: it is restarted.
 *
 * When this node leaves its cluster (`cluster leave`) the actor unregisters
 * it from the strategy and stops (it would otherwise join again at the next
 * round); `enable()` starts it over. It unregisters on `stop()` too.
 */
import { EventEmitter, setMaxListeners } from 'node:events'
import {
  TIMEOUT, formatReason, startSupervisor, stopServer,
  type Clock, type Logger, type Pid, type ProcessContext, type Timer
} from '@tekka/actors'
import type { DistNode, MembershipEvent } from '@tekka/dist'
import { bounded } from './bounded.js'
import { BadStrategyResultError, StrategyTimeoutError } from './errors.js'
import { checkDiscovered, describe, type Skipped } from './names.js'
import { decide, isComplete, parsePeerStatus, type Decision, type PeerView, type SelfView } from './plan.js'
import type { Strategy } from './strategy.js'
import { registerAutoclusterCtl } from './autocluster-ctl.js'

/** Time a strategy call gets on top of its own `callTime`. */
const CALL_SLACK = 5000

export interface AutoclusterInit {
  /** ms between rounds until the work is done (`cluster.autocluster_interval`). Default 5000. */
  interval?: number
  /** ms each strategy call may take before it counts as failed. Default 10000; for a strategy with a `callTime`, at least that + 5000. */
  callTimeout?: number
  /** ms to reach a discovered node and get its member status. Default 5000. */
  probeTimeout?: number
  /**
   * Once a node in a cluster has answered, ms to wait for the others before
   * deciding with the answers there are: joining any member of a cluster
   * joins the cluster, and a node started into a busy cluster should not wait
   * for every link to come up first. The round is not complete until every
   * node answered. Default: a quarter of the interval, at most 1000.
   */
  probeGrace?: number
  /**
   * Most ms of the random pause before joining when the strategy has no
   * lock (ekka sleeps up to 3 s), so nodes started together do not all join
   * at once. Default: half the interval, at most 3000.
   */
  jitter?: number
  /** Start enabled. Default true. */
  enabled?: boolean
  /** Register `autocluster status | enable | disable` with the node's ctl. Default true. */
  ctl?: boolean
}

export interface AutoclusterComponents {
  readonly node: DistNode
  /** A strategy not started yet: the actor starts and stops it. */
  readonly strategy: Strategy
  /** Default: the node's logger, `tekka:discovery:autocluster`. */
  readonly logger?: Logger
}

/**
 * - `running`: rounds every interval
 * - `complete`: the work is done; nothing runs until `enable()`
 * - `left`: this node left its cluster; nothing runs until `enable()`
 * - `crashed`: the supervisor gave up restarting the actor
 * - `stopped`: not started, or stopped
 */
export type AutoclusterState = 'running' | 'complete' | 'left' | 'crashed' | 'stopped'

/** What one round saw and did. Also the payload of the `round` event. */
export interface RoundReport {
  readonly round: number
  /** Wall-clock ms when it started. */
  readonly at: number
  /** How long it took, in ms of the node's clock. */
  duration: number
  /** Well-formed names discovered, without this node. */
  discovered: string[]
  /** Discovered items that are not node names, and why. */
  skipped: Skipped[]
  /** Discovered nodes that answered their member status. */
  alive: string[]
  /** Discovered nodes that could not be reached or did not answer, and why. */
  dead: Array<{ node: string, why: string }>
  /** Discovered nodes still being reached when the round decided (see `probeGrace`). */
  pending: string[]
  /** `taken` / `held elsewhere` when the strategy has a lock. */
  lock?: 'taken' | 'held elsewhere'
  decision?: Decision
  /** The node joined this round. */
  joined?: string
  registered: boolean
  complete: boolean
  /** Set when the round failed: the cause. */
  error?: string
  /** Set when the round was cut short (disabled, left, stopped). */
  cancelled?: string
}

export interface AutoclusterStatus {
  readonly node: string
  readonly strategy: string
  readonly enabled: boolean
  readonly state: AutoclusterState
  readonly interval: number
  readonly rounds: number
  /** The actor's pid while it runs. */
  readonly pid: string | undefined
  readonly last: RoundReport | undefined
}

type ActorMsg = { t: 'autocluster.kick' } | { t: 'autocluster.unregister' }
const isActorMsg = (m: unknown): m is ActorMsg => {
  const t = (m as { t?: unknown } | null)?.t
  return t === 'autocluster.kick' || t === 'autocluster.unregister'
}

const STATUS_RPC = 'tekka.membership.status'

/**
 * The autocluster controller: owns the strategy's life, the supervisor and
 * the actor under it, and the ctl commands. Events: `round` (RoundReport),
 * `join` ({ node, reason }), `complete` (RoundReport), `left`, `crashed`.
 */
export class Autocluster extends EventEmitter {
  readonly node: DistNode
  readonly strategy: Strategy
  readonly log: Logger
  readonly interval: number
  readonly callTimeout: number
  readonly probeTimeout: number
  readonly probeGrace: number
  readonly jitter: number
  readonly #clock: Clock
  readonly #useCtl: boolean
  #enabled: boolean
  #state: AutoclusterState = 'stopped'
  #running = false
  #starting: Promise<void> | undefined
  #sup: Pid | undefined
  #pid: Pid | undefined
  #rounds = 0
  #last: RoundReport | undefined
  #abort = new AbortController()
  #cleanup: Array<() => void> = []
  // What was last logged, so a condition that persists is logged once, not every round.
  #said = new Map<string, string>()

  constructor (init: AutoclusterInit, components: AutoclusterComponents) {
    super()
    this.node = components.node
    this.strategy = components.strategy
    this.log = components.logger ?? components.node.log.child('discovery').child('autocluster')
    this.#clock = components.node.runtime.clock
    // Defaults in one place.
    this.interval = positive(init.interval, 5000, 'interval')
    const callTimeout = positive(init.callTimeout, 10_000, 'callTimeout')
    this.callTimeout = this.strategy.callTime === undefined ? callTimeout : Math.max(callTimeout, this.strategy.callTime + CALL_SLACK)
    this.probeTimeout = positive(init.probeTimeout, 5000, 'probeTimeout')
    this.probeGrace = init.probeGrace === undefined ? Math.min(1000, Math.floor(this.interval / 4)) : nonNegative(init.probeGrace, 'probeGrace')
    this.jitter = init.jitter === undefined ? Math.min(3000, Math.floor(this.interval / 2)) : nonNegative(init.jitter, 'jitter')
    this.#enabled = init.enabled ?? true
    this.#useCtl = init.ctl ?? true
  }

  get enabled (): boolean { return this.#enabled }
  get state (): AutoclusterState { return this.#state }
  /** The actor's current pid (a new one after each restart). */
  get pid (): Pid | undefined { return this.#pid }
  get supervisor (): Pid | undefined { return this.#sup }

  // ---- lifecycle -----------------------------------------------------------------

  async start (): Promise<void> {
    if (this.#running) return await this.#starting
    this.#running = true
    this.#state = 'running'
    this.#abort = new AbortController()
    // Every probe and strategy call of a round listens on it: one per discovered node.
    setMaxListeners(0, this.#abort.signal)
    this.#starting = this.#start()
    await this.#starting
  }

  async #start (): Promise<void> {
    const self = this.node.name
    if (this.#useCtl) this.#cleanup.push(registerAutoclusterCtl(this.node.ctl, this))
    this.#cleanup.push(this.node.membership.subscribe((e: MembershipEvent) => {
      if (e.type === 'membership' && e.event === 'leaving' && e.node === self) this.#onLeft()
    }))
    if (typeof this.strategy.start === 'function') {
      try {
        await this.#call('start', () => this.strategy.start?.())
      } catch (err) {
        // Not fatal: discover fails (and is retried) until the strategy's server is there.
        this.log.error(`strategy ${this.strategy.name} failed to start: ${message(err)}`, { error: err as Error })
      }
    }
    if (!this.#running) return
    const sup = await startSupervisor(this.node.runtime, {
      strategy: 'one_for_one',
      // A bug that crashes every round still gets a few chances a minute.
      intensity: 5,
      period: 60_000,
      children: [{
        id: 'autocluster',
        start: (ctx) => {
          const pid = ctx.spawnLink(async (c) => { await this.#loop(c) })
          this.#pid = pid
          return pid
        },
        shutdown: 'brutal_kill'
      }]
    })
    this.#sup = sup
    if (!this.#running) {
      await stopServer(this.node.runtime, sup, 'shutdown').catch(() => {})
      return
    }
    void this.node.runtime.wait(sup).then((reason) => {
      if (!this.#running || this.#sup !== sup) return
      this.#state = 'crashed'
      this.#pid = undefined
      this.log.error(`autocluster supervisor ended (${formatReason(reason)}): no more rounds on this node until it restarts`, { reason: formatReason(reason) })
      this.emit('crashed', reason)
    })
    this.log.info(`autocluster started: strategy ${this.strategy.name}, every ${this.interval} ms${this.#enabled ? '' : ' (disabled)'}`)
  }

  /** Stops the actor, unregisters this node from the strategy and stops the strategy. */
  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#starting?.catch(() => {})
    this.#state = 'stopped'
    for (const undo of this.#cleanup.splice(0).reverse()) undo()
    const sup = this.#sup
    this.#sup = this.#pid = undefined
    if (sup !== undefined && this.node.runtime.isAlive(sup)) await stopServer(this.node.runtime, sup, 'shutdown').catch(() => {})
    await this.#unregister('the node stops')
    this.#abort.abort(new Error('autocluster stopped'))
    if (typeof this.strategy.stop === 'function') {
      try {
        await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, 'stop', this.callTimeout), () => this.strategy.stop?.())
      } catch (err) {
        this.log.warn(`strategy ${this.strategy.name} failed to stop: ${message(err)}`, { error: err as Error })
      }
    }
  }

  // ---- control -------------------------------------------------------------------

  /** Lets the actor join nodes again, and runs a round now (also after it completed, or after a leave). */
  enable (): void {
    this.#enabled = true
    if (!this.#running || this.#state === 'crashed') return
    this.#state = 'running'
    this.log.info('autocluster enabled')
    this.#kick()
  }

  /** No more rounds (a round in progress stops before it joins) until `enable()`. */
  disable (): void {
    if (!this.#enabled) return
    this.#enabled = false
    this.log.info('autocluster disabled')
  }

  status (): AutoclusterStatus {
    return {
      node: this.node.name,
      strategy: this.strategy.name,
      enabled: this.#enabled,
      state: this.#state,
      interval: this.interval,
      rounds: this.#rounds,
      pid: this.#pid?.toString(),
      last: this.#last
    }
  }

  #kick (): void {
    const pid = this.#pid
    if (pid !== undefined && this.node.runtime.isAlive(pid)) this.node.runtime.send(pid, { t: 'autocluster.kick' })
  }

  #wants (): boolean {
    return this.#running && this.#enabled && this.#state === 'running'
  }

  #onLeft (): void {
    if (!this.#running) return
    if (this.#state === 'running' || this.#state === 'complete') this.#state = 'left'
    this.log.info('this node left its cluster: autocluster stops (autocluster enable starts it again); unregistering')
    this.emit('left')
    // Through the actor, so it cannot cross a register() of a round in progress.
    const pid = this.#pid
    if (pid !== undefined && this.node.runtime.isAlive(pid)) this.node.runtime.send(pid, { t: 'autocluster.unregister' })
    else void this.#unregister('the node left its cluster')
  }

  // ---- the actor -----------------------------------------------------------------

  async #loop (ctx: ProcessContext): Promise<void> {
    for (;;) {
      if (this.#wants()) await this.#round(ctx)
      if (!ctx.alive) return
      const m = this.#wants()
        ? await ctx.receive(isActorMsg, { timeout: this.interval })
        : await ctx.receive(isActorMsg)
      if (m === TIMEOUT) continue
      if (m.t === 'autocluster.unregister') await this.#unregister('the node left its cluster')
      // Several kicks in a row ask for one round.
      while (await ctx.receive((x: unknown): x is ActorMsg => isActorMsg(x) && x.t === 'autocluster.kick', { timeout: 0 }) !== TIMEOUT);
    }
  }

  async #round (ctx: ProcessContext): Promise<void> {
    const n = ++this.#rounds
    const began = this.#clock.now()
    const self = this.node.name
    const s = this.strategy
    const r: RoundReport = { round: n, at: Date.now(), duration: 0, discovered: [], skipped: [], alive: [], dead: [], pending: [], registered: false, complete: false }
    const cut = (): boolean => {
      if (ctx.alive && this.#wants()) return false
      r.cancelled = !this.#running ? 'stopped' : !this.#enabled ? 'disabled' : this.#state === 'left' ? 'the node left its cluster' : 'the actor ended'
      return true
    }
    let lockCalled = false
    try {
      // 1. discover
      const raw = await this.#call('discover', (signal) => s.discover({ signal }))
      if (cut()) return
      const checked = checkDiscovered(raw, self)
      if (typeof checked === 'string') throw new BadStrategyResultError(s.name, 'discover', checked)
      r.discovered = checked.nodes
      r.skipped = checked.skipped
      this.#sayOnce('discovered', checked.nodes.join(','), 'info', () =>
        `${s.name} discovered ${checked.nodes.length === 0 ? 'no other node' : checked.nodes.join(', ')}`, { nodes: checked.nodes })
      this.#sayOnce('skipped', JSON.stringify(checked.skipped), 'warn', () =>
        `${s.name} discovered items that are not node names, skipped: ${checked.skipped.map((x) => `${x.item} (${x.problem})`).join('; ')}`,
      { skipped: checked.skipped }, checked.skipped.length > 0)

      // 2. lock, or a random pause
      if (typeof s.lock === 'function') {
        lockCalled = true
        const got = await this.#call('lock', (signal) => s.lock?.({ signal }))
        if (cut()) return
        if (got !== true && got !== false) throw new BadStrategyResultError(s.name, 'lock', `${describe(got)}, not true or false`)
        r.lock = got ? 'taken' : 'held elsewhere'
        if (!got) {
          this.log.info('autocluster lock is held by another node: next round', { round: n })
          return
        }
      } else if (checked.nodes.length > 0 && this.jitter > 0) {
        await ctx.sleep(Math.floor(Math.random() * this.jitter))
        if (cut()) return
      }

      // 3. who is there, and how old
      const { peers, dead, pending } = await this.#probe(checked.nodes)
      if (cut()) return
      r.alive = peers.map((p) => p.node)
      r.dead = dead
      r.pending = pending
      this.#sayOnce('dead', JSON.stringify(dead.map((d) => d.node)), 'info', () =>
        `discovered nodes not responding: ${dead.map((d) => `${d.node} (${d.why})`).join('; ')}`, { dead }, dead.length > 0)
      const me = this.#selfView()
      const decision = decide(me, peers)
      r.decision = decision

      // 4. join
      if (decision.action === 'join') {
        this.log.info(`joining ${decision.target}: ${decision.reason}`, { target: decision.target, round: n })
        try {
          const result = await this.node.membership.join(decision.target)
          if (result === 'joined') {
            r.joined = decision.target
            this.log.info(`joined ${decision.target}`, { members: this.node.membership.nodelist() })
            this.emit('join', { node: decision.target, reason: decision.reason })
          } else {
            this.log.debug(`join ${decision.target} ignored: already a member`, { target: decision.target })
          }
        } catch (err) {
          // As ekka: the round goes on to register; the join is tried again next round.
          r.error = `join ${decision.target} failed: ${message(err)}`
          this.#sayOnce('error', r.error, 'warn', () => `${r.error ?? ''}; retrying in ${this.interval} ms`, { error: err as Error, round: n })
        }
        if (cut()) return
      } else {
        this.#sayOnce('decision', decision.action + decision.reason, 'debug', () => `no join: ${decision.reason}`, {})
      }

      // 5. register
      if (typeof s.register === 'function') {
        await this.#call('register', (signal) => s.register?.({ signal }))
        if (cut()) return
      }
      // ekka: registered once the strategy lists this node (a strategy without a registry: always).
      r.registered = typeof s.register !== 'function' || checked.includesSelf
      r.complete = decision.action !== 'join' && dead.length === 0 && pending.length === 0 && isComplete(this.#selfView(), r.registered, checked.nodes, peers)
      if (r.error === undefined) this.#said.delete('error')
    } catch (err) {
      r.error = message(err)
      this.#sayOnce('error', r.error, 'warn', () => `autocluster round failed, retrying in ${this.interval} ms: ${r.error ?? ''}`, { error: err as Error, round: n })
    } finally {
      if (lockCalled) {
        try {
          await this.#call('unlock', (signal) => s.unlock?.({ signal }))
        } catch (err) {
          this.log.warn(`${s.name}.unlock() failed: ${message(err)}`, { error: err as Error })
        }
      }
      r.duration = this.#clock.now() - began
      this.#last = r
      if (r.complete && this.#wants()) {
        this.#state = 'complete'
        this.log.info(`autocluster complete: every discovered node is in the cluster (${this.node.membership.nodelist().join(', ')})`, { round: n })
      }
      this.emit('round', r)
      if (r.complete) this.emit('complete', r)
    }
  }

  #selfView (): SelfView {
    const st = this.node.membership.status()
    return { node: this.node.name, guid: this.node.membership.guid, inCluster: st.running.some((x) => x !== this.node.name), members: new Set(st.members.map((m) => m.node)) }
  }

  /**
   * Reaches every node and asks its member status; those that fail are
   * dead, with why. Returns when all have answered or failed, or `probeGrace`
   * ms after the first answer from a node in a cluster (the rest are then
   * `pending`; their links keep coming up for the next round).
   */
  async #probe (nodes: readonly string[]): Promise<{ peers: PeerView[], dead: Array<{ node: string, why: string }>, pending: string[] }> {
    const peers: PeerView[] = []
    const dead: Array<{ node: string, why: string }> = []
    const settled = new Set<string>()
    let early: (() => void) | undefined
    const graceOver = new Promise<void>((resolve) => { early = resolve })
    let grace: Timer | undefined
    const one = async (node: string): Promise<void> => {
      try {
        const up = await bounded(this.#clock, this.probeTimeout, () => new Error(`no connection within ${this.probeTimeout} ms`), async () => await this.node.connect(node), this.#abort.signal)
        if (!up) {
          dead.push({ node, why: this.node.kernel.lastError(node)?.message ?? 'cannot be reached' })
          return
        }
        const raw = await this.node.call(node, STATUS_RPC, [], { timeout: this.probeTimeout, signal: this.#abort.signal })
        const v = parsePeerStatus(raw, node, this.node.name)
        if (typeof v === 'string') {
          dead.push({ node, why: v })
          return
        }
        peers.push(v)
        if (v.inCluster && v.status === 'up' && grace === undefined) grace = this.#clock.setTimeout(() => { early?.() }, this.probeGrace)
      } catch (err) {
        dead.push({ node, why: message(err) })
      } finally {
        settled.add(node)
      }
    }
    try {
      await Promise.race([Promise.all(nodes.map(one)), graceOver])
    } finally {
      if (grace !== undefined) this.#clock.clearTimeout(grace)
    }
    const order = (a: { node: string }, b: { node: string }): number => a.node < b.node ? -1 : a.node > b.node ? 1 : 0
    // Copies: probes still under way must not change what this round reports.
    return { peers: [...peers].sort(order), dead: [...dead].sort(order), pending: nodes.filter((n) => !settled.has(n)).sort() }
  }

  async #unregister (why: string): Promise<void> {
    if (typeof this.strategy.unregister !== 'function') return
    try {
      await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, 'unregister', this.callTimeout), (signal) => this.strategy.unregister?.({ signal }))
      this.log.info(`unregistered from ${this.strategy.name}: ${why}`)
    } catch (err) {
      this.log.warn(`${this.strategy.name}.unregister() failed (${why}): ${message(err)}`, { error: err as Error })
    }
  }

  /** A strategy call, bounded by callTimeout and by stop(). */
  async #call<T>(call: string, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
    return await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, call, this.callTimeout), fn, this.#abort.signal)
  }

  /** Logs at `level` when `key`'s value changed since last time (and `when`), else at debug. */
  #sayOnce (key: string, value: string, level: 'info' | 'warn' | 'debug', text: () => string, fields: Record<string, unknown>, when = true): void {
    const before = this.#said.get(key)
    this.#said.set(key, value)
    if (!when) return
    if (before === value) this.log.debug(text(), fields)
    else this.log[level](text(), fields)
  }
}

function message (err: unknown): string {
  return err instanceof Error ? err.message : formatReason(err)
}

function positive (v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new TypeError(`autocluster ${what} must be a positive number of ms, got ${describe(v)}`)
  return v
}

function nonNegative (v: number, what: string): number {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new TypeError(`autocluster ${what} must be a number of ms (0 or more), got ${describe(v)}`)
  return v
}

/** `autocluster(init)(components)`: two-step construction, as strategies are built. */
export const autocluster = (init: AutoclusterInit = {}) => (components: AutoclusterComponents): Autocluster => new Autocluster(init, components)
