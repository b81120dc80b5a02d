/**
 * Autoclean (ekka_autoclean): a member that has been down for longer than
 * `autoclean` ms is removed from the cluster (force-leave, which the member
 * table carries to every member).
 *
 * Checked every quarter of the period, by the node that is the coordinator
 * in its own view (the oldest member that is up), so one node acts rather
 * than all of them. Before removing a member it asks the others about it
 * (the indirect probe): a member that another node still reaches is not
 * dead, only cut off from this node, and is kept.
 *
 * A partition that lasts longer than `autoclean` makes each side remove the
 * other: set it well above the partitions autoheal is meant to heal.
 */
import type { Clock, Logger } from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import { memberNames, probe, type PartitionTracker } from './node-monitor.js'
import type { HealEvent, HealOptions } from './types.js'

export interface AutocleanHost {
  readonly node: DistNode
  readonly opts: HealOptions
  readonly log: Logger
  readonly clock: Clock
  readonly tracker: PartitionTracker
  publish(e: HealEvent): void
}

export class Autoclean {
  readonly #h: AutocleanHost
  #lastCheck: number
  #checking = false

  constructor (host: AutocleanHost) {
    this.#h = host
    this.#lastCheck = host.clock.now()
  }

  get enabled (): boolean {
    return this.#h.opts.autoclean > 0
  }

  /** Whether a check is due (every quarter of the autoclean period). */
  due (): boolean {
    return this.enabled && !this.#checking && this.#h.clock.now() - this.#lastCheck >= this.#h.opts.autoclean / 4
  }

  /** Members down for longer than the period, as this node sees them. */
  expired (): Array<{ node: string, downFor: number }> {
    const { node, tracker, clock, opts } = this.#h
    const now = clock.now()
    return memberNames(node)
      .filter((m) => m !== node.name && !node.kernel.isConnected(m))
      .map((m) => ({ node: m, downFor: now - tracker.downSince(m) }))
      .filter((x) => x.downFor > opts.autoclean)
  }

  /** One check: removes the expired members that no other member reaches. */
  async check (): Promise<string[]> {
    if (this.#checking) return []
    this.#checking = true
    this.#lastCheck = this.#h.clock.now()
    const removed: string[] = []
    try {
      const { node, log, opts } = this.#h
      if (node.membership.coordinator() !== node.name) return removed
      for (const { node: m, downFor } of this.expired()) {
        const { result, answers } = await probe(node, m, this.#h.tracker.seen(m)?.creation, opts)
        if (node.kernel.isConnected(m) || !node.membership.isMember(m)) continue
        if (result === 'unreachable_here' || result === 'restarted') {
          log.warn('autoclean: member down here for long, but others reach it: kept', { peer: m, downFor, probe: result, answers: answers.map((a) => `${a.node}:${a.up ? 'up' : 'down'}`).join(',') })
          continue
        }
        log.warn('autoclean: removing a member that has been down too long', { peer: m, downFor, autoclean: opts.autoclean, probe: result })
        if (await node.membership.forceLeave(m)) {
          removed.push(m)
          this.#h.tracker.clear(m, 'removed by autoclean')
          this.#h.publish({ type: 'autoclean', node: m, downFor })
        }
      }
      return removed
    } finally {
      this.#checking = false
    }
  }
}
