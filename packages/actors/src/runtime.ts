/**
 * The process table of one node: spawn, send, links, monitors, exit
 * signals, the name registry and introspection. Distribution plugs in
 * with `attachRouter`: signals for other nodes go out through its
 * RemoteRouter, and the RemoteInbound it gets back (and only it) delivers the
 * signals that come in.
 *
 * Why one file of ~600 lines: links, monitors, names and the per-node index
 * of processes with remote links are private fields that nearly every
 * operation here reads and changes together (an exit touches all four), and
 * they are on the hot path of every send and spawn. Split across modules they
 * would have to become public or be reached through accessors, which is both
 * slower and lets other code break the invariants. Process-side code is in
 * process.ts, the scheduler in scheduler.ts.
 */
import { randomInt } from 'node:crypto'
import { systemClock, type Clock } from './clock.js'
import { timeoutsFor, type Timeouts } from './timeouts.js'
import { BadArgError, NameTakenError, NoProcError, ProcessExitedError, formatReason } from './errors.js'
import { EventStream, logEvents } from './events.js'
import { consoleLogger, type Logger } from './logger.js'
import { Pid, Ref, isRemoteName, type Dest, type RemoteName } from './pid.js'
import { Proc, TIMEOUT, type HeldMonitor, type ProcessContext, type ProcessFn, type ProcessStatus, type SpawnOptions } from './process.js'
import { KILL, KILLED, NOCONNECTION, NOPROC, NORMAL, type DownMessage, type ExitMessage } from './reasons.js'
import { Scheduler, type SchedulerOptions } from './scheduler.js'
import { NamedTables } from './tables.js'

/**
 * How signals reach other nodes. Implemented by @tekka/dist; without one,
 * sends to other nodes are dropped and links and monitors to them fail with
 * `noconnection`.
 */
export interface RemoteRouter {
  /** Returns a promise when the link to that node is busy: the sender is held at its next suspension point until it settles. */
  send(from: Pid | undefined, to: Pid | RemoteName, msg: unknown): Promise<void> | undefined
  link(from: Pid, to: Pid): void
  unlink(from: Pid, to: Pid): void
  /** An exit signal; `link` tells a linked process's death from an explicit `exit(pid, reason)`. */
  exit(from: Pid, to: Pid, reason: unknown, link: boolean): void
  monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  down(watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown): void
}

/**
 * The signals that come from other nodes, delivered into this runtime. Only
 * the router that `attachRouter` installed holds one, so nothing else can
 * pose as a remote node.
 */
export interface RemoteInbound {
  /** A message for a local pid or registered name; false when there is no such process. */
  deliver(to: Pid | string, msg: unknown): boolean
  /** A process on another node links to a local one. */
  link(from: Pid, to: Pid): void
  unlink(from: Pid, to: Pid): void
  /** An exit signal from a process on another node; `link` as in RemoteRouter.exit. */
  exit(from: Pid, to: Pid, reason: unknown, link: boolean): void
  /** A process on another node monitors a local pid or name. */
  monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  /** A process watched on another node went down. */
  down(watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown): void
  /**
   * The connection to `node` is gone: every link to a process there gets
   * `noconnection`, every monitor of one fires DOWN `noconnection`, and
   * monitors held from there are dropped.
   */
  nodeDown(node: string): void
  /** Uninstalls the router: sends to other nodes are dropped again. */
  detach(): void
}

export interface RuntimeOptions {
  /** This node's name (`name@host`); `nonode@nohost` when not distributed. */
  node?: string
  /** Incarnation number; random 32-bit by default. */
  creation?: number
  clock?: Clock
  logger?: Logger
  scheduler?: SchedulerOptions
}

export interface ProcessInfo {
  pid: Pid
  status: ProcessStatus
  name: string | undefined
  mailboxLength: number
  messages: unknown[]
  links: Pid[]
  /** Monitors this process holds: what each watches. */
  monitors: Array<{ ref: Ref, target: Pid | RemoteName }>
  /** Processes monitoring this one. */
  monitoredBy: Pid[]
  trapExit: boolean
}

export class Runtime {
  readonly node: string
  readonly creation: number
  readonly clock: Clock
  /**
   * Timeouts set and cancelled in quick succession (every receive with a
   * timeout, every GenServer call, every rpc call from this node) on one clock
   * timer where the clock allows (timeouts.ts); on a simulated clock, the
   * clock's own timers.
   */
  readonly timeouts: Timeouts
  readonly log: Logger
  /** This node's event stream: what every layer saw and decided (its log is one reader). */
  readonly events: EventStream
  /** Named tables: state a service shares with the processes of this node (Erlang's named ETS tables). */
  readonly tables = new NamedTables()
  readonly scheduler: Scheduler
  /** Stands for code outside any process: the `from` of its exit signals. */
  readonly rootPid: Pid
  #procs = new Map<number, Proc>()
  #names = new Map<string, Proc>()
  #nextId = 1
  #nextRef = 1
  #router: RemoteRouter | undefined
  /** Local processes with links or monitors that involve a node, by node name. */
  #byNode = new Map<string, Set<Proc>>()

  constructor (opts: RuntimeOptions = {}) {
    this.node = opts.node ?? 'nonode@nohost'
    this.creation = opts.creation ?? randomInt(1, 2 ** 32 - 1)
    this.clock = opts.clock ?? systemClock()
    this.timeouts = timeoutsFor(this.clock)
    this.log = opts.logger ?? consoleLogger('tekka')
    this.events = new EventStream(this.node, this.clock)
    logEvents(this.events, this.log.child('event'))
    this.scheduler = new Scheduler(opts.scheduler)
    this.rootPid = new Pid(this.node, 0, this.creation)
  }

  /**
   * Installs the router for signals to other nodes (@tekka/dist does this)
   * and gives it the way in for the signals that come from them. One router
   * at a time.
   */
  attachRouter (router: RemoteRouter): RemoteInbound {
    if (this.#router !== undefined) throw new BadArgError(`runtime ${this.node} already has a router`)
    this.#router = router
    return {
      deliver: (to, msg) => this.#deliverLocal(to, msg),
      link: (from, to) => { this.#remoteLink(from, to) },
      unlink: (from, to) => { this.#remoteUnlink(from, to) },
      exit: (from, to, reason, link) => { this.#remoteExit(from, to, reason, link) },
      monitor: (watcher, target, ref) => { this.#remoteMonitor(watcher, target, ref) },
      demonitor: (watcher, target, ref) => { this.#remoteDemonitor(watcher, target, ref) },
      down: (watcher, ref, target, reason) => { this.#remoteDown(watcher, ref, target, reason) },
      nodeDown: (node) => { this.#nodeDown(node) },
      detach: () => { if (this.#router === router) this.#router = undefined }
    }
  }

  makeRef (): Ref {
    return new Ref(this.node, this.#nextRef++, this.creation)
  }

  isLocal (pid: Pid): boolean {
    return pid.node === this.node
  }

  /** The live local process for `pid`, if any. */
  #lookup (pid: Pid): Proc | undefined {
    if (pid.node !== this.node || pid.creation !== this.creation) return undefined
    return this.#procs.get(pid.id)
  }

  // ---- spawning ------------------------------------------------------------

  /** Starts a process from outside any process. */
  spawn (fn: ProcessFn, opts?: Omit<SpawnOptions, 'link'>): Pid {
    return this.spawnFrom(undefined, fn, opts)
  }

  /** @internal */
  spawnFrom (parent: Proc | undefined, fn: ProcessFn, opts?: SpawnOptions): Pid {
    if (typeof fn !== 'function') throw new BadArgError('spawn needs a function')
    const name = opts?.name
    if (name !== undefined) this.#checkName(name)
    const pid = new Pid(this.node, this.#nextId++, this.creation)
    const proc = new Proc(this, pid, fn)
    this.#procs.set(pid.id, proc)
    if (opts?.trapExit === true) proc.trap = true
    if (name !== undefined) {
      proc.name = name
      this.#names.set(name, proc)
    }
    if (opts?.link === true && parent !== undefined) {
      (parent.links ??= new Map()).set(pid.key, pid);
      (proc.links ??= new Map()).set(parent.self.key, parent.self)
    }
    this.scheduler.run(proc)
    return pid
  }

  // ---- messages ------------------------------------------------------------

  /** Sends from outside any process. */
  send (to: Dest, msg: unknown): void {
    this.sendFrom(undefined, to, msg)
  }

  /** @internal */
  sendFrom (from: Proc | undefined, to: Dest, msg: unknown): void {
    // A send costs a reduction (as in Erlang): a process that sends many
    // messages per turn must not make a scheduler batch unbounded.
    if (from !== undefined) {
      this.scheduler.charge()
      from.reds++
    }
    if (to instanceof Pid) {
      if (to.node === this.node) {
        if (to.creation === this.creation) this.#procs.get(to.id)?.deliver(msg)
        return
      }
      this.#routeSend(from, to, msg)
      return
    }
    if (typeof to === 'string') {
      const p = this.#names.get(to)
      if (p === undefined) throw new NoProcError(`registered name ${JSON.stringify(to)}`)
      p.deliver(msg)
      return
    }
    if (isRemoteName(to)) {
      if (to.node === this.node) this.#names.get(to.name)?.deliver(msg)
      else this.#routeSend(from, to, msg)
      return
    }
    throw new BadArgError(`cannot send to ${formatReason(to)}: not a pid, a name or { name, node }`)
  }

  #routeSend (from: Proc | undefined, to: Pid | RemoteName, msg: unknown): void {
    const router = this.#router
    if (router === undefined) return
    const busy = router.send(from?.self, to, msg)
    if (busy !== undefined && from !== undefined) from.hold(busy)
  }

  #deliverLocal (to: Pid | string, msg: unknown): boolean {
    const p = typeof to === 'string' ? this.#names.get(to) : this.#lookup(to)
    if (p === undefined) return false
    p.deliver(msg)
    return true
  }

  // ---- names ---------------------------------------------------------------

  #checkName (name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new BadArgError('a registered name must be a non-empty string')
    const holder = this.#names.get(name)
    if (holder !== undefined) throw new NameTakenError(name, `name ${JSON.stringify(name)} is already registered to ${holder.self}`)
  }

  register (name: string, pid: Pid): void {
    this.#checkName(name)
    const p = this.#lookup(pid)
    if (p === undefined) throw new NoProcError(`${pid} (cannot register ${JSON.stringify(name)})`)
    if (p.name !== undefined) throw new NameTakenError(name, `${pid} is already registered as ${JSON.stringify(p.name)}`)
    p.name = name
    this.#names.set(name, p)
  }

  unregister (name: string): void {
    const p = this.#names.get(name)
    if (p === undefined) throw new NoProcError(`registered name ${JSON.stringify(name)}`)
    this.#names.delete(name)
    p.name = undefined
  }

  whereis (name: string): Pid | undefined {
    return this.#names.get(name)?.self
  }

  registered (): string[] {
    return [...this.#names.keys()]
  }

  // ---- links ---------------------------------------------------------------

  /** @internal */
  link (p: Proc, pid: Pid): void {
    if (pid.equals(p.self)) return
    if (pid.node !== this.node) {
      if ((p.links ??= new Map()).has(pid.key)) return
      p.links.set(pid.key, pid)
      this.#touch(pid.node, p)
      if (this.#router === undefined) {
        this.#signal(p, pid, NOCONNECTION, true)
        return
      }
      this.#router.link(p.self, pid)
      return
    }
    const q = this.#lookup(pid)
    if (q === undefined) {
      // As Erlang: linking to a dead process is an exit signal `noproc` to the caller.
      this.#signal(p, pid, NOPROC, true)
      return
    }
    (p.links ??= new Map()).set(pid.key, pid);
    (q.links ??= new Map()).set(p.self.key, p.self)
  }

  /** @internal */
  unlink (p: Proc, pid: Pid): void {
    if (p.links?.delete(pid.key) !== true) return
    if (pid.node !== this.node) {
      this.#router?.unlink(p.self, pid)
      return
    }
    this.#lookup(pid)?.links?.delete(p.self.key)
  }

  // ---- monitors ------------------------------------------------------------

  /** @internal */
  monitor (p: Proc, target: Pid | string | RemoteName): Ref {
    const ref = this.makeRef()
    let as: Pid | RemoteName
    let q: Proc | undefined
    if (typeof target === 'string') {
      as = { name: target, node: this.node }
      q = this.#names.get(target)
    } else if (target instanceof Pid) {
      as = target
      if (target.node !== this.node) return this.#monitorRemote(p, target, ref)
      q = this.#lookup(target)
    } else if (isRemoteName(target)) {
      as = { name: target.name, node: target.node }
      if (target.node !== this.node) return this.#monitorRemote(p, as, ref)
      q = this.#names.get(target.name)
    } else {
      throw new BadArgError(`cannot monitor ${formatReason(target)}: not a pid, a name or { name, node }`)
    }
    if (q === undefined) {
      p.deliver(down(ref, as, NOPROC))
      return ref
    }
    (p.monitors ??= new Map()).set(ref.id, { ref, target: as, proc: q });
    (q.watchers ??= new Map()).set(ref.id, { ref, watcher: p.self, as })
    return ref
  }

  #monitorRemote (p: Proc, target: Pid | RemoteName, ref: Ref): Ref {
    if (this.#router === undefined) {
      p.deliver(down(ref, target, NOCONNECTION))
      return ref
    }
    (p.monitors ??= new Map()).set(ref.id, { ref, target, proc: undefined })
    this.#touch(target.node, p)
    this.#router.monitor(p.self, target, ref)
    return ref
  }

  /** @internal */
  demonitor (p: Proc, ref: Ref): boolean {
    const m = p.monitors?.get(ref.id)
    if (m === undefined || !m.ref.equals(ref)) return false
    p.monitors!.delete(ref.id)
    if (m.proc !== undefined) m.proc.watchers?.delete(ref.id)
    else this.#router?.demonitor(p.self, m.target, ref)
    return true
  }

  // ---- exit signals --------------------------------------------------------

  /** Sends exit signal `reason` to `to`, as Erlang's exit/2 (from outside any process, `from` is the root pid). */
  exit (to: Pid, reason: unknown): void {
    this.exitSignal(this.rootPid, to, reason)
  }

  /** @internal */
  exitSignal (from: Pid, to: Pid, reason: unknown): void {
    if (to.node !== this.node) {
      this.#router?.exit(from, to, reason, false)
      return
    }
    const q = this.#lookup(to)
    if (q !== undefined) this.#signal(q, from, reason, false)
  }

  /**
   * Applies an exit signal to a local process, following Erlang's table:
   * `kill` (not from a link) is untrappable and ends it as `killed`; a
   * trapping process gets an EXIT message; `normal` is ignored (unless a
   * process sent it to itself); anything else ends the process.
   */
  #signal (q: Proc, from: Pid, reason: unknown, link: boolean): void {
    if (q.dead) return
    if (link) {
      if (q.links === undefined || !q.links.delete(from.key)) {
        // A link signal for a link that no longer exists is dropped, except
        // the synthetic ones for a link that could not be made (noproc / noconnection).
        if (reason !== NOPROC && reason !== NOCONNECTION) return
      }
    }
    if (reason === KILL && !link) {
      this.exitProcess(q, KILLED)
      return
    }
    if (q.trap) {
      q.deliver({ type: 'EXIT', from, reason } satisfies ExitMessage)
      return
    }
    if (reason === NORMAL) {
      if (!link && from.equals(q.self)) this.exitProcess(q, NORMAL)
      return
    }
    this.exitProcess(q, reason)
  }

  /** @internal Ends a process: frees its name, drops its mailbox, fires its links and monitors. */
  exitProcess (p: Proc, reason: unknown): void {
    if (p.dead) return
    p.dead = true
    p.status = 'exiting'
    p.abandon()
    this.#procs.delete(p.self.id)
    if (p.name !== undefined) {
      this.#names.delete(p.name)
      p.name = undefined
    }
    if (reason instanceof Error && !(reason.name === 'ProcessExitedError')) {
      this.log.warn('process crashed', { pid: p.self.toString(), reason: reason.stack ?? formatReason(reason) })
    }
    // Nodes this process had links or monitors with: made only for a process that had any remote one.
    let nodes: Set<string> | undefined
    // Held monitors go first, so a process that monitors and links the same
    // peer does not get signals from it after its own death.
    if (p.monitors !== undefined) {
      for (const m of p.monitors.values()) {
        if (m.proc !== undefined) m.proc.watchers?.delete(m.ref.id)
        else {
          (nodes ??= new Set()).add(m.target.node)
          this.#router?.demonitor(p.self, m.target, m.ref)
        }
      }
      p.monitors = undefined
    }
    const linkReason = reason === KILL ? KILLED : reason
    if (p.links !== undefined) {
      const links = p.links
      p.links = undefined
      for (const other of links.values()) {
        if (other.node !== this.node) {
          (nodes ??= new Set()).add(other.node)
          this.#router?.exit(p.self, other, linkReason, true)
          continue
        }
        const q = this.#lookup(other)
        if (q !== undefined) this.#signal(q, p.self, linkReason, true)
      }
    }
    if (p.watchers !== undefined) {
      const watchers = p.watchers
      p.watchers = undefined
      for (const w of watchers.values()) {
        if (w.watcher.node !== this.node) {
          (nodes ??= new Set()).add(w.watcher.node)
          this.#router?.down(w.watcher, w.ref, w.as, linkReason)
          continue
        }
        const q = this.#lookup(w.watcher)
        if (q !== undefined) {
          q.monitors?.delete(w.ref.id)
          q.deliver(down(w.ref, w.as, linkReason))
        }
      }
    }
    if (nodes !== undefined) for (const n of nodes) this.#byNode.get(n)?.delete(p)
    const hooks = p.exitHooks
    if (hooks !== undefined) for (const h of hooks) h(reason)
  }

  // ---- signals from other nodes (called by @tekka/dist) ---------------------

  #touch (node: string, p: Proc): void {
    let set = this.#byNode.get(node)
    if (set === undefined) this.#byNode.set(node, set = new Set())
    set.add(p)
  }

  #remoteLink (from: Pid, to: Pid): void {
    const q = this.#lookup(to)
    if (q === undefined) {
      this.#router?.exit(to, from, NOPROC, true)
      return
    }
    (q.links ??= new Map()).set(from.key, from)
    this.#touch(from.node, q)
  }

  #remoteUnlink (from: Pid, to: Pid): void {
    this.#lookup(to)?.links?.delete(from.key)
  }

  #remoteExit (from: Pid, to: Pid, reason: unknown, link: boolean): void {
    const q = this.#lookup(to)
    if (q !== undefined) this.#signal(q, from, reason, link)
  }

  #remoteMonitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    const q = target instanceof Pid ? this.#lookup(target) : this.#names.get(target.name)
    if (q === undefined) {
      this.#router?.down(watcher, ref, target, NOPROC)
      return
    }
    (q.watchers ??= new Map()).set(ref.key, { ref, watcher, as: target })
    this.#touch(watcher.node, q)
  }

  #remoteDemonitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    const q = target instanceof Pid ? this.#lookup(target) : this.#names.get(target.name)
    const w = q?.watchers?.get(ref.key)
    if (w !== undefined && w.watcher.equals(watcher)) q!.watchers!.delete(ref.key)
  }

  #remoteDown (watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: unknown): void {
    const q = this.#lookup(watcher)
    const m = q?.monitors?.get(ref.id)
    if (q === undefined || m === undefined || !m.ref.equals(ref)) return
    q.monitors!.delete(ref.id)
    q.deliver(down(ref, m.target, reason))
    void target
  }

  #nodeDown (node: string): void {
    const set = this.#byNode.get(node)
    if (set === undefined) return
    this.#byNode.delete(node)
    for (const p of set) {
      if (p.dead) continue
      if (p.watchers !== undefined) {
        for (const [k, w] of p.watchers) if (w.watcher.node === node) p.watchers.delete(k)
      }
      if (p.monitors !== undefined) {
        const fired: HeldMonitor[] = []
        for (const m of p.monitors.values()) if (m.proc === undefined && m.target.node === node) fired.push(m)
        for (const m of fired) {
          p.monitors.delete(m.ref.id)
          p.deliver(down(m.ref, m.target, NOCONNECTION))
        }
      }
      if (p.links !== undefined) {
        const gone: Pid[] = []
        for (const l of p.links.values()) if (l.node === node) gone.push(l)
        for (const l of gone) this.#signal(p, l, NOCONNECTION, true)
      }
    }
  }

  // ---- introspection -------------------------------------------------------

  get processCount (): number {
    return this.#procs.size
  }

  processes (): Pid[] {
    return [...this.#procs.values()].map((p) => p.self)
  }

  isAlive (pid: Pid): boolean {
    return this.#lookup(pid) !== undefined
  }

  /** `pid`'s mailbox length (undefined if it is not alive): processInfo without copying the messages, for metrics. */
  mailboxLength (pid: Pid): number | undefined {
    const p = this.#lookup(pid)
    return p === undefined ? undefined : p.mbox?.length ?? 0
  }

  processInfo (pid: Pid): ProcessInfo | undefined {
    const p = this.#lookup(pid)
    if (p === undefined) return undefined
    return {
      pid: p.self,
      status: p.status,
      name: p.name,
      mailboxLength: p.mbox?.length ?? 0,
      messages: p.mbox?.toArray() ?? [],
      links: [...(p.links?.values() ?? [])],
      monitors: [...(p.monitors?.values() ?? [])].map((m) => ({ ref: m.ref, target: m.target })),
      monitoredBy: [...(p.watchers?.values() ?? [])].map((w) => w.watcher),
      trapExit: p.trap
    }
  }

  // ---- conveniences for code outside processes ------------------------------

  /** Resolves with `pid`'s exit reason when it exits (`noproc` if it is not alive). */
  wait (pid: Pid): Promise<unknown> {
    const p = this.#lookup(pid)
    if (p === undefined) return Promise.resolve(NOPROC)
    return new Promise((resolve) => { p.whenExit(resolve) })
  }

  /**
   * Runs `fn` in a temporary process and resolves with its result: the way
   * for code outside processes to do what needs a process (a GenServer call, a receive).
   */
  run<T>(fn: (ctx: ProcessContext) => T | Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      let settled = false
      const pid = this.spawn(async (ctx) => {
        try {
          const v = await fn(ctx)
          settled = true
          resolve(v)
        } catch (err) {
          settled = true
          reject(err)
        }
      })
      // Killed (or ended by an exit signal) before fn settled: reject with the reason.
      this.#procs.get(pid.id)!.whenExit((reason) => {
        if (!settled) reject(reason instanceof Error ? reason : new ProcessExitedError(`process ${pid} exited: ${formatReason(reason)}`))
      })
    })
  }
}

function down (ref: Ref, pid: Pid | RemoteName, reason: unknown): DownMessage {
  return { type: 'DOWN', ref, pid, reason }
}

export function createRuntime (opts?: RuntimeOptions): Runtime {
  return new Runtime(opts)
}

export { TIMEOUT }
