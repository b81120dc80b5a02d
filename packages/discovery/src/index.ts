/**
 * @tekka/discovery — cluster discovery for tekka nodes: the strategy
 * contract (ekka_cluster_strategy), the strategies (manual, static, dns,
 * etcd, k8s, mdns) with the config keys each owns, and the autocluster actor
 * that joins what a strategy discovers.
 *
 * The `tekka` package runs it as a plugin (`plugin`): its config section has
 * `cluster.discovery`, `cluster.autocluster_interval` and the keys of every
 * strategy (`cluster.static.*`, `cluster.dns.*`, `cluster.etcd.*`,
 * `cluster.k8s.*`, `cluster.mdns.*`). From code, on a node's components:
 *
 * ```ts
 * import { startNode } from '@tekka/dist'
 * import { autocluster, staticStrategy, strategyComponents } from '@tekka/discovery'
 *
 * const node = await startNode({ name: 'n1@127.0.0.1', cookie: 'secret', dataDir: './data' })
 * const stop = new AbortController()
 * const strategy = staticStrategy({ seeds: ['n1@127.0.0.1', 'n2@127.0.0.1', 'n3@127.0.0.1'] })(
 *   strategyComponents(node.components, 'static', stop.signal))
 * const ac = autocluster({ interval: 1000 })({ ...node.components, strategy })
 * node.events.on('autocluster.joined', (e) => { console.log(`joined ${e.target}: ${e.reason}`) })
 * await ac.start()
 * // ... later
 * await ac.stop(); stop.abort(); await node.stop()
 * ```
 */
import './events.js'

// the contract
export type { Strategy, StrategyCallOptions, StrategyComponents, StrategyDefinition, StrategyFactory } from './strategy.js'

// the strategies, each with its definition (its config keys)
export { manualStrategy, manualDefinition, type ManualInit } from './manual.js'
export { staticStrategy, staticDefinition, type StaticInit } from './static.js'
export { dnsStrategy, dnsDefinition, type DnsInit, type DnsType } from './dns.js'
export { etcdStrategy, etcdDefinition, type EtcdInit, type EtcdSslInit } from './etcd.js'
export { k8sStrategy, k8sDefinition, type K8sInit, type K8sAddressType } from './k8s.js'
export { mdnsStrategy, mdnsDefinition, type MdnsInit, type MdnsFamily } from './mdns.js'
export { STRATEGIES } from './strategies.js'

// the autocluster actor
export { autocluster, type Autocluster } from './autocluster.js'
export type { AutoclusterComponents, AutoclusterInit, AutoclusterState, AutoclusterStatus, RoundReport } from './autocluster-types.js'
export type { Decision, PeerView, SelfView } from './plan.js'
export type { Skipped } from './names.js'

// the plugin
export {
  plugin, discoveryPlugin, discoveryConfig, strategyComponents, strategyFromConfig,
  type DiscoveryInstance, type DiscoveryPluginOptions, type DiscoverySettings
} from './plugin.js'

// errors
export {
  StrategyTimeoutError, BadStrategyResultError, ProbeTimeoutError,
  DnsWireError, DnsLookupError, DnsTimeoutError, DnsBadAnswerError, DnsStoppedError,
  EtcdError, EtcdBadResponseError, EtcdUnreachableError, EtcdTimeoutError, EtcdStoppedError,
  K8sApiError, K8sCredentialsError, K8sRequestError, K8sResponseError,
  MdnsStoppedError, MdnsSocketError,
  DISCOVERY_ERRORS, type DiscoveryErrorCode, type DnsFailure
} from './errors.js'
