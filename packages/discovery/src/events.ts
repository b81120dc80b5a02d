/**
 * The events @tekka/discovery adds to a node's stream: what the autocluster
 * actor saw and did, so an operator (the log, `tekka ctl`, a dashboard, a
 * test) can see why this node joined whom, or why it did not. Types only;
 * the autocluster actor publishes them. Each is also its log line (message =
 * type, fields = payload, at the level it is published with).
 *
 * ```ts
 * node.events.on('autocluster.joined', (e) => { console.log(`${e.node} joined ${e.target}: ${e.reason}`) })
 * node.events.on('autocluster.round', (e) => { if (e.error !== undefined) alert(e.error) })
 * ```
 *
 * A round is published at `info` when what it saw changed (what was
 * discovered, who does not answer, the lock, the decision), at `warn` when
 * it failed in a new way or skipped new garbage, else at `debug`: a cluster
 * that waits for a missing node does not fill the log.
 */
import type { RoundReport } from './autocluster-types.js'

declare module '@tekka/actors' {
  interface TekkaEvents {
    /** The autocluster actor runs: its strategy, its interval, whether it joins. */
    'autocluster.started': { strategy: string, interval: number, enabled: boolean }
    /** One round: what was discovered, who answered, the lock, the decision, whether the work is done. */
    'autocluster.round': RoundReport & { strategy: string }
    /** This node joined `target`'s cluster. */
    'autocluster.joined': { strategy: string, target: string, reason: string, round: number, members: string[] }
    /** Every discovered node is in this node's cluster and it is registered: no more rounds until `enable`. */
    'autocluster.complete': { strategy: string, round: number, members: string[] }
    /** The strategy lists this node now (it registered); published when that becomes true. */
    'autocluster.registered': { strategy: string, round: number }
    /** This node was taken out of the strategy's registry (it left its cluster, or stops). */
    'autocluster.unregistered': { strategy: string, why: string }
    /** A strategy call outside a round's own outcome failed (start, stop, unlock, unregister): the call and why. */
    'autocluster.strategy_failed': { strategy: string, call: 'start' | 'stop' | 'unlock' | 'unregister', error: string, round?: number }
    /** `autocluster enable` / `disable`. */
    'autocluster.switched': { enabled: boolean }
    /** This node left its cluster: the actor stops joining (and unregisters) until `enable`. */
    'autocluster.left': { strategy: string }
    /** The actor's supervisor gave up: no more rounds until the node restarts. */
    'autocluster.crashed': { strategy: string, reason: string }
  }
}

export {}
