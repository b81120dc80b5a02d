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
import { createLogger, formatRecord, type LogLevel, type LogRecord, type Logger } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { HealService, type HealEvent, type HealInit } from '../../src/index.js'
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

  constructor (index: number) {
    this.name = `s${index}@127.0.1.${index}`
    this.host = `127.0.1.${index}`
  }
}

const LOG_KEPT = 400

export class SimCluster {
  readonly cfg: SimConfig
  readonly clock = new SimClock()
  readonly rng: Rng
  readonly net: SimNetwork
  readonly nodes: SimNode[] = []
  readonly events: RecordedEvent[] = []
  readonly links: LinkEvent[] = []
  readonly #logs: string[] = []
  /** Called with every heal event as it happens (to inject faults mid-heal). */
  onEvent: ((r: RecordedEvent) => void) | undefined
  readonly #dataDir: string
  #rngNodes: Rng

  constructor (cfg: SimConfig) {
    this.cfg = cfg
    this.rng = new Rng(cfg.seed)
    this.net = new SimNetwork(this.clock, this.rng.fork(), cfg.latency)
    this.#rngNodes = this.rng.fork()
    this.#dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tekka-sim-'))
    for (let i = 1; i <= cfg.nodes; i++) this.nodes.push(new SimNode(i))
  }

  node (name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  get now (): number {
    return this.clock.now()
  }

  /** The last log lines of every node, with simulated times. */
  logTail (): string {
    return this.#logs.join('\n')
  }

  #logger (name: string, level: LogLevel): Logger {
    return createLogger(name, (r: LogRecord) => {
      const line = `[${(this.clock.now() / 1000).toFixed(3)}] ${formatRecord(r).replace(/^\S+ /, '')}`
      if (this.cfg.verbose) process.stderr.write(line + '\n')
      this.#logs.push(line)
      if (this.#logs.length > LOG_KEPT) this.#logs.shift()
    }, level)
  }

  /** Starts every node and joins them into one cluster. */
  async start (): Promise<void> {
    for (const n of this.nodes) await this.startNode(n)
    const [first, ...rest] = this.nodes
    for (const n of rest) {
      await this.drive(n.dist.membership.join(first!.name), 30_000, `${n.name} joins ${first!.name}`)
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
      logger: this.#logger(`${n.name}`, verbose ? 'info' : 'error'),
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
    }, { node: n.dist, logger: this.#logger(`${n.name}:heal`, verbose ? 'debug' : 'info') })
    const inc = n.inc
    n.heal.on('event', (e: HealEvent) => {
      const r = { t: this.clock.now(), node: n.name, inc, e }
      this.events.push(r)
      this.onEvent?.(r)
    })
    n.dist.on('nodeup', (e: { node: string, hidden: boolean }) => { if (!e.hidden) this.links.push({ t: this.clock.now(), node: n.name, inc, peer: e.node, type: 'up' }) })
    n.dist.on('nodedown', (e: { node: string, reason: string, hidden: boolean }) => { if (!e.hidden) this.links.push({ t: this.clock.now(), node: n.name, inc, peer: e.node, type: 'down', reason: e.reason }) })
    await n.heal.start()
    n.alive = true
  }

  /** The node's process dies: links reset, timers gone, nothing runs any more. */
  crash (n: SimNode): void {
    if (!n.alive) return
    n.alive = false
    this.net.crash(n.host)
    n.clock.kill()
    n.dist.removeAllListeners()
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
    p.then((v) => { done = true; value = v }, (e: unknown) => { done = true; error = e })
    const deadline = this.clock.now() + maxMs
    await this.clock.settle()
    while (!done) {
      if (this.clock.now() >= deadline) throw new Error(`${what}: not done within ${maxMs} ms`)
      await this.run(50)
    }
    if (error !== undefined) throw error
    return value as T
  }

  /**
   * Undefined when the cluster is one: every live node lists the same
   * members, all up, no partitions, no heal under way, applications running.
   * With `allowDead`, a node that is dead for good may still be listed (down).
   */
  converged (allowDead = false): string | undefined {
    const live = this.nodes.filter((n) => n.alive)
    const expect = live.map((n) => n.name).sort()
    const dead = new Set(this.nodes.filter((n) => !n.alive).map((n) => n.name))
    for (const n of live) {
      const m = n.dist.membership
      // Cheap checks first (this runs every few hundred ms of simulated time).
      if (m.partitions().length > 0 && !allowDead) return `${n.name} has partitions with ${m.partitions().join(',')}`
      for (const x of expect) if (x !== n.name && !n.dist.kernel.isConnected(x)) return `${n.name} has no link to ${x}`
      const members = m.members()
      const names = members.map((x) => x.node).filter((x) => !(allowDead && dead.has(x))).sort()
      if (names.join() !== expect.join()) return `${n.name} lists [${names.join(',')}], expected [${expect.join(',')}]`
      const off = members.filter((x) => x.status !== 'up' && !(allowDead && dead.has(x.node) && x.status === 'down'))
      if (off.length > 0) return `${n.name} sees ${off.map((x) => `${x.node}:${x.status}`).join(',')}`
      const parts = [...new Set([...m.partitions(), ...n.heal.partitions()])].filter((x) => !(allowDead && dead.has(x)))
      if (parts.length > 0) return `${n.name} has partitions with ${parts.join(',')}`
      const stopped = n.dist.applications.list().filter((a) => !a.running)
      if (stopped.length > 0) return `${n.name}: ${stopped.map((a) => a.name).join(',')} not running`
      if (n.heal.autoheal.healing !== undefined) return `${n.name} is being healed (${n.heal.autoheal.healing})`
    }
    return undefined
  }

  /** Stops everything at once (no graceful goodbyes: the clock is thrown away). */
  teardown (): void {
    for (const n of this.nodes) {
      if (n.alive) this.crash(n)
    }
    this.net.clear()
    rmSync(this.#dataDir, { recursive: true, force: true })
  }
}
