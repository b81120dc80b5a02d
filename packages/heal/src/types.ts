/**
 * The heal service's contract: its options (with the defaults applied in one
 * place), the components it takes from the node, what its parts share
 * (`HealHost`), and the names it uses on the wire. Types and constants only.
 */
import type { LogLevel, Logger, TekkaEvents } from '@tekka/actors'
import type { NodeComponents } from '@tekka/dist'
import type { HealEventType } from './events.js'
import type { NodeView, SplitView } from './split-view.js'
import type { PartitionTracker } from './partition-tracker.js'
import { HealOptionError } from './errors.js'

export interface HealInit {
  /** Heal partitions automatically (`cluster.autoheal`, default true). */
  autoheal?: boolean
  /** ms between a reported partition and the heal (`cluster.autoheal_delay`, default 15 s). */
  delay?: number
  /** ms a member may stay down before it is removed everywhere (`cluster.autoclean`, default 5 min; 0 = off). */
  autoclean?: number
  /** ms between dials to members that are down, so a partition that ends is seen soon (default 1 s). */
  reconnect?: number
  /** ms after a member went down before others are asked about it (the indirect probe; default 1 s). */
  probeDelay?: number
  /** ms an RPC for views, probes and reports may take (default 5 s). */
  rpcTimeout?: number
  /** ms a minority node may take to stop, or to start, its applications (default 30 s). */
  healTimeout?: number
}

export type HealOptions = Required<HealInit>

/**
 * What the heal service uses of a node (`node.components` has it all): its
 * identity, clock, logger (the service takes a child `heal`), event stream,
 * processes, links, RPC, member table and applications.
 */
export type HealComponents = Pick<NodeComponents, 'node' | 'clock' | 'logger' | 'events' | 'runtime' | 'net' | 'rpc' | 'membership' | 'applications'>

/** The defaults, applied in one place. */
export function healOptions (init: HealInit = {}): HealOptions {
  const o: HealOptions = {
    autoheal: init.autoheal ?? true,
    delay: init.delay ?? 15_000,
    autoclean: init.autoclean ?? 5 * 60_000,
    reconnect: init.reconnect ?? 1000,
    probeDelay: init.probeDelay ?? 1000,
    rpcTimeout: init.rpcTimeout ?? 5000,
    healTimeout: init.healTimeout ?? 30_000
  }
  if (typeof o.autoheal !== 'boolean') throw new HealOptionError('autoheal', `heal option autoheal must be true or false, got ${String(o.autoheal)}`)
  for (const [k, v] of Object.entries(o)) {
    if (k !== 'autoheal' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new HealOptionError(k, `heal option ${k} must be a number of ms >= 0, got ${String(v)}`)
  }
  for (const k of ['reconnect', 'rpcTimeout', 'healTimeout'] as const) {
    if (o[k] === 0) throw new HealOptionError(k, `heal option ${k} must be > 0`)
  }
  return o
}

/**
 * What the node monitor, autoheal and autoclean get from the service that
 * owns them: the node's components, the options, the logger for what is
 * not an event, the partition tracker they share, and the publisher of
 * heal events.
 */
export interface HealHost {
  readonly components: HealComponents
  readonly opts: HealOptions
  readonly log: Logger
  readonly tracker: PartitionTracker
  publish<K extends HealEventType>(type: K, payload: TekkaEvents[K], level: LogLevel): void
}

/** What a probe of a member that went down found. */
export type ProbeResult =
  /** Another member still has a link to it, same incarnation: a link failure on this side, not a dead node. */
  | 'unreachable_here'
  /** Another member sees a new incarnation of it. */
  | 'restarted'
  /** No member that answered can reach it: dead, or on the other side of a partition. */
  | 'down'
  /** No other member to ask. */
  | 'unknown'

/** A node's answer to the leader: its view, and whether it is quiet. */
export interface ClusterView extends NodeView {
  /** Its incarnation. */
  creation: number
  /** ms since its last link change with a member (nodeup, nodedown, partition record). */
  quietFor: number
  /** The heal it is being rebooted for, if any. */
  healing: string | undefined
}

/** The leader's plan, sent to the coordinator. */
export interface HealPlan {
  id: string
  leader: string
  coordinator: string
  survivors: string[]
  victims: string[]
  tainted: string[]
  splitView: SplitView
}

export interface HealResult {
  id: string
  status: 'done' | 'partial' | 'busy'
  rebooted: string[]
  failed: Array<{ node: string, error: string }>
}

/** Registered name of the node monitor on every node. */
export const MONITOR_NAME = 'tekka_heal_monitor'
/** Registered name of the heal supervisor. */
export const SUPERVISOR_NAME = 'tekka_heal_sup'

/** RPC functions every node with the heal service answers. */
export const RPC = {
  view: 'tekka.heal.view',
  probe: 'tekka.heal.probe',
  run: 'tekka.heal.run',
  shutdown: 'tekka.heal.shutdown',
  reboot: 'tekka.heal.reboot',
  healed: 'tekka.heal.healed'
} as const
