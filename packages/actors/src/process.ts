/**
 * A process: an async function with a mailbox, links, monitors and a name.
 * The object is also the function's `ctx`: the runtime reaches its internal
 * fields directly, user code sees the ProcessContext interface.
 */
import type { Clock, Timer } from './clock.js'
import { BadArgError, ProcessExitedError } from './errors.js'
import type { Logger } from './logger.js'
import { Mailbox, NO_MATCH } from './mailbox.js'
import { Pid, type Dest, type Ref, type RemoteName } from './pid.js'
import { isDownMessage } from './reasons.js'
import type { Runtime } from './runtime.js'
import type { Task } from './scheduler.js'

/** Returned by `receive` and friends when their timeout passes first. */
export const TIMEOUT: unique symbol = Symbol.for('tekka.timeout')
export type Timeout = typeof TIMEOUT

export type Match<T> = ((msg: unknown) => msg is T) | ((msg: unknown) => boolean)

export interface ReceiveOptions {
  /** Milliseconds to wait for a matching message; then `receive` returns TIMEOUT. */
  timeout?: number
}

export interface SpawnOptions {
  /** Link the new process to the spawner (spawn_link). */
  link?: boolean
  /** Register the new process under this name (fails if taken). */
  name?: string
  /** Start with exits trapped. */
  trapExit?: boolean
}

export type ProcessFn = (ctx: ProcessContext) => unknown

export type ProcessStatus = 'runnable' | 'running' | 'waiting' | 'exiting'

/** What a process's function can do. */
export interface ProcessContext {
  readonly self: Pid
  readonly runtime: Runtime
  readonly clock: Clock
  readonly log: Logger
  /** False once the process has exited (its code is cut off at its next suspension point). */
  readonly alive: boolean

  /**
   * The first message in the mailbox that `match` accepts (any message if no
   * match); messages it skips keep their place. With a timeout, resolves to
   * TIMEOUT when nothing matched in time (`timeout: 0` only looks).
   */
  receive<T = unknown>(match?: Match<T>): Promise<T>
  receive<T = unknown>(match: Match<T> | undefined, opts: ReceiveOptions): Promise<T | Timeout>
  send(to: Dest, msg: unknown): void
  spawn(fn: ProcessFn, opts?: SpawnOptions): Pid
  spawnLink(fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid
  spawnMonitor(fn: ProcessFn, opts?: SpawnOptions): { pid: Pid, ref: Ref }
  link(pid: Pid): void
  unlink(pid: Pid): void
  monitor(target: Pid | string | RemoteName): Ref
  /** Removes a monitor; with `flush`, also drops its DOWN message if already queued. True if the monitor was active. */
  demonitor(ref: Ref, opts?: { flush?: boolean }): boolean
  /** Ends this process with `reason` (Erlang's exit/1): throws to unwind the caller's code. */
  exit(reason: unknown): never
  /** Sends an exit signal to `pid` (Erlang's exit/2). */
  exit(pid: Pid, reason: unknown): void
  /** Turns exit signals into EXIT messages; returns the previous setting. */
  trapExit(on: boolean): boolean
  register(name: string): void
  unregister(): void
  whereis(name: string): Pid | undefined
  /** Waits `ms` on the runtime's clock. Messages wait in the mailbox. */
  sleep(ms: number): Promise<void>
  /** Lets other processes, timers and I/O run if this process has used its share. */
  yield(): Promise<void>
  /** A new unique reference. */
  makeRef(): Ref
}

/** A monitor this process holds. */
export interface HeldMonitor {
  readonly ref: Ref
  readonly target: Pid | RemoteName
  /** The local process watched, when the target is local. */
  readonly proc: Proc | undefined
}

/**
 * Key of a watcher entry: the ref's id (a number) when this runtime made the
 * ref (a local watcher: ids are unique here, and numbers hash cheaply), the
 * ref's key (a string) when another node made it.
 */
export type WatcherKey = number | string

/** A monitor someone holds on this process. */
export interface WatchedBy {
  readonly ref: Ref
  readonly watcher: Pid
  /** What the watcher asked for (a pid, or `{ name, node }`), echoed in DOWN. */
  readonly as: Pid | RemoteName
}

/**
 * The handlers of a process function's promise, bound to the process: two
 * bound functions are smaller than two closures and the context they share
 * (an idle process is mostly the few objects its pending promise holds).
 */
function returned (this: Proc): void { this.endNormal() }
function threw (this: Proc, err: unknown): void { this.endFailed(err) }

const NEVER: Promise<never> = new Promise<never>(() => {})
/** What #takeMatching returns when the match function threw. */
const THREW: unique symbol = Symbol('match threw')

/**
 * The executor of every receive's promise, shared: it hands the promise's
 * resolve to the process that is about to wait (`waiting`, set just before),
 * so a receive allocates its promise and nothing else of its own.
 */
let waiting: Proc | undefined
function takeResolve (resolve: (m: unknown) => void): void {
  (waiting as Proc).wResolve = resolve
  waiting = undefined
}

class ProcExtras {
  links: Map<string, Pid> | undefined = undefined
  monitors: Map<number, HeldMonitor> | undefined = undefined
  watchers: Map<WatcherKey, WatchedBy> | undefined = undefined
  name: string | undefined = undefined
  held: Promise<void> | undefined = undefined
  trap = false
  /** Called with the exit reason (runtime.wait / runtime.run). */
  onExit: Array<(reason: unknown) => void> | undefined = undefined
}


export class Proc implements ProcessContext, Task {
  readonly runtime: Runtime
  readonly self: Pid
  /** @internal */ fn: ProcessFn | undefined
  /** @internal */ status: ProcessStatus = 'runnable'
  /** @internal */ mbox: Mailbox | undefined
  /** @internal */ wMatch: ((m: unknown) => boolean) | undefined
  /** @internal */ wResolve: ((m: unknown) => void) | undefined
  /** @internal */ wTimer: Timer | undefined
  /** @internal */ dead = false
  /**
   * Links, monitors, name and the like, which most processes never have:
   * kept out of line so an idle process stays small (a million of them fit
   * in well under a gigabyte).
   */
  #x: ProcExtras | undefined
  /** @internal Reductions used since this process last blocked or was deferred (see Scheduler.slice). */
  reds = 0

  constructor (runtime: Runtime, pid: Pid, fn: ProcessFn) {
    this.runtime = runtime
    this.self = pid
    this.fn = fn
  }

  /** @internal */ get links (): Map<string, Pid> | undefined { return this.#x?.links }
  set links (v: Map<string, Pid> | undefined) { (this.#x ??= new ProcExtras()).links = v }
  /** @internal */ get monitors (): Map<number, HeldMonitor> | undefined { return this.#x?.monitors }
  set monitors (v: Map<number, HeldMonitor> | undefined) { (this.#x ??= new ProcExtras()).monitors = v }
  /** @internal */ get watchers (): Map<WatcherKey, WatchedBy> | undefined { return this.#x?.watchers }
  set watchers (v: Map<WatcherKey, WatchedBy> | undefined) { (this.#x ??= new ProcExtras()).watchers = v }
  /** @internal */ get name (): string | undefined { return this.#x?.name }
  set name (v: string | undefined) { (this.#x ??= new ProcExtras()).name = v }
  /** @internal Runs `fn` with the exit reason when this process exits. */
  whenExit (fn: (reason: unknown) => void): void {
    ((this.#x ??= new ProcExtras()).onExit ??= []).push(fn)
  }

  /** @internal */ get exitHooks (): Array<(reason: unknown) => void> | undefined { return this.#x?.onExit }
  /** @internal */ get trap (): boolean { return this.#x?.trap === true }
  set trap (v: boolean) { (this.#x ??= new ProcExtras()).trap = v }
  /** @internal */ get held (): Promise<void> | undefined { return this.#x?.held }
  set held (v: Promise<void> | undefined) { (this.#x ??= new ProcExtras()).held = v }

  get clock (): Clock { return this.runtime.clock }
  get log (): Logger { return this.runtime.log }
  get alive (): boolean { return !this.dead }

  /** @internal The scheduler starts a process by running it as a task. */
  runTask (): void {
    this.start()
  }

  /** @internal Runs the process's function; its end (return or throw) is its exit. */
  start (): void {
    const fn = this.fn!
    this.fn = undefined
    if (this.dead) return
    this.status = 'running'
    let result: unknown
    try {
      result = fn(this)
    } catch (err) {
      this.#ended(err, true)
      return
    }
    if (result instanceof Promise) {
      result.then(returned.bind(this), threw.bind(this))
    } else {
      this.#ended(undefined, false)
    }
  }


  #ended (err: unknown, failed: boolean): void {
    if (this.dead) return
    this.runtime.exitProcess(this, failed ? err : 'normal')
  }

  /** @internal */ endNormal (): void { this.#ended(undefined, false) }
  /** @internal */ endFailed (err: unknown): void { this.#ended(err, true) }

  receive<T = unknown>(match?: Match<T>): Promise<T>
  receive<T = unknown>(match: Match<T> | undefined, opts: ReceiveOptions): Promise<T | Timeout>
  receive (match?: (m: unknown) => boolean, opts?: ReceiveOptions): Promise<unknown> {
    if (this.dead) return NEVER
    if (this.held !== undefined) return this.held.then(() => this.receive(match, opts ?? {}))
    if (this.wResolve !== undefined) throw new BadArgError(`${this.self}: receive called while another receive is pending`)
    const sched = this.runtime.scheduler
    const over = sched.charge() || ++this.reds > sched.slice
    const mbox = this.mbox
    if (mbox !== undefined && mbox.length > 0) {
      const msg = match === undefined ? mbox.shift() : this.#takeMatching(mbox, match)
      if (msg === THREW) return NEVER
      if (msg !== NO_MATCH) return over ? this.#later(msg) : Promise.resolve(msg)
    }
    const timeout = opts?.timeout
    // A polling loop (`timeout: 0`) is a tight loop too: past the budget it waits its turn.
    if (timeout !== undefined && timeout <= 0) return over ? this.#later(TIMEOUT) : Promise.resolve(TIMEOUT)
    this.status = 'waiting'
    this.reds = 0
    this.wMatch = match
    waiting = this
    const p = new Promise(takeResolve)
    if (timeout !== undefined && Number.isFinite(timeout)) this.wTimer = this.runtime.timeouts.setTimeoutOn(this, timeout)
    return p
  }

  /** @internal The timeout of the pending receive (this process is its own timeout target: no closure per receive). */
  onTimeout (timer: Timer): void {
    if (this.wTimer !== timer) return
    this.wTimer = undefined
    const resolve = this.wResolve
    if (this.dead || resolve === undefined) return
    this.wResolve = undefined
    this.wMatch = undefined
    this.status = 'running'
    resolve(TIMEOUT)
  }

  /** Resumes the process with `value` in a later scheduler batch, after the event loop has had a turn. */
  #resumeLater (resolve: (value: unknown) => void, value: unknown): void {
    this.status = 'runnable'
    this.reds = 0
    this.runtime.scheduler.defer(() => {
      if (this.dead) return
      this.status = 'running'
      resolve(value)
    })
  }

  #later (value: unknown): Promise<unknown> {
    return new Promise((resolve) => { this.#resumeLater(resolve, value) })
  }

  /** Selective scan: the message, NO_MATCH, or THREW when the match function threw (which ends the process). */
  #takeMatching (mbox: Mailbox, match: (m: unknown) => boolean): unknown {
    try {
      return mbox.takeMatching(match)
    } catch (err) {
      this.runtime.exitProcess(this, err)
      return THREW
    }
  }

  /** @internal Puts a message in the mailbox, or hands it to a pending receive that accepts it. */
  deliver (msg: unknown): void {
    if (this.dead) return
    const resolve = this.wResolve
    if (resolve !== undefined) {
      let accepted = true
      const match = this.wMatch
      if (match !== undefined) {
        try {
          accepted = match(msg)
        } catch (err) {
          // A throwing match is a bug in this process's own code: it is its exit reason.
          this.runtime.exitProcess(this, err)
          return
        }
      }
      if (accepted) {
        this.wResolve = undefined
        this.wMatch = undefined
        if (this.wTimer !== undefined) {
          this.runtime.timeouts.clearTimeout(this.wTimer)
          this.wTimer = undefined
        }
        // Past the budget, a woken receiver waits its turn: else two processes
        // sending to each other would run on the microtask queue forever.
        if (this.runtime.scheduler.spent) {
          this.#resumeLater(resolve, msg)
          return
        }
        this.status = 'running'
        resolve(msg)
        return
      }
    }
    (this.mbox ??= new Mailbox()).push(msg)
  }

  send (to: Dest, msg: unknown): void {
    if (this.dead) return
    this.runtime.sendFrom(this, to, msg)
  }

  spawn (fn: ProcessFn, opts?: SpawnOptions): Pid {
    if (this.dead) throw new ProcessExitedError()
    return this.runtime.spawnFrom(this, fn, opts)
  }

  spawnLink (fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid {
    return this.spawn(fn, { ...opts, link: true })
  }

  spawnMonitor (fn: ProcessFn, opts?: SpawnOptions): { pid: Pid, ref: Ref } {
    const pid = this.spawn(fn, opts)
    return { pid, ref: this.monitor(pid) }
  }

  link (pid: Pid): void {
    if (this.dead) return
    this.runtime.link(this, pid)
  }

  unlink (pid: Pid): void {
    if (this.dead) return
    this.runtime.unlink(this, pid)
  }

  monitor (target: Pid | string | RemoteName): Ref {
    if (this.dead) throw new ProcessExitedError()
    return this.runtime.monitor(this, target)
  }

  demonitor (ref: Ref, opts?: { flush?: boolean }): boolean {
    if (this.dead) return false
    const active = this.runtime.demonitor(this, ref)
    // A DOWN is queued only for a monitor that already fired (delivering it
    // removes the monitor), so an active one needs no mailbox scan.
    if (!active && opts?.flush === true && this.mbox !== undefined) {
      this.mbox.remove((m) => isDownMessage(m) && m.ref.equals(ref))
    }
    return active
  }

  exit (reason: unknown): never
  exit (pid: Pid, reason: unknown): void
  exit (a: unknown, b?: unknown): void {
    if (arguments.length >= 2 && a instanceof Pid) {
      if (this.dead) return
      this.runtime.exitSignal(this.self, a, b)
      return
    }
    this.runtime.exitProcess(this, a)
    throw new ProcessExitedError(`process ${this.self} exited`)
  }

  trapExit (on: boolean): boolean {
    const old = this.trap
    this.trap = on
    return old
  }

  register (name: string): void {
    this.runtime.register(name, this.self)
  }

  unregister (): void {
    if (this.name !== undefined) this.runtime.unregister(this.name)
  }

  whereis (name: string): Pid | undefined {
    return this.runtime.whereis(name)
  }

  sleep (ms: number): Promise<void> {
    if (this.dead) return NEVER
    if (this.held !== undefined) return this.held.then(() => this.sleep(ms))
    this.status = 'waiting'
    this.reds = 0
    return new Promise((resolve) => {
      this.wTimer = this.runtime.timeouts.setTimeout(() => {
        this.wTimer = undefined
        if (this.dead) return
        this.status = 'running'
        resolve()
      }, ms)
    })
  }

  yield (): Promise<void> {
    if (this.dead) return NEVER
    if (this.held !== undefined) return this.held
    const sched = this.runtime.scheduler
    if (!sched.charge() && ++this.reds <= sched.slice) return Promise.resolve()
    return this.#later(undefined) as Promise<void>
  }

  makeRef (): Ref {
    return this.runtime.makeRef()
  }

  /** @internal Holds the process at its next suspension point until `until` settles (a busy link). */
  hold (until: Promise<void>): void {
    const held = until.then(() => { if (this.held === held) this.held = undefined }, () => { if (this.held === held) this.held = undefined })
    this.held = held
  }

  /** @internal Cuts a pending receive off: the process is dead, its promise never settles. */
  abandon (): void {
    if (this.wTimer !== undefined) this.runtime.timeouts.clearTimeout(this.wTimer)
    this.wTimer = undefined
    this.wResolve = undefined
    this.wMatch = undefined
    this.mbox = undefined
  }

  toString (): string {
    return this.self.toString()
  }
}
