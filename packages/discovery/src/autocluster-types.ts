/**
 * The autocluster actor's types: its init, what it is given, its states, and
 * what one round reports. Types only.
 */
import type { NodeComponents } from '@tekka/dist'
import type { Skipped } from './names.js'
import type { Decision } from './plan.js'
import type { Strategy } from './strategy.js'

export interface AutoclusterInit {
  /** ms between rounds until the work is done (`cluster.autocluster_interval`). Default 5000. */
  interval?: number
  /** ms each strategy call may take before it counts as failed. Default 10000; for a strategy with a `callTime`, at least that + 5000. */
  callTimeout?: number
  /** ms to reach a discovered node and get its member status. Default 5000. */
  probeTimeout?: number
  /**
   * Once a node in a cluster has answered, ms to wait for the others before
   * deciding with the answers there are: joining any member of a cluster
   * joins the cluster, and a node started into a busy cluster should not wait
   * for every link to come up first. The round is not complete until every
   * node answered. Default: a quarter of the interval, at most 1000.
   */
  probeGrace?: number
  /**
   * Most ms of the random pause before joining when the strategy has no
   * lock (ekka sleeps up to 3 s), so nodes started together do not all join
   * at once. Default: half the interval, at most 3000.
   */
  jitter?: number
  /** Start enabled. Default true. */
  enabled?: boolean
  /** Register `autocluster status | enable | disable` with the node's ctl. Default true. */
  ctl?: boolean
}

/**
 * What the actor uses of the node (a subset of its components: pass
 * `node.components`), and the strategy, not started yet: the actor starts
 * and stops it.
 */
export interface AutoclusterComponents extends Pick<NodeComponents, 'node' | 'clock' | 'logger' | 'events' | 'runtime' | 'net' | 'rpc' | 'membership' | 'ctl'> {
  readonly strategy: Strategy
}

/**
 * - `running`: rounds every interval
 * - `complete`: the work is done; nothing runs until `enable()`
 * - `left`: this node left its cluster; nothing runs until `enable()`
 * - `crashed`: the supervisor gave up restarting the actor
 * - `stopped`: not started, or stopped
 */
export type AutoclusterState = 'running' | 'complete' | 'left' | 'crashed' | 'stopped'

/** What one round saw and did (the payload of `autocluster.round`, and `autocluster status`). */
export interface RoundReport {
  readonly round: number
  /** Wall-clock ms when it started. */
  readonly at: number
  /** How long it took, in ms of the node's clock. */
  duration: number
  /** Well-formed names discovered, without this node. */
  discovered: string[]
  /** Discovered items that are not node names, and why. */
  skipped: Skipped[]
  /** Discovered nodes that answered their member status. */
  alive: string[]
  /** Discovered nodes that could not be reached or did not answer, and why. */
  dead: Array<{ node: string, why: string }>
  /** Discovered nodes still being reached when the round decided (see `probeGrace`). */
  pending: string[]
  /** `taken` / `held elsewhere` when the strategy has a lock. */
  lock?: 'taken' | 'held elsewhere'
  decision?: Decision
  /** The node joined this round. */
  joined?: string
  registered: boolean
  complete: boolean
  /** Set when the round failed: the cause. */
  error?: string
  /** Set when the round was cut short (disabled, left, stopped). */
  cancelled?: string
}

export interface AutoclusterStatus {
  readonly node: string
  readonly strategy: string
  readonly enabled: boolean
  readonly state: AutoclusterState
  readonly interval: number
  readonly rounds: number
  /** The actor's pid while it runs. */
  readonly pid: string | undefined
  readonly last: RoundReport | undefined
}
