/**
 * The node monitor (ekka_node_monitor): an actor on every node, under the
 * heal supervisor, that follows the links to the members and decides what
 * a lost link was.
 *
 * - A member goes down: after `probeDelay` others are asked about it (the
 *   indirect probe, probe.ts). The answer is published (`heal.probe`) and
 *   used by autoclean, which never removes a member that others still reach.
 * - A member that went down comes back with the same `creation`: a
 *   partition (partition-tracker.ts). It is recorded (and shown by
 *   `cluster status`), the peer is told so it records it too, and the
 *   partition is reported to the leader (autoheal).
 * - Down members are dialled every `reconnect` ms, so the end of a
 *   partition is noticed soon.
 *
 * The service's link listeners tell it about links (`MonitorMsg`); its
 * timers and workers tell it the rest.
 */
import type { GenServer, Pid, ProcessContext, Timer } from '@tekka/actors'
import { noreply } from '@tekka/actors'
import type { Autoclean } from './autoclean.js'
import type { Autoheal } from './autoheal.js'
import type { UpVerdict } from './partition-tracker.js'
import { memberNames, probe } from './probe.js'
import { MONITOR_NAME, type HealHost } from './types.js'

/** What the monitor is told: link changes, reports, timers and its workers' results. */
export type MonitorMsg =
  | { t: 'nodeup', node: string, creation: number, verdict: UpVerdict }
  | { t: 'nodedown', node: string, reason: string }
  | { t: 'left', node: string }
  | { t: 'tick' }
  | { t: 'probe', node: string }
  | { t: 'report', from: string, partitions: string[], forwarded?: boolean }
  | { t: 'partition_with', from: string, creation: number, yours: number }
  | { t: 'round' }

/** What the monitor drives: the shared host, and the service's autoheal and autoclean. */
export interface MonitorDeps extends HealHost {
  readonly autoheal: Autoheal
  readonly autoclean: Autoclean
}

interface MonitorState {
  deps: MonitorDeps
  tick: Timer | undefined
  probes: Map<string, Timer>
}

function isMsg (m: unknown): m is MonitorMsg {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string'
}

/** The node monitor's behaviour; `startGenServer(ctx, monitorServer, deps, { name: MONITOR_NAME, link: true })`. */
export const monitorServer: GenServer<MonitorState, never, never, never, MonitorDeps> = {
  init (deps, ctx) {
    const state: MonitorState = { deps, tick: undefined, probes: new Map() }
    armTick(state, ctx)
    return state
  },

  handleInfo (msg, state, ctx) {
    const { deps } = state
    if (!isMsg(msg)) {
      deps.log.debug('unexpected message to the node monitor', { msg: JSON.stringify(msg)?.slice(0, 200) })
      return noreply(state)
    }
    const { components: c, tracker, opts } = deps
    const self = c.node
    switch (msg.t) {
      case 'nodeup': {
        const p = state.probes.get(msg.node)
        if (p !== undefined) { c.clock.clearTimeout(p); state.probes.delete(msg.node) }
        if (msg.verdict === 'partition') {
          // Both sides record it, even one that did not see the link go down.
          ctx.send({ name: MONITOR_NAME, node: msg.node }, { t: 'partition_with', from: self.name, creation: self.creation, yours: msg.creation })
          deps.autoheal.report(true)
        } else if (msg.verdict === 'restarted') {
          deps.log.info('member restarted (new incarnation): not a partition', { peer: msg.node, creation: msg.creation })
        }
        break
      }
      case 'nodedown':
        if (c.membership.isMember(msg.node) && msg.reason !== 'disconnect' && !state.probes.has(msg.node)) {
          const timer = c.clock.setTimeout(() => {
            state.probes.delete(msg.node)
            c.runtime.send({ name: MONITOR_NAME, node: self.name }, { t: 'probe', node: msg.node })
          }, opts.probeDelay)
          state.probes.set(msg.node, timer)
        }
        break
      case 'left':
        tracker.clear(msg.node, 'no longer a member')
        tracker.forget(msg.node)
        break
      case 'probe':
        if (!c.net.isConnected(msg.node) && c.membership.isMember(msg.node)) runProbe(deps, ctx, msg.node)
        break
      case 'partition_with': {
        const seen = tracker.seen(msg.from)
        if (msg.yours === self.creation && seen?.up === true && seen.creation === msg.creation && c.membership.isMember(msg.from) &&
            tracker.record(msg.from, 'the peer detected it (it saw this link go down and come back)')) {
          deps.autoheal.report(true)
        }
        break
      }
      case 'tick':
        state.tick = undefined
        for (const m of memberNames(c.membership)) if (m !== self.name && !c.net.isConnected(m)) void c.net.connect(m)
        deps.autoheal.report(false)
        if (deps.autoclean.due()) runAutoclean(deps, ctx)
        armTick(state, ctx)
        break
      case 'report':
        if (typeof msg.from === 'string' && Array.isArray(msg.partitions)) deps.autoheal.onReport(msg.from, msg.partitions.filter((x) => typeof x === 'string'), msg.forwarded === true)
        break
      case 'round':
        deps.autoheal.onRound(ctx)
        break
    }
    return noreply(state)
  },

  terminate (_reason, state) {
    const { clock } = state.deps.components
    if (state.tick !== undefined) clock.clearTimeout(state.tick)
    for (const t of state.probes.values()) clock.clearTimeout(t)
  }
}

function armTick (state: MonitorState, ctx: ProcessContext): void {
  const self: Pid = ctx.self
  state.tick = state.deps.components.clock.setTimeout(() => { ctx.runtime.send(self, { t: 'tick' }) }, state.deps.opts.reconnect)
}

function runProbe (deps: MonitorDeps, ctx: ProcessContext, target: string): void {
  const { components: c, tracker } = deps
  const known = tracker.seen(target)?.creation
  ctx.spawn(async () => {
    const { result, answers } = await probe(c, target, known, deps.opts)
    if (c.net.isConnected(target)) return // back meanwhile: the answer is stale
    tracker.setProbe(target, result)
    deps.publish('heal.probe', { peer: target, result, answers }, 'debug')
  })
}

function runAutoclean (deps: MonitorDeps, ctx: ProcessContext): void {
  ctx.spawn(async () => {
    try {
      await deps.autoclean.check()
    } catch (err) {
      deps.log.error('autoclean check failed', { error: err as Error })
    }
  })
}
