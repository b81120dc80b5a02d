/**
 * The strategies this package brings, in the order the docs list them: the
 * values `cluster.discovery` allows unless a plugin is made with others
 * (`discoveryPlugin({ strategies })`).
 */
import { dnsDefinition } from './dns.js'
import { etcdDefinition } from './etcd.js'
import { k8sDefinition } from './k8s.js'
import { manualDefinition } from './manual.js'
import { mdnsDefinition } from './mdns.js'
import { staticDefinition } from './static.js'
import type { StrategyDefinition } from './strategy.js'

export const STRATEGIES: readonly StrategyDefinition[] = Object.freeze([
  manualDefinition, staticDefinition, dnsDefinition, etcdDefinition, k8sDefinition, mdnsDefinition
])
