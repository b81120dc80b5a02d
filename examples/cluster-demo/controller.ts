/**
 * The demo's controller: starts, kills and restarts the `tekka` node
 * processes, and watches them as a hidden tekka node of their cluster (as
 * `tekka ctl` does: it dials out, listens on no port, and is no member).
 *
 * On that hidden node run:
 *
 * - `demo_collector`, the process every node sends its events and stats to
 *   (it subscribes with RPC `demo.subscribe`); each message is checked
 *   (protocol.ts) and goes into the model;
 * - one watcher per node incarnation: it connects, subscribes, and
 *   monitors the node's `jobs` worker, so when the node is killed the
 *   controller's own monitor fires (`DOWN ... noconnection`).
 *
 * It also cuts the cluster in two and joins it again (partition.ts:
 * iptables rules, or the nodes' link fault injectors, switched over RPC
 * from the hidden node, whose own links are never cut).
 *
 * The node processes' own output becomes events too: `listening on` (the
 * node is up: its pid, address and creation), `app ... started`, its exit
 * (with the signal that killed it), and anything on stderr (`log`).
 */
import { randomBytes } from 'node:crypto'
import { formatReason, isDownMessage, silentLogger, type DownMessage, type Pid } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { WORKER_NAME } from '../jobs/jobs.js'
import { spawnTekka, type TekkaProcess } from '../lib/tekka-process.js'
import type { DemoModel } from './model.js'
import { cutCluster, type Cut, type PartitionMode } from './partition.js'
import { RPC_SUBSCRIBE, messageProblem, short, type DemoEvent, type DemoStats } from './protocol.js'

export interface ControllerOptions {
  /** The controller's own address (its hidden node's host): outside both sides of a partition. */
  host: string
  cookie: string
  cluster: string
  basePort: number
  /** node.tick_time of the nodes (and of the controller's links), e.g. `2s`. */
  tickTime: string
  tickMs: number
  /** The app module every node runs. */
  app: string
  dataDirOf: (node: string) => string
  /** Configuration keys every node gets (`--set`), besides name, port and data dir. */
  settings: Record<string, string | number>
  /** Environment of the nodes (the app's DEMO_* settings). */
  env: NodeJS.ProcessEnv
  /** TEKKA_LOG of the nodes. */
  log: 'debug' | 'info' | 'warn' | 'error'
  /** How partitions are made (partition.ts); `inject` starts the nodes with DEMO_LINK_FAULTS=1. */
  partition: PartitionMode
}

export class Controller {
  readonly model: DemoModel
  readonly opts: ControllerOptions
  /** Every OS pid a node ran as, for the final check that none is left. */
  readonly pids: number[] = []
  #hidden: DistNode | undefined
  #collector: Pid | undefined
  #closed = false
  #badMessages = 0
  #cut: Cut | undefined

  constructor (model: DemoModel, opts: ControllerOptions) {
    this.model = model
    this.opts = opts
  }

  /** Starts the hidden node and the collector. */
  async start (): Promise<void> {
    // `startNode` (dist alone), not `startTekka`: an observer runs no discovery, heal or lock service, and is no member.
    const hidden = await startNode({
      name: `demo-ctl-${randomBytes(3).toString('hex')}@${this.opts.host}`,
      cookie: this.opts.cookie,
      cluster: this.opts.cluster,
      hidden: true,
      listen: false,
      basePort: this.opts.basePort,
      tickTime: this.opts.tickMs,
      logger: silentLogger()
    })
    this.#hidden = hidden
    this.#collector = hidden.spawn(async (ctx) => {
      for (;;) {
        const m = await ctx.receive()
        const problem = messageProblem(m)
        if (problem !== undefined) {
          // Reported, then dropped; the first few only, so a broken node cannot flood the log.
          if (++this.#badMessages <= 5) this.model.add('warn', `dropped a malformed message: ${problem}`)
          continue
        }
        if ((m as DemoEvent).t === 'demo_event') this.model.onNodeEvent(m as DemoEvent)
        else this.model.onStats(m as DemoStats)
      }
    }, { name: 'demo_collector' })
  }

  /** Starts (or restarts) `name` as a `tekka` process. */
  spawn (name: string): TekkaProcess {
    const entry = this.model.entry(name)
    const proc = spawnTekka({
      name,
      cookie: this.opts.cookie,
      app: this.opts.app,
      log: this.opts.log,
      settings: {
        'node.dist_base_port': this.opts.basePort,
        'node.data_dir': this.opts.dataDirOf(name),
        'node.tick_time': this.opts.tickTime,
        'cluster.name': this.opts.cluster,
        ...this.opts.settings
      },
      env: { ...this.opts.env, ...(this.opts.partition === 'inject' ? { DEMO_LINK_FAULTS: '1' } : {}) }
    })
    this.pids.push(proc.pid)
    entry.proc = proc
    entry.state = 'starting'
    entry.starts++
    entry.creation = undefined
    entry.stats = undefined
    proc.on('line', (text: string, stream: 'stdout' | 'stderr') => { this.#onLine(name, proc, text, stream) })
    proc.on('exit', (e: { code: number | null, signal: NodeJS.Signals | null }) => {
      if (entry.proc !== proc) return
      const how = e.signal !== null ? `killed by ${e.signal}` : `exited with code ${String(e.code)}`
      if (entry.state !== 'killed') entry.state = 'exited'
      entry.stats = undefined
      this.model.add('exit', `${name} (pid ${proc.pid}) ${how}`, undefined, { node: name, pid: proc.pid, code: e.code, signal: e.signal })
    })
    return proc
  }

  /** kill -9. */
  kill (name: string): number | undefined {
    const entry = this.model.entry(name)
    if (entry.proc === undefined || !entry.proc.running) return undefined
    entry.state = 'killed'
    entry.proc.kill('SIGKILL')
    return entry.proc.pid
  }

  /** Cuts `sideA` off from `sideB` (iptables rules, or each node's link fault injector); one cut at a time. */
  async cut (sideA: readonly string[], sideB: readonly string[]): Promise<Cut> {
    if (this.#hidden === undefined) throw new Error('the controller has not started')
    if (this.#cut !== undefined) throw new Error('the cluster is cut already')
    const ports = this.model.names.map((n) => this.model.entry(n).port)
    this.#cut = await cutCluster(this.opts.partition, sideA, sideB, [Math.min(...ports), Math.max(...ports)], this.#hidden)
    return this.#cut
  }

  /** Takes the cut away, if there is one (on every way out too: a run never ends with its cluster cut). */
  async healCut (): Promise<boolean> {
    const cut = this.#cut
    if (cut === undefined) return false
    this.#cut = undefined
    await cut.heal()
    return true
  }

  /** Stops every node still running: SIGTERM (each stops its app and closes its links), SIGKILL after `timeoutMs`. */
  async stopNodes (timeoutMs = 5000): Promise<void> {
    await Promise.all([...this.model.nodes.values()].map(async (n) => {
      if (n.proc === undefined || !n.proc.running) return
      n.state = 'stopping'
      await n.proc.stop(timeoutMs)
    }))
  }

  /** Stops the hidden node (its watchers and collector with it). */
  async close (): Promise<void> {
    this.#closed = true
    await this.#hidden?.stop()
  }

  #onLine (name: string, proc: TekkaProcess, text: string, stream: 'stdout' | 'stderr'): void {
    const entry = this.model.entry(name)
    if (entry.proc !== proc || text.trim() === '') return
    if (stream === 'stderr') {
      // The node's own log (TEKKA_LOG, `error` by default): its time stamp is dropped (the event has one), long lines cut.
      const t = text.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '')
      this.model.add('log', `${short(name)}: ${t.length > 220 ? `${t.slice(0, 219)}…` : t}`, name)
      return
    }
    const up = /^tekka: node (\S+) listening on (\S+) \(creation (\d+)/.exec(text)
    if (up !== null) {
      entry.creation = Number(up[3])
      entry.state = 'running'
      this.model.add('node-up', `${name} pid ${proc.pid} listening on ${up[2]} (creation ${up[3]})`, undefined, { node: name, pid: proc.pid, creation: entry.creation })
      this.#watch(name, proc)
      return
    }
    if (/^tekka: app .* started/.test(text)) {
      this.model.add('app', `${short(name)}: app started: jobs_sup (worker "jobs", jobs_producer) and the lock loop`, undefined, { node: name, pid: proc.pid })
    }
  }

  /** A process on the hidden node that follows one incarnation of `name`. */
  #watch (name: string, proc: TekkaProcess): void {
    const hidden = this.#hidden
    const collector = this.#collector
    if (hidden === undefined || collector === undefined) return
    const entry = this.model.entry(name)
    const current = (): boolean => !this.#closed && entry.proc === proc && proc.running
    hidden.spawn(async (ctx) => {
      while (current()) {
        if (!(await hidden.connect(name))) { await ctx.sleep(300); continue }
        try {
          await hidden.call(name, RPC_SUBSCRIBE, [collector], { timeout: 3000 })
        } catch {
          // The app has not registered the function yet, or the node went away: try again.
          await ctx.sleep(300)
          continue
        }
        // Monitor the worker's name until the node is lost. After a crash (or
        // before the app registered it) the name is monitored again at once,
        // after a short pause, without dialling: so a node that dies right
        // after its worker crashed still fires this monitor with noconnection.
        for (;;) {
          const ref = ctx.monitor({ name: WORKER_NAME, node: name })
          const down = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref))
          const reason = formatReason(down.reason)
          if (reason === 'noconnection') {
            if (!this.#closed && entry.proc === proc && (entry.state === 'running' || entry.state === 'killed')) this.model.add('monitor', `controller: DOWN from {jobs, ${short(name)}}: noconnection (the controller's own monitor)`, undefined, { worker: name, reason, by: 'controller' })
            break
          }
          await ctx.sleep(100)
        }
        await ctx.sleep(300)
      }
    })
  }
}
