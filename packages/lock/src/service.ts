/**
 * The lock service of a node: a supervisor with the locker as its child,
 * registered as one of the node's applications, so autoheal stops it on the
 * minority side of a partition and starts it again after the rejoin.
 */
import {
  consoleLogger, startGenServer, startSupervisor, stopServer, KILL,
  type Logger, type Pid
} from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import { LockArgumentError } from './errors.js'
import { DEFAULT_LOCKER, lockerServer, type LockerArgs } from './locker.js'
import { lockerHandle, slotFor } from './registry.js'
import type { LockEvent, LockerComponents, LockerConfig, LockerInfo, LockerInit } from './types.js'

export interface LockService {
  readonly name: string
  readonly config: LockerConfig
  /** The locker's pid while it runs. */
  readonly pid: Pid | undefined
  readonly running: boolean
  /** Starts the supervision tree and registers it as an application. Safe to call twice. */
  start(): Promise<void>
  /**
   * Stops the tree and unregisters the application. Safe to call twice.
   * Owners on this node that hold leader or quorum locks are killed: nothing
   * would tell them any more that their lock is lost.
   */
  stop(): Promise<void>
  /** Lock events (see LockEvent): a function is called, a pid is sent the event. Returns the unsubscribe. */
  subscribe(target: Pid | ((e: LockEvent) => void)): () => void
  /** A snapshot of the locker, while it runs. */
  info(): LockerInfo | undefined
}

const DEFAULT_LEASE = 15_000

function checkMs (key: string, v: unknown, allowInfinity: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowInfinity && !Number.isFinite(v))) {
    throw new LockArgumentError(key, `${key} must be a number of milliseconds >= 0, got ${String(v)}`)
  }
  return v
}

/** The locker configuration with defaults applied in one place (tick time from the node). */
export function lockerConfig (init: LockerInit, node: DistNode): LockerConfig {
  const name = init.name ?? DEFAULT_LOCKER
  if (typeof name !== 'string' || name.length === 0) throw new LockArgumentError('name', 'a locker name must be a non-empty string')
  let lease = checkMs('lease', init.lease ?? DEFAULT_LEASE, true)
  if (lease === 0) lease = Infinity
  const leaseCheck = init.leaseCheck !== undefined
    ? checkMs('leaseCheck', init.leaseCheck, false)
    : Number.isFinite(lease) ? 2 * lease : 30_000
  if (leaseCheck === 0) throw new LockArgumentError('leaseCheck', 'leaseCheck must be more than 0 ms')
  const tick = node.kernel.opts.tickTime
  const grace = checkMs('grace', init.grace ?? (Number.isFinite(tick) && tick > 0 ? 2 * tick : 16_000), false)
  const timeout = checkMs('timeout', init.timeout ?? 5000, false)
  return Object.freeze({ name, lease, leaseCheck, grace, timeout: Math.max(1, timeout) })
}

class Service implements LockService {
  readonly name: string
  readonly config: LockerConfig
  readonly #node: DistNode
  readonly #args: LockerArgs
  readonly #log: Logger
  #sup: Pid | undefined
  #registered = false
  #busy: Promise<void> = Promise.resolve()

  constructor (init: LockerInit, c: LockerComponents) {
    this.#node = c.node
    this.config = lockerConfig(init, c.node)
    this.name = this.config.name
    this.#log = (c.logger ?? c.node.log ?? consoleLogger('tekka')).child('lock')
    this.#args = {
      config: this.config,
      node: c.node,
      clock: c.clock ?? c.node.runtime.clock,
      log: this.#log,
      wallClock: c.wallClock ?? (() => performance.timeOrigin + performance.now())
    }
  }

  get pid (): Pid | undefined {
    return lockerHandle(this.#node.runtime, this.name)?.pid
  }

  get running (): boolean {
    return this.#sup !== undefined && this.#node.runtime.isAlive(this.#sup)
  }

  async start (): Promise<void> {
    await this.#serial(async () => {
      await this.#startTree()
      if (!this.#registered) {
        this.#node.applications.register({ name: `lock:${this.name}`, start: async () => { await this.#serial(async () => { await this.#startTree() }) }, stop: async () => { await this.#serial(async () => { await this.#stopTree() }) } })
        this.#registered = true
      }
    })
  }

  async stop (): Promise<void> {
    await this.#serial(async () => {
      if (this.#registered) {
        this.#node.applications.unregister(`lock:${this.name}`)
        this.#registered = false
      }
      await this.#stopTree()
    })
  }

  subscribe (target: Pid | ((e: LockEvent) => void)): () => void {
    const slot = slotFor(this.#node.runtime, this.name)
    const fn = typeof target === 'function' ? target : (e: LockEvent) => { this.#node.send(target, e) }
    slot.subscribers.add(fn)
    return () => { slot.subscribers.delete(fn) }
  }

  info (): LockerInfo | undefined {
    return lockerHandle(this.#node.runtime, this.name)?.info()
  }

  async #startTree (): Promise<void> {
    if (this.running || this.#node.stopped) return
    const args = this.#args
    const name = this.name
    this.#sup = await startSupervisor(this.#node.runtime, {
      strategy: 'one_for_one',
      intensity: 5,
      period: 10_000,
      children: [{ id: 'locker', shutdown: 5000, start: async (ctx) => await startGenServer(ctx, lockerServer, args, { link: true, name }) }]
    }, { name: `${name}_sup` })
    this.#log.info('lock service started', { locker: name, lease: this.config.lease, grace: this.config.grace })
  }

  async #stopTree (): Promise<void> {
    const sup = this.#sup
    this.#sup = undefined
    if (sup !== undefined && this.#node.runtime.isAlive(sup)) {
      await stopServer(this.#node.runtime, sup, 'shutdown', 15_000).catch((err: unknown) => {
        this.#log.warn('lock supervisor did not stop cleanly; killing it', { error: err as Error })
        this.#node.runtime.exit(sup, KILL)
      })
    }
    // What this node's owners hold elsewhere can no longer be watched: end it.
    const slot = slotFor(this.#node.runtime, this.name)
    for (const h of [...slot.holdings.values()]) {
      slot.removeHolding(h)
      if (h.enforce && this.#node.runtime.isAlive(h.owner)) {
        this.#log.warn('lock service stopping: killing an owner of a lock it can no longer watch', { resource: h.resource, type: h.type, owner: h.owner.toString() })
        slot.publish({ type: 'lock', event: 'lost', node: this.#node.name, locker: this.name, resource: h.resource, owner: h.owner, lockType: h.type, reason: 'lock service stopped' })
        this.#node.runtime.exit(h.owner, KILL)
      }
    }
  }

  async #serial (fn: () => Promise<void>): Promise<void> {
    const run = this.#busy.then(fn)
    this.#busy = run.catch(() => {})
    await run
  }
}

/**
 * The lock service, built in two steps: `init` (the user's options, defaults
 * applied by lockerConfig) then `components` (the node, and optionally a
 * clock, a logger and a wall clock).
 */
export function createLockService (init: LockerInit = {}): (components: LockerComponents) => LockService {
  return (components) => new Service(init, components)
}
