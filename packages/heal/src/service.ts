/**
 * The heal service of one node: the node monitor under its supervisor, the
 * partition tracker, autoheal and autoclean, and the RPC functions peers
 * call (views, probes, the heal itself). `start` and `stop` are safe to call
 * twice; `stop` undoes everything `start` set up.
 */
import { EventEmitter } from 'node:events'
import { startGenServer, startSupervisor, stopServer, tekkaChannel, type Clock, type Logger, type Pid, type ProcessContext } from '@tekka/actors'
import type { DistNode, MembershipEvent, NodeUpInfo } from '@tekka/dist'
import { Autoclean } from './autoclean.js'
import { Autoheal } from './autoheal.js'
import { PartitionTracker, answerProbe, monitorServer, type MonitorHost, type MonitorMsg } from './node-monitor.js'
import { MONITOR_NAME, RPC, SUPERVISOR_NAME, healOptions, type ClusterView, type HealComponents, type HealEvent, type HealInit, type HealOptions, type HealPlan, type ProbeResult } from './types.js'

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

/**
 * Diagnostics channel `tekka:heal:event`: every heal event (partition,
 * probe, report, decision, heal, reboot, autoclean) with the node it
 * happened on, for tools that watch without parsing logs.
 */
export const healChannel = tekkaChannel<{ node: string, event: HealEvent }>('tekka:heal:event')

export class HealService extends EventEmitter implements MonitorHost {
  readonly node: DistNode
  readonly opts: HealOptions
  readonly log: Logger
  readonly clock: Clock
  readonly tracker: PartitionTracker
  readonly autoheal: Autoheal
  readonly autoclean: Autoclean
  #running = false
  #sup: Pid | undefined
  #unsubscribe: (() => void) | undefined

  constructor (init: HealInit, components: HealComponents) {
    super()
    this.node = components.node
    this.opts = healOptions(init)
    this.clock = components.clock ?? components.node.runtime.clock
    this.log = components.logger ?? components.node.log.child('heal')
    this.tracker = new PartitionTracker(this.node, this.clock, (e) => { this.publish(e) })
    this.autoheal = new Autoheal(this)
    this.autoclean = new Autoclean(this)
  }

  get running (): boolean {
    return this.#running
  }

  async start (): Promise<void> {
    if (this.#running) return
    this.#running = true
    const node = this.node
    this.autoheal.start()
    node.on('nodeup', this.#onNodeUp)
    node.on('nodedown', this.#onNodeDown)
    this.#unsubscribe = node.membership.subscribe(this.#onMembership)
    node.register(RPC.view, () => this.autoheal.view())
    node.register(RPC.probe, async function (this: ProcessContext, target: string) {
      return await answerProbe(this, node, target, 2000)
    })
    node.register(RPC.run, async (plan: HealPlan) => await this.autoheal.run(checkPlan(plan)))
    node.register(RPC.shutdown, async (id: unknown, coordinator: unknown) => await this.autoheal.shutdown(str(id, 'id'), str(coordinator, 'coordinator')))
    node.register(RPC.reboot, async (id: unknown, coordinator: unknown) => await this.autoheal.reboot(str(id, 'id'), str(coordinator, 'coordinator')))
    node.register(RPC.healed, (id: unknown, rebooted: unknown) => { this.autoheal.healed(str(id, 'id'), strs(rebooted, 'rebooted')); return true })
    let sup: Pid
    try {
      sup = await startSupervisor(node.runtime, {
        strategy: 'one_for_one',
        intensity: 10,
        period: 60_000,
        children: [{ id: 'monitor', start: async (ctx) => await startGenServer(ctx, monitorServer, this, { name: MONITOR_NAME, link: true }) }]
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
    const node = this.node
    this.autoheal.stop()
    node.off('nodeup', this.#onNodeUp)
    node.off('nodedown', this.#onNodeDown)
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    for (const fn of Object.values(RPC)) node.rpc.unregister(fn)
    const sup = this.#sup
    this.#sup = undefined
    if (sup !== undefined && node.runtime.isAlive(sup)) {
      try {
        await stopServer(node.runtime, sup, 'shutdown', 10_000)
      } catch (err) {
        // Already gone, or stuck: it must not outlive the service.
        if (node.runtime.isAlive(sup)) node.runtime.exit(sup, 'kill')
        this.log.debug('heal supervisor stop', { error: err as Error })
      }
    }
  }

  /** Partitions this node has recorded. */
  partitions (): string[] {
    return this.tracker.partitions()
  }

  status (): HealStatus {
    const node = this.node
    return {
      node: node.name,
      autoheal: this.opts.autoheal,
      delay: this.opts.delay,
      autoclean: this.opts.autoclean,
      partitions: this.tracker.partitions(),
      leader: this.autoheal.healLeader(),
      busy: this.autoheal.busy,
      healing: this.autoheal.healing,
      down: node.membership.nodelist('down').map((m) => ({ node: m, downFor: this.clock.now() - this.tracker.downSince(m), probe: this.tracker.probe(m)?.result }))
    }
  }

  /** This node's view of the cluster, as the leader gathers it. */
  view (): ClusterView {
    return this.autoheal.view()
  }

  publish (e: HealEvent): void {
    healChannel.publish({ node: this.node.name, event: e })
    try {
      this.emit('event', e)
    } catch (err) {
      this.log.warn('a heal event listener threw', { error: err as Error })
    }
  }

  // ---- MonitorHost ---------------------------------------------------------------

  reportNow (): void {
    this.autoheal.report(true)
  }

  onTick (ctx: ProcessContext): void {
    this.autoheal.report(false)
    if (this.autoclean.due()) {
      ctx.spawn(async () => {
        try {
          await this.autoclean.check()
        } catch (err) {
          this.log.error('autoclean check failed', { error: err as Error })
        }
      })
    }
  }

  onReport (_ctx: ProcessContext, from: string, partitions: string[], forwarded: boolean): void {
    this.autoheal.onReport(from, partitions, forwarded)
  }

  onRound (ctx: ProcessContext): void {
    this.autoheal.onRound(ctx)
  }

  onMemberLeft (node: string): void {
    this.tracker.clear(node, 'no longer a member')
    this.tracker.forget(node)
  }

  // ---- listeners -----------------------------------------------------------------

  #tell (msg: MonitorMsg): void {
    this.node.send({ name: MONITOR_NAME, node: this.node.name }, msg)
  }

  #onNodeUp = (e: NodeUpInfo): void => {
    if (e.hidden) return
    const verdict = this.tracker.nodeUp(e.node, e.creation)
    this.#tell({ t: 'nodeup', node: e.node, creation: e.creation, verdict })
  }

  #onNodeDown = (e: { node: string, reason: string, hidden: boolean }): void => {
    if (e.hidden) return
    this.tracker.nodeDown(e.node)
    this.#tell({ t: 'nodedown', node: e.node, reason: e.reason })
  }

  #onMembership = (e: MembershipEvent): void => {
    if (e.type === 'membership' && e.event === 'leaving' && !this.node.membership.isMember(e.node)) this.#tell({ t: 'left', node: e.node })
  }
}

function str (v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 512) throw new TypeError(`${what} must be a non-empty string`)
  return v
}

function strs (v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new TypeError(`${what} must be a list of node names`)
  return v as string[]
}

/** A plan from the leader, checked before anything is rebooted for it. */
function checkPlan (v: unknown): HealPlan {
  const p = v as Partial<HealPlan>
  if (typeof p !== 'object' || p === null) throw new TypeError('heal plan must be an object')
  const plan: HealPlan = {
    id: str(p.id, 'plan.id'),
    leader: str(p.leader, 'plan.leader'),
    coordinator: str(p.coordinator, 'plan.coordinator'),
    survivors: strs(p.survivors, 'plan.survivors'),
    victims: strs(p.victims, 'plan.victims'),
    tainted: strs(p.tainted ?? [], 'plan.tainted'),
    splitView: p.splitView as HealPlan['splitView']
  }
  if (plan.victims.some((x) => plan.survivors.includes(x))) throw new TypeError('heal plan: a node cannot be both survivor and victim')
  return plan
}
