/**
 * Autoheal (ekka_autoheal / mria_autoheal), in three roles.
 *
 * Leader (the oldest member; the oldest member that is up when the leader
 * itself is down). Nodes that record a partition report it here, and keep
 * reporting every `delay` while they have one. The first report schedules a
 * round `delay` later; one round at a time. A round gathers every reachable
 * member's view, and decides with the split view (split-view.ts): nothing to
 * do, wait (links still down, or a link changed less than `delay` ago, so a
 * flapping partition is healed once it has settled), or heal: survivors,
 * victims, coordinator. The plan goes to the coordinator; a round that
 * waits, or a heal that fails or is only partial, is tried again `delay`
 * later.
 *
 * Coordinator (the oldest survivor, on the majority side). Runs one heal at
 * a time: asks every victim to shut down (stop its applications, drop its
 * partitions), then to reboot (rejoin the coordinator's cluster, start its
 * applications again), then tells the survivors that the partitions with
 * the rebooted nodes are healed.
 *
 * Victim. Shuts down and reboots once per heal id, whoever asks how often.
 * If the reboot does not come (the coordinator died half-way), it reboots by
 * itself after twice the heal timeout, and the leader's next round takes it
 * from there.
 */
import type { ProcessContext, Timer } from '@tekka/actors'
import { decide } from './split-view.js'
import { memberNames } from './probe.js'
import { MONITOR_NAME, RPC, type ClusterView, type HealComponents, type HealHost, type HealPlan, type HealResult } from './types.js'

/** A heal waits for quiet links at most this many delays, then goes ahead. */
const RESTLESS_LIMIT = 4

/** Heal ids this node was rebooted for, kept so a repeated request is not a second reboot. */
const DONE_KEPT = 64

interface Active {
  id: string
  coordinator: string
  phase: 'stopping' | 'stopped' | 'rebooting'
  /** Settles when the current phase is over. */
  busy: Promise<unknown>
  watchdog: Timer | undefined
}

export class Autoheal {
  readonly #h: HealHost
  readonly #c: HealComponents
  #running = false
  // leader
  #timer: Timer | undefined
  #round: string | undefined
  #seq = 0
  #lastReport = -Infinity
  /** Since when rounds have been waiting for links to settle. */
  #restlessSince: number | undefined
  // coordinator
  #coordinating: string | undefined
  // victim
  #active: Active | undefined
  #done: string[] = []

  constructor (host: HealHost) {
    this.#h = host
    this.#c = host.components
  }

  get enabled (): boolean {
    return this.#h.opts.autoheal
  }

  start (): void {
    this.#running = true
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#active?.watchdog !== undefined) this.#c.clock.clearTimeout(this.#active.watchdog)
  }

  /** Whether a round is scheduled or running here, for status and tests. */
  get busy (): boolean {
    return this.#timer !== undefined || this.#round !== undefined || this.#coordinating !== undefined || this.#active !== undefined
  }

  /** The heal this node is being rebooted for, if any. */
  get healing (): string | undefined {
    return this.#active?.id
  }

  // ---- reporting ------------------------------------------------------------------

  /** Who decides: the leader, or the oldest member that is up when the leader is down. */
  healLeader (): string | undefined {
    const { membership: m, net, node } = this.#c
    const leader = m.leader()
    if (leader !== undefined && (leader === node.name || net.isConnected(leader))) return leader
    return m.coordinator()
  }

  /** Tells the leader about this node's partitions (at once on detection; else at most every `delay`). */
  report (fresh: boolean): void {
    if (!this.enabled || !this.#running) return
    const { opts, tracker } = this.#h
    const partitions = tracker.partitions()
    if (partitions.length === 0) return
    const now = this.#c.clock.now()
    if (!fresh && now - this.#lastReport < Math.max(opts.delay, opts.reconnect)) return
    this.#lastReport = now
    const to = this.healLeader()
    if (to === undefined) return
    this.#h.publish('heal.report', { to, partitions }, fresh ? 'info' : 'debug')
    this.#c.runtime.send({ name: MONITOR_NAME, node: to }, { t: 'report', from: this.#c.node.name, partitions })
  }

  // ---- leader ---------------------------------------------------------------------

  onReport (from: string, partitions: string[], forwarded = false): void {
    if (!this.#running) return
    const { log, opts } = this.#h
    if (!this.enabled) {
      log.warn('partition reported, but autoheal is off here', { from, partitions })
      return
    }
    const leader = this.healLeader()
    if (leader !== this.#c.node.name) {
      // The reporter sees the leader otherwise (its link to it is down): pass it on, once.
      if (!forwarded && leader !== undefined && leader !== from) {
        this.#c.runtime.send({ name: MONITOR_NAME, node: leader }, { t: 'report', from, partitions, forwarded: true })
      } else {
        log.debug('partition report ignored: this node is not the leader', { from, leader })
      }
      return
    }
    if (this.#timer !== undefined || this.#round !== undefined) return
    log.info('partition reported; autoheal round scheduled', { from, partitions, in: opts.delay })
    this.#schedule(opts.delay)
  }

  #schedule (ms: number): void {
    if (!this.#running || this.#timer !== undefined) return
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#timer = undefined
      this.#c.runtime.send({ name: MONITOR_NAME, node: this.#c.node.name }, { t: 'round' })
    }, ms)
  }

  /** The round timer fired: run a round in a worker process. */
  onRound (ctx: ProcessContext): void {
    if (!this.#running || this.#round !== undefined) return
    const leader = this.healLeader()
    const self = this.#c.node
    if (leader !== self.name) {
      // Leadership moved since the round was scheduled (a partition ended): the leader's own rounds take over.
      this.#h.log.info('autoheal round dropped: this node is no longer the leader', { leader })
      return
    }
    const id = `${self.name}/${self.creation.toString(16)}/${++this.#seq}`
    this.#round = id
    ctx.spawn(async () => {
      let retry: number | undefined
      try {
        retry = await this.#runRound(id)
      } catch (err) {
        this.#h.log.error('autoheal round failed', { id, error: err as Error })
        retry = this.#h.opts.delay
      } finally {
        if (this.#round === id) this.#round = undefined
      }
      if (retry !== undefined) this.#schedule(retry)
    })
  }

  /** One round; resolves with when to try again, or undefined when done. */
  async #runRound (id: string): Promise<number | undefined> {
    const { opts, log } = this.#h
    const members = this.#c.membership.nodelist()
    const views = await this.#gather(members)
    if (!this.#running) return undefined
    const decision = decide(views, members)
    if (decision.action === 'none') {
      this.#restlessSince = undefined
      this.#h.publish('heal.decision', { id, decision: 'none', views }, 'info')
      return undefined
    }
    let wait = decision.action === 'wait' ? decision.reason : undefined
    let retry = opts.delay
    let quietWait = false
    if (decision.action === 'heal') {
      // A node still stopped by a heal that did not complete is simply part of this one (it is not stopped twice).
      const restless = views.filter((v) => v.quietFor < opts.delay)
      const now = this.#c.clock.now()
      if (restless.length > 0) {
        this.#restlessSince ??= now
        const quiet = Math.min(...restless.map((v) => v.quietFor))
        if (now - this.#restlessSince < RESTLESS_LIMIT * opts.delay) {
          wait = `links changed ${Math.round(quiet)} ms ago on ${restless.map((v) => v.node).join(',')}: waiting for ${opts.delay} ms of quiet`
          retry = Math.max(opts.delay - quiet, Math.min(opts.delay, 100))
          quietWait = true
        } else {
          // Links somewhere keep changing (a node restarting in a loop): heal anyway rather than never.
          log.warn('autoheal: links keep changing; healing without waiting for quiet', { id, waitedFor: now - this.#restlessSince, restless: restless.map((v) => v.node) })
        }
      }
    }
    // The limit is for consecutive waits for quiet only.
    if (!quietWait) this.#restlessSince = undefined
    if (wait !== undefined || decision.action !== 'heal') {
      this.#h.publish('heal.decision', { id, decision: 'wait', reason: wait ?? '', retryIn: retry, views }, 'info')
      return retry
    }
    const plan: HealPlan = {
      id,
      leader: this.#c.node.name,
      coordinator: decision.coordinator,
      survivors: decision.survivors,
      victims: decision.victims,
      tainted: decision.tainted,
      splitView: decision.splitView
    }
    this.#h.publish('heal.decision', { id, decision: 'heal', views, plan }, 'info')
    let result: HealResult
    try {
      result = await this.#c.rpc.call<HealResult>(plan.coordinator, RPC.run, [plan], { timeout: 2 * opts.healTimeout + opts.rpcTimeout })
    } catch (err) {
      this.#h.publish('heal.heal', { id, phase: 'failed', plan, error: (err as Error).message }, 'warn')
      return opts.delay
    }
    if (result.status === 'done') return undefined
    log.warn('autoheal: heal incomplete; trying again later', { id, status: result.status, failed: result.failed })
    return opts.delay
  }

  async #gather (members: string[]): Promise<ClusterView[]> {
    const { net, rpc, node } = this.#c
    const others = members.filter((m) => m !== node.name && net.isConnected(m))
    const replies = await rpc.multicall<ClusterView>(others, RPC.view, [], { timeout: this.#h.opts.rpcTimeout })
    const views: ClusterView[] = [this.view()]
    for (const r of replies) {
      if (!r.ok) {
        this.#h.log.info('autoheal: no view from a member', { peer: r.node, error: r.error.message })
        continue
      }
      const v = parseView(r.value)
      if (v !== undefined && v.node === r.node) views.push(v)
      else this.#h.log.warn('autoheal: malformed view ignored', { peer: r.node })
    }
    return views
  }

  /** This node's view of the cluster (answered to the leader). */
  view (): ClusterView {
    const { tracker } = this.#h
    const { node, net, membership } = this.#c
    const members = memberNames(membership).filter((m) => m !== node.name)
    const up = members.filter((m) => net.isConnected(m))
    return {
      node: node.name,
      creation: node.creation,
      running: [node.name, ...up.filter((m) => !tracker.has(m))],
      partitioned: up.filter((m) => tracker.has(m)),
      down: members.filter((m) => !net.isConnected(m)),
      quietFor: tracker.quietFor(),
      healing: this.#active?.id
    }
  }

  // ---- coordinator ----------------------------------------------------------------

  /** Runs `plan` here; one heal at a time. */
  async run (plan: HealPlan): Promise<HealResult> {
    const { opts, log } = this.#h
    const { node, membership, rpc } = this.#c
    if (!this.enabled) return { id: plan.id, status: 'busy', rebooted: [], failed: [{ node: node.name, error: 'autoheal is off on the coordinator' }] }
    if (this.#coordinating !== undefined) {
      log.warn('autoheal: heal refused, another one is in progress here', { id: plan.id, running: this.#coordinating })
      return { id: plan.id, status: 'busy', rebooted: [], failed: [] }
    }
    this.#coordinating = plan.id
    this.#h.publish('heal.heal', { id: plan.id, phase: 'started', plan }, 'info')
    const failed: HealResult['failed'] = []
    const fail = (n: string, why: string): void => { failed.push({ node: n, error: why }) }
    try {
      for (const v of plan.victims) membership.setHealing(v, true)
      const down = await rpc.multicall<string>(plan.victims, RPC.shutdown, [plan.id, node.name], { timeout: opts.healTimeout })
      const stopped: string[] = []
      for (const r of down) {
        if (r.ok && (r.value === 'stopped' || r.value === 'already')) stopped.push(r.node)
        else fail(r.node, r.ok ? `shutdown answered ${String(r.value)}` : r.error.message)
      }
      log.info('autoheal: minority stopped', { id: plan.id, stopped })
      const up = await rpc.multicall<string>(stopped, RPC.reboot, [plan.id, node.name], { timeout: opts.healTimeout })
      const rebooted: string[] = []
      for (const r of up) {
        if (r.ok && (r.value === 'rebooted' || r.value === 'already')) rebooted.push(r.node)
        else fail(r.node, r.ok ? `reboot answered ${String(r.value)}` : r.error.message)
      }
      // The survivors forget their partitions with the rebooted nodes.
      const told = await rpc.multicall(plan.survivors, RPC.healed, [plan.id, rebooted], { timeout: opts.rpcTimeout })
      for (const r of told) if (!r.ok) log.warn('autoheal: a survivor was not told of the heal', { id: plan.id, peer: r.node, error: r.error.message })
      const result: HealResult = { id: plan.id, status: failed.length === 0 ? 'done' : 'partial', rebooted, failed }
      this.#h.publish('heal.heal', { id: plan.id, phase: result.status === 'done' ? 'done' : 'partial', plan, result }, result.status === 'done' ? 'info' : 'warn')
      return result
    } finally {
      for (const v of plan.victims) membership.setHealing(v, false)
      this.#coordinating = undefined
    }
  }

  /** A survivor: the partitions with `rebooted` are over. */
  healed (id: string, rebooted: string[]): void {
    for (const n of rebooted) this.#h.tracker.clear(n, `rebooted by heal ${id}`)
  }

  // ---- victim ---------------------------------------------------------------------

  /** Stops the applications and drops the partitions, once per heal id. */
  async shutdown (id: string, coordinator: string): Promise<'stopped' | 'already' | 'disabled'> {
    if (!this.enabled) return 'disabled'
    for (;;) {
      if (this.#done.includes(id)) return 'already'
      const a = this.#active
      if (a === undefined) break
      await a.busy
      if (this.#active !== a) continue // that heal finished meanwhile: look again
      if (a.phase !== 'stopped') continue
      if (a.id !== id) {
        // An earlier heal that never completed: its stop counts for this one (the apps are not stopped twice).
        this.#h.log.warn('autoheal: a new heal takes over an unfinished one', { id, previous: a.id })
        a.id = id
        a.coordinator = coordinator
        this.#armWatchdog(a)
      }
      return 'stopped'
    }
    const { tracker } = this.#h
    const { node, membership, applications } = this.#c
    let done!: () => void
    const active: Active = { id, coordinator, phase: 'stopping', busy: new Promise<void>((resolve) => { done = resolve }), watchdog: undefined }
    this.#active = active
    try {
      membership.setHealing(node.name, true)
      await applications.stopAll()
      const partitions = tracker.reset(`this node is rebooted by heal ${id}`)
      active.phase = 'stopped'
      this.#h.publish('heal.reboot', { id: active.id, phase: 'shutdown', coordinator, partitions }, 'info')
      this.#armWatchdog(active)
      return 'stopped'
    } catch (err) {
      this.#active = undefined
      membership.setHealing(node.name, false)
      throw err
    } finally {
      done()
    }
  }

  /** Rejoins the coordinator's cluster and starts the applications again, once per heal id. */
  async reboot (id: string, coordinator: string): Promise<'rebooted' | 'already' | 'not_stopped'> {
    if (this.#done.includes(id)) return 'already'
    const a = this.#active
    if (a === undefined || a.id !== id) return 'not_stopped'
    if (a.phase !== 'stopped') {
      await a.busy
      return this.#done.includes(id) ? 'already' : 'not_stopped'
    }
    await this.#rebootNow(a, coordinator, 'rebooted')
    return 'rebooted'
  }

  async #rebootNow (a: Active, coordinator: string, phase: 'rebooted' | 'watchdog'): Promise<void> {
    const { log } = this.#h
    const { node, membership, applications, clock } = this.#c
    if (a.watchdog !== undefined) clock.clearTimeout(a.watchdog)
    a.watchdog = undefined
    a.phase = 'rebooting'
    let done!: () => void
    a.busy = new Promise<void>((resolve) => { done = resolve })
    try {
      if (coordinator !== node.name) {
        try {
          const r = await membership.join(coordinator)
          log.info('autoheal: rejoined', { id: a.id, coordinator, result: r })
        } catch (err) {
          log.error('autoheal: cannot rejoin the coordinator\'s cluster; starting the applications anyway', { id: a.id, coordinator, error: err as Error })
        }
      }
      const failed = await applications.startAll()
      membership.setHealing(node.name, false)
      this.#done.push(a.id)
      if (this.#done.length > DONE_KEPT) this.#done.shift()
      this.#h.publish('heal.reboot', { id: a.id, phase, coordinator, failedApps: failed.map((f) => f.name) }, phase === 'watchdog' || failed.length > 0 ? 'warn' : 'info')
    } finally {
      if (this.#active === a) this.#active = undefined
      done()
    }
  }

  #armWatchdog (a: Active): void {
    const { clock } = this.#c
    if (a.watchdog !== undefined) clock.clearTimeout(a.watchdog)
    a.watchdog = clock.setTimeout(() => {
      a.watchdog = undefined
      if (this.#active !== a || a.phase !== 'stopped') return
      // Not from a process: the reboot runs detached, as the coordinator's would.
      void this.#rebootNow(a, this.#c.node.name, 'watchdog')
    }, 2 * this.#h.opts.healTimeout)
  }
}

/** A view from a peer, checked. */
export function parseView (v: unknown): ClusterView | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const o = v as Record<string, unknown>
  const names = (x: unknown): string[] | undefined => Array.isArray(x) && x.every((s) => typeof s === 'string') ? x : undefined
  const running = names(o.running)
  const partitioned = names(o.partitioned)
  const down = names(o.down)
  if (typeof o.node !== 'string' || running === undefined || partitioned === undefined || down === undefined) return undefined
  if (typeof o.quietFor !== 'number' || typeof o.creation !== 'number') return undefined
  return { node: o.node, creation: o.creation, running, partitioned, down, quietFor: o.quietFor, healing: typeof o.healing === 'string' ? o.healing : undefined }
}
