/**
 * The answers of /health/ready and /cluster, read at request time from the
 * node's read-only views (its membership, its links) and what the event
 * stream told the NodeWatch. Nothing here waits on the node.
 */
import type { NodeComponents } from '@tekka/dist'
import type { NodeWatch } from './watch.js'

export interface Readiness {
  ready: boolean
  /** Why not, for the 503's body. */
  reason?: string
  /** This node's member status (`up`, `joining`, `leaving`, `healing`, `down`). */
  status: string
  discovery: NodeWatch['discovery']
}

type Parts = Pick<NodeComponents, 'node' | 'membership' | 'net'>

/**
 * Ready once this node is an `up` member and discovery (when it runs) has
 * joined every node it discovered; not while a heal is in progress here,
 * nor while the node leaves or stops.
 */
export function readiness (c: Parts, w: NodeWatch): Readiness {
  const self = c.membership.members().find((m) => m.node === c.node.name)
  const status = self?.status ?? 'unknown'
  const out = (reason?: string): Readiness => reason === undefined
    ? { ready: true, status, discovery: w.discovery }
    : { ready: false, reason, status, discovery: w.discovery }
  if (w.stopping) return out('the node is stopping')
  if (w.leaving || status === 'leaving') return out('the node is leaving its cluster')
  if (w.healing.size > 0 || status === 'healing') return out('a heal is in progress on this node')
  if (status !== 'up') return out(`this node's member status is ${status}`)
  if (w.discovery.strategy !== undefined && !w.discovery.complete) return out(w.discovery.reason)
  return out()
}

/** GET /cluster: what `tekka ctl cluster status` shows, with readiness, discovery and the last heal decision with its inputs. */
export function clusterView (c: Parts, w: NodeWatch): unknown {
  const d = w.lastDecision
  return {
    node: { name: c.node.name, creation: c.node.creation, cluster: c.node.cluster, port: c.node.port ?? null },
    ready: readiness(c, w),
    status: c.membership.status(),
    links: c.net.nodes({ hidden: true }),
    heal: {
      inProgress: [...w.healing],
      lastDecision: d === undefined
        ? null
        : { id: d.id, at: d.time, leader: d.node, decision: d.decision, reason: d.reason ?? null, retryIn: d.retryIn ?? null, views: d.views, plan: d.plan ?? null }
    }
  }
}
