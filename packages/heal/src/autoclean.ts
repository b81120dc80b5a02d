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
import { memberNames, probe } from './probe.js'
import type { HealComponents, HealHost } from './types.js'

export class Autoclean {
  readonly #h: HealHost
  readonly #c: HealComponents
  #lastCheck: number
  #checking = false

  constructor (host: HealHost) {
    this.#h = host
    this.#c = host.components
    this.#lastCheck = this.#c.clock.now()
  }

  get enabled (): boolean {
    return this.#h.opts.autoclean > 0
  }

  /** Whether a check is due (every quarter of the autoclean period). */
  due (): boolean {
    return this.enabled && !this.#checking && this.#c.clock.now() - this.#lastCheck >= this.#h.opts.autoclean / 4
  }

  /** Members down for longer than the period, as this node sees them. */
  expired (): Array<{ member: string, downFor: number }> {
    const { tracker, opts } = this.#h
    const { node, net, membership, clock } = this.#c
    const now = clock.now()
    return memberNames(membership)
      .filter((m) => m !== node.name && !net.isConnected(m))
      .map((m) => ({ member: m, downFor: now - tracker.downSince(m) }))
      .filter((x) => x.downFor > opts.autoclean)
  }

  /** One check: removes the expired members that no other member reaches. */
  async check (): Promise<string[]> {
    if (this.#checking) return []
    this.#checking = true
    this.#lastCheck = this.#c.clock.now()
    const removed: string[] = []
    try {
      const { log, opts, tracker } = this.#h
      const c = this.#c
      if (c.membership.coordinator() !== c.node.name) return removed
      for (const { member: m, downFor } of this.expired()) {
        const { result, answers } = await probe(c, m, tracker.seen(m)?.creation, opts)
        if (c.net.isConnected(m) || !c.membership.isMember(m)) continue
        if (result === 'unreachable_here' || result === 'restarted') {
          log.warn('autoclean: member down here for long, but others reach it: kept', { peer: m, downFor, probe: result, answers: answers.map((a) => `${a.member}:${a.up ? 'up' : 'down'}`).join(',') })
          continue
        }
        if (await c.membership.forceLeave(m)) {
          removed.push(m)
          tracker.clear(m, 'removed by autoclean')
          this.#h.publish('heal.autoclean', { member: m, downFor }, 'warn')
        }
      }
      return removed
    } finally {
      this.#checking = false
    }
  }
}
