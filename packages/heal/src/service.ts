/**
 * The heal service of one node: the node monitor under its supervisor, the
 * partition tracker, autoheal and autoclean, and the RPC functions peers
 * call (views, probes, the heal itself). It reads link changes from the
 * node's event stream and publishes its own there (events.ts). `start`
 * and `stop` are safe to call twice; `stop` undoes everything `start` set
 * up.
 */
import { startGenServer, startSupervisor, stopServer, type LogLevel, type Logger, type Pid, type ProcessContext, type TekkaEvents } from '@tekka/actors'
import { Autoclean } from './autoclean.js'
import { Autoheal } from './autoheal.js'
import { HealRequestError } from './errors.js'
import type { HealEventType } from './events.js'
import { monitorServer, type MonitorDeps, type MonitorMsg } from './node-monitor.js'
import { PartitionTracker } from './partition-tracker.js'
import { answerProbe } from './probe.js'
import { MONITOR_NAME, RPC, SUPERVISOR_NAME, healOptions, type ClusterView, type HealComponents, type HealInit, type HealOptions, type HealPlan, type ProbeResult } from './types.js'

export interface HealStatus {
  node: string
  autoheal: boolean
  delay: number
  autoclean: number
  /** Partitions this node has recorded. */
  partitions: string[]
  /** Who this node reports partitions to. */
  leader: string | undefined
  /** A round scheduled or running, a heal coordinated or undergone here. */
  busy: boolean
  /** The heal this node is being rebooted for. */
  healing: string | undefined
  /** Members down here, with how long and what the last probe said. */
  down: Array<{ node: string, downFor: number, probe: ProbeResult | undefined }>
}

export class HealService implements MonitorDeps {
  readonly components: HealComponents
  readonly opts: HealOptions
  readonly log: Logger
  readonly tracker: PartitionTracker
  readonly autoheal: Autoheal
  readonly autoclean: Autoclean
  #running = false
  #sup: Pid | undefined
  #unsubscribe: Array<() => void> = []

  constructor (init: HealInit, components: HealComponents) {
    this.components = components
    this.opts = healOptions(init)
    this.log = components.logger.child('heal')
    this.tracker = new PartitionTracker(components, (type, payload, level) => { this.publish(type, payload, level) })
    this.autoheal = new Autoheal(this)
    this.autoclean = new Autoclean(this)
  }

  get running (): boolean {
    return this.#running
  }

  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    const c = this.components
    this.autoheal.start()
    this.#unsubscribe.push(
      c.events.on('dist.nodeup', (e) => {
        if (e.hidden) return
        const verdict = this.tracker.nodeUp(e.peer, e.creation)
        this.#tell({ t: 'nodeup', node: e.peer, creation: e.creation, verdict })
      }),
      c.events.on('dist.nodedown', (e) => {
        if (e.hidden) return
        this.tracker.nodeDown(e.peer)
        this.#tell({ t: 'nodedown', node: e.peer, reason: e.reason })
      }),
      c.events.on('membership.change', (e) => {
        if (e.status === 'leaving' && !c.membership.isMember(e.member)) this.#tell({ t: 'left', node: e.member })
      })
    )
    c.rpc.register(RPC.view, () => this.autoheal.view())
    c.rpc.register(RPC.probe, async function (this: ProcessContext, target: unknown) {
      return await answerProbe(this, c, target, 2000)
    })
    c.rpc.register(RPC.run, async (plan: unknown) => await this.autoheal.run(checkPlan(plan)))
    c.rpc.register(RPC.shutdown, async (id: unknown, coordinator: unknown) => await this.autoheal.shutdown(str(RPC.shutdown, id, 'id'), str(RPC.shutdown, coordinator, 'coordinator')))
    c.rpc.register(RPC.reboot, async (id: unknown, coordinator: unknown) => await this.autoheal.reboot(str(RPC.reboot, id, 'id'), str(RPC.reboot, coordinator, 'coordinator')))
    c.rpc.register(RPC.healed, (id: unknown, rebooted: unknown) => { this.autoheal.healed(str(RPC.healed, id, 'id'), strs(RPC.healed, rebooted, 'rebooted')); return true })
    let sup: Pid
    try {
      sup = await startSupervisor(c.runtime, {
        strategy: 'one_for_one',
        intensity: 10,
        period: 60_000,
        children: [{ id: 'monitor', start: async (ctx) => await startGenServer(ctx, monitorServer, this as MonitorDeps, { name: MONITOR_NAME, link: true }) }]
      }, { name: SUPERVISOR_NAME })
    } catch (err) {
      await this.stop()
      throw err
    }
    this.#sup = sup
    if (!this.#running) {
      // Stopped while starting: stop() did not see the supervisor yet.
      this.#running = true
      await this.stop()
      return
    }
    this.log.info('heal started', { autoheal: this.opts.autoheal, delay: this.opts.delay, autoclean: this.opts.autoclean })
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    const c = this.components
    this.autoheal.stop()
    for (const off of this.#unsubscribe.splice(0)) off()
    for (const fn of Object.values(RPC)) c.rpc.unregister(fn)
    const sup = this.#sup
    this.#sup = undefined
    if (sup !== undefined && c.runtime.isAlive(sup)) {
      try {
        await stopServer(c.runtime, sup, 'shutdown', 10_000)
      } catch (err) {
        // Already gone, or stuck: it must not outlive the service.
        if (c.runtime.isAlive(sup)) c.runtime.exit(sup, 'kill')
        this.log.debug('heal supervisor stop', { error: err as Error })
      }
    }
  }

  /** Partitions this node has recorded. */
  partitions (): string[] {
    return this.tracker.partitions()
  }

  status (): HealStatus {
    const c = this.components
    const now = c.clock.now()
    return {
      node: c.node.name,
      autoheal: this.opts.autoheal,
      delay: this.opts.delay,
      autoclean: this.opts.autoclean,
      partitions: this.tracker.partitions(),
      leader: this.autoheal.healLeader(),
      busy: this.autoheal.busy,
      healing: this.autoheal.healing,
      down: c.membership.nodelist('down').map((m) => ({ node: m, downFor: now - this.tracker.downSince(m), probe: this.tracker.probe(m)?.result }))
    }
  }

  /** This node's view of the cluster, as the leader gathers it. */
  view (): ClusterView {
    return this.autoheal.view()
  }

  /** Publishes a heal event on the node's stream (the log is one of its readers). */
  publish<K extends HealEventType> (type: K, payload: TekkaEvents[K], level: LogLevel): void {
    this.components.events.publish(type, payload, level)
  }

  #tell (msg: MonitorMsg): void {
    const c = this.components
    c.runtime.send({ name: MONITOR_NAME, node: c.node.name }, msg)
  }
}

function str (request: string, v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 512) throw new HealRequestError(request, `${what} must be a non-empty string`)
  return v
}

function strs (request: string, v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new HealRequestError(request, `${what} must be a list of node names`)
  return v
}

/** A plan from the leader, checked before anything is rebooted for it. */
function checkPlan (v: unknown): HealPlan {
  const r = RPC.run
  if (typeof v !== 'object' || v === null) throw new HealRequestError(r, 'the heal plan must be an object')
  const p = v as Partial<HealPlan>
  const plan: HealPlan = {
    id: str(r, p.id, 'plan.id'),
    leader: str(r, p.leader, 'plan.leader'),
    coordinator: str(r, p.coordinator, 'plan.coordinator'),
    survivors: strs(r, p.survivors, 'plan.survivors'),
    victims: strs(r, p.victims, 'plan.victims'),
    tainted: strs(r, p.tainted ?? [], 'plan.tainted'),
    splitView: p.splitView as HealPlan['splitView']
  }
  if (plan.victims.some((x) => plan.survivors.includes(x))) throw new HealRequestError(r, 'a node cannot be both survivor and victim')
  return plan
}
