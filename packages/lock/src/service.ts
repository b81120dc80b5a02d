/**
 * The lock service of a node: a supervisor with the locker as its child,
 * registered as one of the node's applications, so autoheal stops it on the
 * minority side of a partition and starts it again after the rejoin. It
 * owns the locker's slot in the node's named tables (slot.ts), which
 * outlives the locker's restarts.
 */
import {
  startGenServer, startSupervisor, stopServer, KILL,
  type Logger, type Pid
} from '@tekka/actors'
import { lockerConfig } from './config.js'
import { LOCK_EVENTS, type LockEvent } from './events.js'
import { lockerServer } from './locker.js'
import { Slot, slotTable } from './slot.js'
import type { LockerArgs } from './state.js'
import type { LockerComponents, LockerConfig, LockerInfo, LockerInit } from './types.js'

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
  /**
   * This locker's events from the node's stream (see events.ts): a function
   * is called, a pid is sent each event. Returns the unsubscribe.
   */
  subscribe(target: Pid | ((e: LockEvent) => void)): () => void
  /** A snapshot of the locker, while it runs. */
  info(): LockerInfo | undefined
}

class Service implements LockService {
  readonly name: string
  readonly config: LockerConfig
  readonly #c: LockerComponents
  readonly #log: Logger
  readonly #slot = new Slot()
  readonly #args: LockerArgs
  #dropSlot: (() => void) | undefined
  #offStopped: (() => void) | undefined
  #nodeStopped = false
  #sup: Pid | undefined
  #registered = false
  #busy: Promise<void> = Promise.resolve()

  constructor (init: LockerInit, c: LockerComponents) {
    this.#c = c
    this.config = lockerConfig(init, c.net.tickTime)
    this.name = this.config.name
    this.#log = c.logger.child('lock')
    this.#args = {
      config: this.config,
      components: c,
      log: this.#log,
      wallClock: c.wallClock ?? (() => performance.timeOrigin + performance.now()),
      slot: this.#slot
    }
  }

  get pid (): Pid | undefined {
    const h = this.#slot.handle
    return h !== undefined && h.alive ? h.pid : undefined
  }

  get running (): boolean {
    return this.#sup !== undefined && this.#c.runtime.isAlive(this.#sup)
  }

  async start (): Promise<void> {
    await this.#serial(async () => {
      if (this.#dropSlot === undefined) {
        // Throws NameTakenError if another service of this name runs on the node.
        this.#dropSlot = this.#c.runtime.tables.set(slotTable(this.name), this.#slot)
        this.#offStopped = this.#c.events.on('node.stopped', () => { this.#nodeStopped = true })
      }
      await this.#startTree()
      if (!this.#registered) {
        this.#c.applications.register({ name: `lock:${this.name}`, start: async () => { await this.#serial(async () => { await this.#startTree() }) }, stop: async () => { await this.#serial(async () => { await this.#stopTree() }) } })
        this.#registered = true
      }
    })
  }

  async stop (): Promise<void> {
    await this.#serial(async () => {
      if (this.#registered) {
        this.#c.applications.unregister(`lock:${this.name}`)
        this.#registered = false
      }
      await this.#stopTree()
      this.#offStopped?.()
      this.#offStopped = undefined
      this.#dropSlot?.()
      this.#dropSlot = undefined
    })
  }

  subscribe (target: Pid | ((e: LockEvent) => void)): () => void {
    const fn = typeof target === 'function' ? target : (e: LockEvent) => { this.#c.runtime.send(target, e) }
    return this.#c.events.on(LOCK_EVENTS, (e) => { if (e.locker === this.name) fn(e) })
  }

  info (): LockerInfo | undefined {
    const h = this.#slot.handle
    return h !== undefined && h.alive ? h.info() : undefined
  }

  async #startTree (): Promise<void> {
    if (this.running || this.#nodeStopped) return
    const args = this.#args
    const name = this.name
    this.#sup = await startSupervisor(this.#c.runtime, {
      strategy: 'one_for_one',
      intensity: 5,
      period: 10_000,
      children: [{ id: 'locker', shutdown: 5000, start: async (ctx) => await startGenServer(ctx, lockerServer, args, { link: true, name }) }]
    }, { name: `${name}_sup` })
    this.#log.info('lock service started', { locker: name, lease: this.config.lease, grace: this.config.grace })
  }

  async #stopTree (): Promise<void> {
    const rt = this.#c.runtime
    const sup = this.#sup
    this.#sup = undefined
    if (sup !== undefined && rt.isAlive(sup)) {
      await stopServer(rt, sup, 'shutdown', 15_000).catch((err: unknown) => {
        this.#log.warn('lock supervisor did not stop cleanly; killing it', { error: err as Error })
        rt.exit(sup, KILL)
      })
    }
    // What this node's owners hold elsewhere can no longer be watched: end it.
    const slot = this.#slot
    for (const h of [...slot.holdings.values()]) {
      slot.removeHolding(h)
      if (h.enforce && rt.isAlive(h.owner)) {
        this.#c.events.publish('lock.lost', { locker: this.name, resource: h.resource, owner: h.owner, lockType: h.type, reason: 'lock service stopped', grants: [...h.grants.keys()], need: h.need }, 'warn')
        rt.exit(h.owner, KILL)
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
 * applied by lockerConfig) then `components` (the node's, `node.components`,
 * or the subset in LockerComponents).
 */
export function createLockService (init: LockerInit = {}): (components: LockerComponents) => LockService {
  return (components) => new Service(init, components)
}
