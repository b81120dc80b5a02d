/**
 * The events @tekka/heal adds to a node's stream (`components.events`, the
 * runtime's EventStream), so an operator or a test can see why the cluster
 * did what it did. The log is one reader of the stream: each event is its
 * log line, at the level given here. The header's `node` is the node that
 * saw or decided it; payload fields naming another node are `peer` or
 * `member`.
 *
 * ```ts
 * node.events.on('heal.decision', (e) => {
 *   if (e.decision === 'heal') console.log(`${e.node} heals: reboot ${e.plan!.victims.join(',')}`)
 * })
 * node.events.on(HEAL_EVENTS, (e) => { record(e) })   // every heal event
 * ```
 *
 * Subscribers run synchronously where the event happens: `heal.heal`
 * `started` comes before the first victim is asked to stop.
 */
import type { TekkaEvent } from '@tekka/actors'
import type { ClusterView, HealPlan, HealResult, ProbeResult } from './types.js'

/** One answer to an indirect probe: does `member` have a link to the probed node, and to which incarnation. */
export interface ProbeAnswer { member: string, up: boolean, creation?: number }

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** A partition with `peer` was recorded here, or is over (with why). Level warn when it occurred, info when healed. */
    'heal.partition': { peer: string, event: 'occurred' | 'healed', reason: string }
    /** A member that went down was probed through others: `unreachable_here`, `down`, `restarted` or `unknown`. Level debug. */
    'heal.probe': { peer: string, result: ProbeResult, answers: ProbeAnswer[] }
    /** This node's partitions were reported to the leader `to`. Level info when just detected, debug when repeated. */
    'heal.report': { to: string, partitions: string[] }
    /**
     * A leader's round: nothing to heal, wait (`reason`, tried again in
     * `retryIn` ms), or heal with `plan`; `views` are the inputs it was
     * decided from. Level info.
     */
    'heal.decision': { id: string, decision: 'none' | 'wait' | 'heal', reason?: string, retryIn?: number, views: ClusterView[], plan?: HealPlan }
    /** The coordinator's side of a heal. Level info when started or done, warn when partial or failed. */
    'heal.heal': { id: string, phase: 'started' | 'done' | 'partial' | 'failed', plan: HealPlan, result?: HealResult, error?: string }
    /**
     * A victim stopped its applications (`shutdown`, with the partitions it
     * dropped) or started them again (`rebooted`; `watchdog` when its
     * coordinator never asked). Level info; warn for `watchdog`.
     */
    'heal.reboot': { id: string, phase: 'shutdown' | 'rebooted' | 'watchdog', coordinator: string, partitions?: string[], failedApps?: string[] }
    /** A member down longer than `cluster.autoclean` was removed from the cluster. Level warn. */
    'heal.autoclean': { member: string, downFor: number }
  }
}

/** The types of the heal events. */
export type HealEventType = 'heal.partition' | 'heal.probe' | 'heal.report' | 'heal.decision' | 'heal.heal' | 'heal.reboot' | 'heal.autoclean'

/** Every heal event type, for `events.on(HEAL_EVENTS, fn)`. */
export const HEAL_EVENTS: readonly HealEventType[] = ['heal.partition', 'heal.probe', 'heal.report', 'heal.decision', 'heal.heal', 'heal.reboot', 'heal.autoclean']

/** A heal event as subscribers get it (header and payload). */
export type HealEvent = TekkaEvent<HealEventType>
