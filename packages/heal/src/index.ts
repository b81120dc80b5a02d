/**
 * @tekka/heal — partition detection, autoheal and autoclean for tekka
 * clusters (ekka's node monitor, autoheal and autoclean).
 *
 * Every node runs a node monitor. A member that went down and comes back
 * with the same incarnation means both sides kept running apart: a
 * partition, recorded on both sides (`tekka ctl cluster status` shows it)
 * and reported to the leader. After `delay` the leader gathers every node's
 * view, builds the split view, picks a coordinator on the majority side,
 * and the coordinator reboots the minority: each of its nodes stops its
 * applications, forgets its partitions, rejoins and starts its applications
 * again, once per heal. Autoclean removes members that stayed down too long.
 * What it sees and decides is published on the node's event stream
 * (`heal.partition`, `heal.decision`, ...: see events.ts).
 *
 * The `tekka` command starts it from the configuration (`plugin`, with the
 * keys of `healConfig`). In code:
 *
 * ```ts
 * import { startNode } from '@tekka/dist'
 * import { heal } from '@tekka/heal'
 *
 * const node = await startNode({ name: 'n1@127.0.0.1', cookie: 'secret' })
 * const service = heal({ delay: 5000, autoclean: 0 })(node.components)
 * node.events.on('heal.decision', (e) => { console.log(e.decision, e.plan?.victims) })
 * await service.start()
 * // ... node.membership.status().partitions, service.status()
 * await service.stop()
 * ```
 */
import './events.js'
import { HealService } from './service.js'
import type { HealComponents, HealInit } from './types.js'

/** The heal service factory: `heal(init)(components)`; defaults are applied once, from `init`. */
export function heal (init: HealInit = {}): (components: HealComponents) => HealService {
  return (components) => new HealService(init, components)
}

export { HealService, type HealStatus } from './service.js'
export { plugin } from './plugin.js'
export { healConfig } from './config.js'
export { HEAL_EVENTS, type HealEvent, type HealEventType, type ProbeAnswer } from './events.js'
export { decide, formatSplitView, type NodeView, type SplitView, type SplitGroup, type HealDecision } from './split-view.js'
export { healOptions, MONITOR_NAME, SUPERVISOR_NAME, RPC } from './types.js'
export type { HealInit, HealOptions, HealComponents, HealPlan, HealResult, ClusterView, ProbeResult } from './types.js'
export { HealOptionError, HealRequestError, HEAL_ERRORS, type HealErrorCode } from './errors.js'
