/**
 * A simulated cluster: real DistNodes (kernel, handshake, connections,
 * membership, RPC) and real heal services, over the in-memory network, on
 * one simulated clock. Nodes can be cut apart, crashed and restarted; every
 * heal event and link change is recorded with its simulated time for the
 * invariants.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onExit } from '@tekka/testing/exit-hooks'
import { createLogger, formatRecord, type LogLevel, type LogRecord, type Logger } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { HEAL_EVENTS, HealService, type HealEvent, type HealInit } from '../../src/index.js'
import { NodeClock, SimClock } from '@tekka/testing/sim/clock'
import { SimNetwork } from '@tekka/testing/sim/network'
import { Rng } from '@tekka/testing/sim/rng'

export interface SimConfig {
  seed: number
  nodes: number
  tickTime: number
  delay: number
  autoclean: number
  /** ms of simulated time whose timers fire in one batch. */
  quantum: number
  /** Print every log line (replaying one seed). */
  verbose: boolean
  /** Heal options over the simulation's defaults. */
  heal?: HealInit
  /** One-way packet latency range, ms (default 1..5). */
  latency?: [number, number]
}

export interface RecordedEvent { t: number, node: string, inc: number, e: HealEvent }
export interface LinkEvent { t: number, node: string, inc: number, peer: string, type: 'up' | 'down', reason?: string }

export class SimNode {
  readonly name: string
  readonly host: string
  inc = 0
  alive = false
  dist!: DistNode
  heal!: HealService
  clock!: NodeClock
  /** When the current incarnation started. */
  since = 0
  /** Unsubscribes the cluster's recorders from this incarnation's event stream. */
  unsubscribe: Array<() => void> = []

  constructor (index: number) {
    this.name = `s${index}@127.0.1.${index}`
    this.host = `127.0.1.${index}`
  }
}

const LOG_KEPT = 400

let sharedDataDir: string | undefined

/**
 * The nodes' data dir (their member tables), one per test process, in
 * memory where there is /dev/shm. Every cluster of the process uses it in
 * turn: a cluster's teardown removes its nodes' tables, so the next one
 * starts without any; the directory goes when the process exits.
 */
function dataDir (): string {
  if (sharedDataDir === undefined) {
    const dir = sharedDataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tekka-sim-'))
    onExit(() => { rmSync(dir, { recursive: true, force: true }) })
  }
  return sharedDataDir
}

/** A log line or a heal event, kept unformatted: the tail is only printed for a failing seed. */
type TailEntry = { t: number, r: LogRecord } | { t: number, e: HealEvent }

export class SimCluster {
  readonly cfg: SimConfig
  readonly clock = new SimClock()
  readonly rng: Rng
  readonly net: SimNetwork
  readonly nodes: SimNode[] = []
  readonly #byName = new Map<string, SimNode>()
  readonly events: RecordedEvent[] = []
  /** `heal.reboot` events so far (counted as they come: the invariants ask every 250 ms). */
  reboots = 0
  readonly links: LinkEvent[] = []
  readonly #tail: TailEntry[] = []
  /** Called with every heal event as it happens (to inject faults mid-heal). */
  onEvent: ((r: RecordedEvent) => void) | undefined
  readonly #dataDir: string
  #rngNodes: Rng

  constructor (cfg: SimConfig) {
    this.cfg = cfg
    this.rng = new Rng(cfg.seed)
    this.net = new SimNetwork(this.clock, this.rng.fork(), cfg.latency)
    this.#rngNodes = this.rng.fork()
    this.#dataDir = dataDir()
    for (let i = 1; i <= cfg.nodes; i++) this.nodes.push(new SimNode(i))
    for (const n of this.nodes) this.#byName.set(n.name, n)
  }

  node (name: string): SimNode {
    const n = this.#byName.get(name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  get now (): number {
    return this.clock.now()
  }

  /** The last log lines and heal events of every node, with simulated times. */
  logTail (): string {
    return this.#tail.map(formatTail).join('\n')
  }

  #keep (entry: TailEntry): void {
    this.#tail.push(entry)
    if (this.#tail.length > LOG_KEPT) this.#tail.shift()
  }

  #logger (name: string, level: LogLevel): Logger {
    return createLogger(name, (r: LogRecord) => {
      const entry = { t: this.clock.now(), r }
      if (this.cfg.verbose) process.stderr.write(formatTail(entry) + '\n')
      this.#keep(entry)
    }, level)
  }

  /** Starts every node and joins them into one cluster. */
  async start (): Promise<void> {
    for (const n of this.nodes) await this.startNode(n)
    const [first, ...rest] = this.nodes
    for (const n of rest) {
      await this.drive(n.dist.membership.join(first.name), 30_000, `${n.name} joins ${first.name}`)
    }
    await this.runUntil(() => this.converged(), 30_000, 'the cluster forms')
  }

  async startNode (n: SimNode): Promise<void> {
    const clock = new NodeClock(this.clock)
    const verbose = this.cfg.verbose
    n.inc++
    n.clock = clock
    n.since = this.clock.now()
    this.net.revive(n.host)
    n.dist = await startNode({
      name: n.name,
      cookie: 'sim',
      transport: this.net.transport(n.host),
      clock,
      // Verbose: every line, events included (the log reads the stream). Else only the heal
      // events are kept for the tail (recorded below), and what the heal service logs itself.
      logger: this.#logger(`${n.name}`, verbose ? 'debug' : 'error'),
      creation: 1 + this.#rngNodes.int(2 ** 32 - 2),
      tickTime: this.cfg.tickTime,
      handshakeTimeout: 3000,
      dataDir: this.#dataDir,
      membership: { antiEntropy: 3000, reconnect: 2000 }
    })
    n.dist.applications.register({ name: 'sim-app', start: () => {}, stop: () => {} }, true)
    n.heal = new HealService({
      delay: this.cfg.delay,
      autoclean: this.cfg.autoclean,
      reconnect: 1000,
      probeDelay: 1000,
      rpcTimeout: 3000,
      healTimeout: 10_000,
      ...this.cfg.heal
    }, { ...n.dist.components, logger: this.#logger(`${n.name}`, verbose ? 'debug' : 'info') })
    const inc = n.inc
    const events = n.dist.events
    n.unsubscribe = [
      events.on(HEAL_EVENTS, (e) => {
        const r: RecordedEvent = { t: this.clock.now(), node: n.name, inc, e }
        this.events.push(r)
        if (e.type === 'heal.reboot') this.reboots++
        if (!verbose) this.#keep({ t: r.t, e })
        this.onEvent?.(r)
      }),
      events.on('dist.nodeup', (e) => { if (!e.hidden) this.links.push({ t: this.clock.now(), node: n.name, inc, peer: e.peer, type: 'up' }) }),
      events.on('dist.nodedown', (e) => { if (!e.hidden) this.links.push({ t: this.clock.now(), node: n.name, inc, peer: e.peer, type: 'down', reason: e.reason }) })
    ]
    await n.heal.start()
    n.alive = true
  }

  /** The node's process dies: links reset, timers gone, nothing runs any more. */
  crash (n: SimNode): void {
    if (!n.alive) return
    n.alive = false
    this.net.crash(n.host)
    n.clock.kill()
    for (const off of n.unsubscribe.splice(0)) off()
    void n.heal.stop()
    void n.dist.membership.stop()
    for (const pid of n.dist.runtime.processes()) n.dist.runtime.exit(pid, 'kill')
  }

  async restart (n: SimNode): Promise<void> {
    if (n.alive) return
    await this.startNode(n)
  }

  hostOf (name: string): string {
    return this.node(name).host
  }

  cut (pairs: ReadonlyArray<readonly [string, string]>): void {
    for (const [a, b] of pairs) this.net.cut(this.hostOf(a), this.hostOf(b))
  }

  restore (pairs: ReadonlyArray<readonly [string, string]>): void {
    for (const [a, b] of pairs) this.net.restore(this.hostOf(a), this.hostOf(b))
  }

  /** Runs simulated time up to `t`. */
  async runTo (t: number): Promise<void> {
    await this.clock.runUntil(t, this.cfg.quantum)
    if (this.clock.errors.length > 0) throw this.clock.errors[0]
  }

  async run (ms: number): Promise<void> {
    await this.runTo(this.clock.now() + ms)
  }

  /** Runs until `check` returns undefined (checked every `step` ms); throws with its last answer after `maxMs`. */
  async runUntil (check: () => string | undefined, maxMs: number, what: string, step = 250): Promise<number> {
    const deadline = this.clock.now() + maxMs
    let why = check()
    while (why !== undefined) {
      if (this.clock.now() >= deadline) throw new Error(`${what}: not within ${maxMs} ms: ${why}`)
      await this.run(step)
      why = check()
    }
    return this.clock.now()
  }

  /** Runs simulated time until `p` settles. */
  async drive<T> (p: Promise<T>, maxMs: number, what: string): Promise<T> {
    let done = false
    let value: T | undefined
    let error: unknown
    let failed = false
    p.then((v) => { done = true; value = v }, (e: unknown) => { done = true; failed = true; error = e })
    const deadline = this.clock.now() + maxMs
    await this.clock.settle()
    while (!done) {
      if (this.clock.now() >= deadline) throw new Error(`${what}: not done within ${maxMs} ms`)
      await this.run(50)
    }
    if (failed) throw error
    return value as T
  }

  /**
   * Undefined when the cluster is one: every live node lists the same
   * members, all up, no partitions, no heal under way, applications running.
   * With `allowDead`, a node that is dead for good may still be listed (down).
   */
  converged (allowDead = false): string | undefined {
    // Runs every 250 ms of simulated time on every node: linear in the members per node (a
    // cluster of n nodes is n^2 checks), and nothing is allocated unless a check fails.
    const live: SimNode[] = []
    for (const n of this.nodes) if (n.alive) live.push(n)
    const isDead = (x: string): boolean => allowDead && this.#byName.get(x)?.alive === false
    const isLive = (x: string): boolean => this.#byName.get(x)?.alive === true
    for (const n of live) {
      const m = n.dist.membership
      const partitions = m.partitions()
      if (partitions.length > 0 && !allowDead) return `${n.name} has partitions with ${partitions.join(',')}`
      const net = n.dist.components.net
      for (const x of live) if (x !== n && !net.isConnected(x.name)) return `${n.name} has no link to ${x.name}`
      const members = m.members()
      let listed = 0
      let unexpected = false
      for (const x of members) {
        if (isDead(x.node)) continue
        listed++
        if (!isLive(x.node)) unexpected = true
      }
      if (unexpected || listed !== live.length) {
        const names = members.map((x) => x.node).filter((x) => !isDead(x)).sort()
        return `${n.name} lists [${names.join(',')}], expected [${live.map((l) => l.name).sort().join(',')}]`
      }
      for (const x of members) {
        if (x.status !== 'up' && !(isDead(x.node) && x.status === 'down')) {
          const off = members.filter((y) => y.status !== 'up' && !(isDead(y.node) && y.status === 'down'))
          return `${n.name} sees ${off.map((y) => `${y.node}:${y.status}`).join(',')}`
        }
      }
      const healParts = n.heal.partitions()
      if (partitions.some((x) => !isDead(x)) || healParts.some((x) => !isDead(x))) {
        const parts = [...new Set([...partitions, ...healParts])].filter((x) => !isDead(x))
        return `${n.name} has partitions with ${parts.join(',')}`
      }
      for (const a of n.dist.applications.list()) {
        if (!a.running) return `${n.name}: ${n.dist.applications.list().filter((b) => !b.running).map((b) => b.name).join(',')} not running`
      }
      if (n.heal.autoheal.healing !== undefined) return `${n.name} is being healed (${n.heal.autoheal.healing})`
    }
    return undefined
  }

  /**
   * Stops everything at once: no graceful goodbyes and no stop() (the clock
   * is thrown away, so nothing of this cluster runs again), and the
   * nodes' member tables are removed for the next cluster.
   */
  teardown (): void {
    for (const n of this.nodes) {
      n.alive = false
      n.clock?.kill()
      for (const off of n.unsubscribe.splice(0)) off()
    }
    this.net.clear()
    for (const n of this.nodes) rmSync(join(this.#dataDir, n.name), { recursive: true, force: true })
  }
}

function formatTail (x: TailEntry): string {
  const at = `[${(x.t / 1000).toFixed(3)}]`
  if ('r' in x) return `${at} ${formatRecord(x.r).replace(/^\S+ /, '')}`
  const { type, node, time: _time, level, ...fields } = x.e as unknown as { type: string, node: string, time: number, level: LogLevel } & Record<string, unknown>
  return `${at} ${formatRecord({ time: 0, level, name: `${node}:event`, msg: type, fields }).replace(/^\S+ /, '')}`
}
