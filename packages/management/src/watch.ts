/**
 * What the management endpoint knows of its node from the node's event
 * stream: counters (links up and down, partitions, heals), whether a heal
 * is in progress here, what discovery last said, the last heal decision
 * with its inputs, and whether the node is leaving. Each subscriber is a
 * few assignments and increments: the publisher is never held up.
 * Everything else it reports is read at request time from the node's
 * read-only views (membership, links, processes, the lock table).
 */
import type { EventStream, TekkaEvent } from '@tekka/actors'
// For their events' types (declared in each package's events.ts).
import type {} from '@tekka/discovery'
import type {} from '@tekka/heal'

/** What the last autocluster round (or event) said about joining the cluster. */
export interface DiscoveryView {
  /** The strategy, once the autocluster actor started; undefined: no discovery runs on this node. */
  strategy: string | undefined
  /** Every discovered node is joined (ekka's autocluster is done). */
  complete: boolean
  /** Why not, when not complete (the last round's decision or error, or that the node left). */
  reason: string
  /** The last round's number, and when (epoch ms). */
  round?: number
  at?: number
}

export class NodeWatch {
  readonly #offs: Array<() => void> = []
  nodeup = 0
  /** nodedown counts by reason. */
  readonly nodedown = new Map<string, number>()
  partitionsDetected = 0
  /** Incoming connections refused before or during the handshake, by reason (cap, timeout, cookie, protocol, ...). */
  readonly handshakesRefused = new Map<string, number>()
  /** Heals finished by this node as coordinator, by outcome (done, partial, failed). */
  readonly heals = new Map<string, number>()
  /** Heal ids in progress on this node (as coordinator or as a rebooting victim). */
  readonly healing = new Set<string>()
  lastDecision: TekkaEvent<'heal.decision'> | undefined
  readonly discovery: DiscoveryView = { strategy: undefined, complete: false, reason: 'discovery has not run a round yet' }
  /** Set by a leave asked for here (POST /cluster/leave, leave on stop) until it is done. */
  leaving = false
  /** The node is stopping: never ready again. */
  stopping = false

  /** Subscribes to `events`; `stop` unsubscribes. */
  start (events: EventStream): void {
    if (this.#offs.length > 0) return
    this.#offs.push(
      events.on('dist.nodeup', (e) => { if (!e.hidden) this.nodeup++ }),
      events.on('dist.nodedown', (e) => { if (!e.hidden) this.nodedown.set(e.reason, (this.nodedown.get(e.reason) ?? 0) + 1) }),
      events.on('dist.handshake_refused', (e) => { this.handshakesRefused.set(e.reason, (this.handshakesRefused.get(e.reason) ?? 0) + 1) }),
      events.on('membership.partition', (e) => { if (e.event === 'occurred') this.partitionsDetected++ }),
      events.on('heal.decision', (e) => { this.lastDecision = e }),
      events.on('heal.heal', (e) => {
        if (e.phase === 'started') { this.healing.add(e.id); return }
        this.healing.delete(e.id)
        this.heals.set(e.phase, (this.heals.get(e.phase) ?? 0) + 1)
      }),
      events.on('heal.reboot', (e) => {
        if (e.phase === 'shutdown') this.healing.add(`reboot:${e.id}`)
        else this.healing.delete(`reboot:${e.id}`)
      }),
      events.on('autocluster.started', (e) => {
        this.discovery.strategy = e.strategy
        this.discovery.complete = false
        this.discovery.reason = e.enabled ? 'discovery has not run a round yet' : 'autocluster is disabled'
      }),
      events.on('autocluster.round', (e) => {
        const d = this.discovery
        d.round = e.round
        d.at = e.at
        d.complete = e.complete
        if (e.complete) d.reason = 'every discovered node is joined'
        else {
          d.reason = e.error !== undefined
            ? `discovery round ${e.round} failed: ${e.error}`
            : e.decision !== undefined ? `discovery round ${e.round}: ${e.decision.reason}` : `discovery round ${e.round} is not complete`
        }
      }),
      events.on('autocluster.complete', () => { this.discovery.complete = true; this.discovery.reason = 'every discovered node is joined' }),
      events.on('autocluster.left', () => { this.discovery.complete = false; this.discovery.reason = 'this node left its cluster (autocluster waits for enable)' }),
      events.on('autocluster.switched', (e) => {
        if (e.enabled) { this.discovery.complete = false; this.discovery.reason = 'autocluster was enabled again: a round is due' }
      }),
      events.on('autocluster.crashed', (e) => { this.discovery.complete = false; this.discovery.reason = `the autocluster actor crashed: ${e.reason}` })
    )
  }

  stop (): void {
    for (const off of this.#offs.splice(0)) off()
  }
}
