/**
 * The autocluster actor (ekka_autocluster): a supervised process that,
 * every `interval` ms until the work is done, runs one round
 * (autocluster-round.ts), and stops when this node is registered, and every
 * discovered node answers and is in this node's cluster (both member tables
 * list each other). With nothing discovered, being registered is enough:
 * the others come to it.
 *
 * Whatever the strategy does (throws, hangs, answers garbage) is reported
 * with its cause in the round's `autocluster.round` event and the round is
 * retried at the next interval; every call into it is bounded by
 * `callTimeout`. A bug that crashes the actor anyway is the supervisor's
 * business: it is restarted.
 *
 * When this node leaves its cluster (`cluster leave`, seen as its own
 * `membership.change` to `leaving`) the actor unregisters it from the
 * strategy and stops (it would otherwise join again at the next round);
 * `enable()` starts it over. It unregisters on `stop()` too.
 *
 * It takes the node's components (or the part it uses), never the node:
 *
 * ```ts
 * const ac = autocluster({ interval: 1000 })({ ...node.components, strategy })
 * node.events.on('autocluster.joined', (e) => { console.log(`joined ${e.target}`) })
 * await ac.start()
 * ```
 */
import { setMaxListeners } from 'node:events'
import {
  BadArgError, TIMEOUT, formatReason, startSupervisor, stopServer,
  type Clock, type EventStream, type LogLevel, type Logger, type Pid, type ProcessContext, type Runtime
} from '@tekka/actors'
import type { CtlCommands, MembershipView, NodeIdentity } from '@tekka/dist'
import './events.js'
import { registerAutoclusterCtl } from './autocluster-ctl.js'
import { probe } from './autocluster-probe.js'
import { runRound } from './autocluster-round.js'
import type { AutoclusterComponents, AutoclusterInit, AutoclusterState, AutoclusterStatus, RoundReport } from './autocluster-types.js'
import { bounded } from './bounded.js'
import { StrategyTimeoutError } from './errors.js'
import { describe, messageOf } from './names.js'
import type { Strategy } from './strategy.js'

/** Time a strategy call gets on top of its own `callTime`. */
const CALL_SLACK = 5000

type ActorMsg = { t: 'autocluster.kick' } | { t: 'autocluster.unregister' }
const isActorMsg = (m: unknown): m is ActorMsg => {
  const t = (m as { t?: unknown } | null)?.t
  return t === 'autocluster.kick' || t === 'autocluster.unregister'
}
const isKick = (x: unknown): x is ActorMsg => isActorMsg(x) && x.t === 'autocluster.kick'

/** The autocluster controller: owns the strategy's life, the supervisor and the actor under it, and the ctl commands. */
export class Autocluster {
  readonly strategy: Strategy
  readonly interval: number
  readonly callTimeout: number
  readonly probeTimeout: number
  readonly probeGrace: number
  readonly jitter: number
  readonly #c: AutoclusterComponents
  readonly #node: NodeIdentity
  readonly #runtime: Runtime
  readonly #events: EventStream
  readonly #membership: MembershipView
  readonly #ctl: CtlCommands
  readonly #clock: Clock
  readonly #log: Logger
  readonly #useCtl: boolean
  #enabled: boolean
  #state: AutoclusterState = 'stopped'
  #running = false
  #starting: Promise<void> | undefined
  #sup: Pid | undefined
  #pid: Pid | undefined
  #rounds = 0
  #last: RoundReport | undefined
  // The last round published, to publish one that saw the same as its predecessor at debug only.
  #seen: string | undefined
  #lastError: string | undefined
  #lastSkipped: string | undefined
  #registered = false
  #abort = new AbortController()
  #cleanup: Array<() => void> = []

  constructor (init: AutoclusterInit, components: AutoclusterComponents) {
    this.#c = components
    this.strategy = components.strategy
    this.#node = components.node
    this.#runtime = components.runtime
    this.#events = components.events
    this.#membership = components.membership
    this.#ctl = components.ctl
    this.#clock = components.clock
    this.#log = components.logger.child('discovery').child('autocluster')
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
    const self = this.#node.name
    if (this.#useCtl) this.#cleanup.push(registerAutoclusterCtl(this.#ctl, this))
    this.#cleanup.push(this.#events.on('membership.change', (e) => {
      if (e.member === self && e.status === 'leaving') this.#onLeft()
    }))
    if (typeof this.strategy.start === 'function') {
      try {
        await this.#call('start', () => this.strategy.start?.())
      } catch (err) {
        // Not fatal: discover fails (and is retried) until the strategy's server is there.
        this.#failed('start', err, 'error')
      }
    }
    if (!this.#running) return
    const sup = await startSupervisor(this.#runtime, {
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
      await stopServer(this.#runtime, sup, 'shutdown').catch(() => {})
      return
    }
    void this.#runtime.wait(sup).then((reason) => {
      if (!this.#running || this.#sup !== sup) return
      this.#state = 'crashed'
      this.#pid = undefined
      this.#events.publish('autocluster.crashed', { strategy: this.strategy.name, reason: formatReason(reason) }, 'error')
    })
    this.#events.publish('autocluster.started', { strategy: this.strategy.name, interval: this.interval, enabled: this.#enabled })
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
    if (sup !== undefined && this.#runtime.isAlive(sup)) await stopServer(this.#runtime, sup, 'shutdown').catch(() => {})
    await this.#unregister('the node stops')
    this.#abort.abort(new Error('autocluster stopped'))
    if (typeof this.strategy.stop === 'function') {
      try {
        await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, 'stop', this.callTimeout), () => this.strategy.stop?.())
      } catch (err) {
        this.#failed('stop', err, 'warn')
      }
    }
  }

  // ---- control -------------------------------------------------------------------

  /** Lets the actor join nodes again, and runs a round now (also after it completed, or after a leave). */
  enable (): void {
    this.#enabled = true
    if (!this.#running || this.#state === 'crashed') return
    this.#state = 'running'
    this.#events.publish('autocluster.switched', { enabled: true })
    this.#kick()
  }

  /** No more rounds (a round in progress stops before it joins) until `enable()`. */
  disable (): void {
    if (!this.#enabled) return
    this.#enabled = false
    this.#events.publish('autocluster.switched', { enabled: false })
  }

  status (): AutoclusterStatus {
    return {
      node: this.#node.name,
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
    if (pid !== undefined && this.#runtime.isAlive(pid)) this.#runtime.send(pid, { t: 'autocluster.kick' })
  }

  #wants (): boolean {
    return this.#running && this.#enabled && this.#state === 'running'
  }

  #onLeft (): void {
    if (!this.#running) return
    if (this.#state === 'running' || this.#state === 'complete') this.#state = 'left'
    this.#events.publish('autocluster.left', { strategy: this.strategy.name })
    // Through the actor, so it cannot cross a register() of a round in progress.
    const pid = this.#pid
    if (pid !== undefined && this.#runtime.isAlive(pid)) this.#runtime.send(pid, { t: 'autocluster.unregister' })
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
      while (await ctx.receive(isKick, { timeout: 0 }) !== TIMEOUT);
    }
  }

  async #round (ctx: ProcessContext): Promise<void> {
    const s = this.strategy
    const r = await runRound(ctx, ++this.#rounds, {
      self: this.#node.name,
      strategy: s,
      membership: this.#membership,
      clock: this.#clock,
      logger: this.#log,
      jitter: this.jitter,
      call: async (call, fn) => await this.#call(call, fn),
      probe: async (nodes) => await probe(nodes, {
        self: this.#node.name, net: this.#c.net, rpc: this.#c.rpc, clock: this.#clock, timeout: this.probeTimeout, grace: this.probeGrace, signal: this.#abort.signal
      }),
      interrupted: (alive) => alive && this.#wants()
        ? undefined
        : !this.#running ? 'stopped' : !this.#enabled ? 'disabled' : this.#state === 'left' ? 'the node left its cluster' : 'the actor ended',
      joined: (target, reason, round) => {
        this.#events.publish('autocluster.joined', { strategy: s.name, target, reason, round, members: this.#membership.nodelist() })
      },
      unlockFailed: (err, round) => { this.#failed('unlock', err, 'warn', round) }
    })
    this.#last = r
    this.#events.publish('autocluster.round', { ...r, strategy: s.name }, this.#levelOf(r))
    if (typeof s.register === 'function' && r.registered && !this.#registered) {
      this.#registered = true
      this.#events.publish('autocluster.registered', { strategy: s.name, round: r.round })
    }
    if (r.complete && this.#wants()) {
      this.#state = 'complete'
      this.#events.publish('autocluster.complete', { strategy: s.name, round: r.round, members: this.#membership.nodelist() })
    }
  }

  /**
   * The level of a round's event: warn for a new failure or new garbage
   * discovered, info when it saw or decided something its predecessor did
   * not, debug for more of the same (a cluster waiting for a missing node).
   */
  #levelOf (r: RoundReport): LogLevel {
    const d = r.decision
    const seen = JSON.stringify([r.discovered, r.dead.map((x) => x.node), r.lock, d?.action, d?.action === 'wait' ? undefined : d?.target, r.error, r.cancelled])
    const skipped = JSON.stringify(r.skipped)
    const changed = seen !== this.#seen
    const newError = r.error !== undefined && r.error !== this.#lastError
    const newSkipped = r.skipped.length > 0 && skipped !== this.#lastSkipped
    this.#seen = seen
    this.#lastError = r.error
    this.#lastSkipped = skipped
    if (newError || newSkipped) return 'warn'
    if (changed || r.joined !== undefined || r.complete) return 'info'
    return 'debug'
  }

  async #unregister (why: string): Promise<void> {
    if (typeof this.strategy.unregister !== 'function') return
    try {
      await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, 'unregister', this.callTimeout), (signal) => this.strategy.unregister?.({ signal }))
      this.#registered = false
      this.#events.publish('autocluster.unregistered', { strategy: this.strategy.name, why })
    } catch (err) {
      this.#failed('unregister', err, 'warn')
    }
  }

  #failed (call: 'start' | 'stop' | 'unlock' | 'unregister', err: unknown, level: LogLevel, round?: number): void {
    this.#events.publish('autocluster.strategy_failed', { strategy: this.strategy.name, call, error: messageOf(err), ...(round === undefined ? {} : { round }) }, level)
  }

  /** A strategy call, bounded by callTimeout and by stop(). */
  async #call<T>(call: string, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
    return await bounded(this.#clock, this.callTimeout, () => new StrategyTimeoutError(this.strategy.name, call, this.callTimeout), fn, this.#abort.signal)
  }
}

function positive (v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new BadArgError(`autocluster ${what} must be a positive number of ms, got ${describe(v)}`, what)
  return v
}

function nonNegative (v: number, what: string): number {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new BadArgError(`autocluster ${what} must be a number of ms (0 or more), got ${describe(v)}`, what)
  return v
}

/** `autocluster(init)(components)`: two-step construction, as strategies are built. */
export const autocluster = (init: AutoclusterInit = {}) => (components: AutoclusterComponents): Autocluster => new Autocluster(init, components)
