/**
 * What this node has seen of each peer's incarnation, and the partitions it
 * recorded. It lives outside the node monitor actor: the link listeners
 * update it synchronously (no event can be lost while the actor restarts),
 * and a restarted actor carries on with it.
 *
 * A member that went down and comes back with the same `creation` means
 * neither side restarted and both kept running apart: a partition. One that
 * comes back with a new creation restarted, and any partition recorded with
 * its old incarnation is over.
 */
import type { LogLevel, TekkaEvents } from '@tekka/actors'
import type { HealComponents, ProbeResult } from './types.js'

interface Seen {
  creation: number
  up: boolean
  /** Clock ms of the last change. */
  at: number
}

export type UpVerdict = 'first' | 'up' | 'partition' | 'restarted'

type PublishPartition = (type: 'heal.partition', payload: TekkaEvents['heal.partition'], level: LogLevel) => void

export class PartitionTracker {
  readonly #c: Pick<HealComponents, 'net' | 'membership' | 'clock'>
  readonly #publish: PublishPartition
  readonly #seen = new Map<string, Seen>()
  readonly #partitions = new Map<string, { since: number, reason: string }>()
  readonly #probes = new Map<string, { result: ProbeResult, at: number }>()
  #lastChange: number
  readonly #startedAt: number

  constructor (components: Pick<HealComponents, 'net' | 'membership' | 'clock'>, publish: PublishPartition) {
    this.#c = components
    this.#publish = publish
    const { net, membership, clock } = components
    this.#startedAt = this.#lastChange = clock.now()
    // Links that are up already (the service started after the node).
    for (const n of net.nodes()) {
      const info = net.peerInfo(n)
      if (info !== undefined) this.#seen.set(n, { creation: info.creation, up: true, at: this.#lastChange })
    }
    // Partitions recorded by an earlier instance of the service.
    for (const n of membership.partitions()) this.#partitions.set(n, { since: this.#lastChange, reason: 'recorded before start' })
  }

  /** A link came up: was it a partition that ended? */
  nodeUp (node: string, creation: number): UpVerdict {
    const before = this.#seen.get(node)
    const now = this.#c.clock.now()
    this.#seen.set(node, { creation, up: true, at: now })
    // Only links between members count as changes (a stranger dialling in does not delay a heal).
    if (this.#c.membership.isMember(node)) this.#lastChange = now
    this.#probes.delete(node)
    if (before === undefined) return 'first'
    if (before.creation !== creation) {
      this.clear(node, 'it restarted (new incarnation)')
      return 'restarted'
    }
    if (before.up) return 'up'
    if (!this.#c.membership.isMember(node)) return 'up'
    this.record(node, 'it came back with the same incarnation: both sides kept running apart')
    return 'partition'
  }

  nodeDown (node: string): void {
    const s = this.#seen.get(node)
    const now = this.#c.clock.now()
    if (s !== undefined) this.#seen.set(node, { ...s, up: false, at: now })
    if (this.#c.membership.isMember(node)) this.#lastChange = now
  }

  /** The incarnation last seen of `node`, and whether its link is up. */
  seen (node: string): Readonly<Seen> | undefined {
    return this.#seen.get(node)
  }

  /** Since when (clock ms) `node` has been down here; the service start if it was never seen. */
  downSince (node: string): number {
    const s = this.#seen.get(node)
    return s === undefined ? this.#startedAt : s.up ? this.#c.clock.now() : s.at
  }

  partitions (): string[] {
    return [...this.#partitions.keys()].sort()
  }

  has (node: string): boolean {
    return this.#partitions.has(node)
  }

  /** Records a partition with `node`; false if it was recorded already. */
  record (node: string, reason: string): boolean {
    if (this.#partitions.has(node)) return false
    const now = this.#c.clock.now()
    this.#partitions.set(node, { since: now, reason })
    this.#lastChange = now
    this.#c.membership.reportPartition('occurred', node)
    this.#publish('heal.partition', { peer: node, event: 'occurred', reason }, 'warn')
    return true
  }

  /** Drops the partition with `node`; false if there was none. */
  clear (node: string, reason: string): boolean {
    if (!this.#partitions.delete(node)) return false
    this.#lastChange = this.#c.clock.now()
    this.#c.membership.reportPartition('healed', node)
    this.#publish('heal.partition', { peer: node, event: 'healed', reason }, 'info')
    return true
  }

  /** Drops every partition (a node rebooted by autoheal); returns those dropped. */
  reset (reason: string): string[] {
    const all = this.partitions()
    for (const n of all) this.clear(n, reason)
    return all
  }

  /** ms since the last link change or partition record here. */
  quietFor (): number {
    return this.#c.clock.now() - this.#lastChange
  }

  setProbe (node: string, result: ProbeResult): void {
    this.#probes.set(node, { result, at: this.#c.clock.now() })
  }

  probe (node: string): { result: ProbeResult, at: number } | undefined {
    return this.#probes.get(node)
  }

  forget (node: string): void {
    this.#probes.delete(node)
  }
}
