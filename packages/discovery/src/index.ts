/**
 * @tekka/discovery — cluster discovery for tekka nodes: the strategy
 * contract (ekka_cluster_strategy), the strategies (manual, static, dns,
 * etcd, k8s, mdns), and the autocluster actor that joins what a strategy
 * discovers.
 *
 * The `tekka` command loads it by itself (`plugin`) and reads
 * `cluster.discovery`, `cluster.autocluster_interval` and the keys of the
 * chosen strategy (`cluster.static.*`, `cluster.dns.*`, `cluster.etcd.*`,
 * `cluster.k8s.*`, `cluster.mdns.*`). From code:
 *
 * ```ts
 * import { startNode } from '@tekka/dist'
 * import { autocluster, staticStrategy, strategyComponents } from '@tekka/discovery'
 *
 * const node = await startNode({ name: 'n1@127.0.0.1', cookie: 'secret', dataDir: './data' })
 * const stop = new AbortController()
 * const strategy = staticStrategy({ seeds: ['n1@127.0.0.1', 'n2@127.0.0.1', 'n3@127.0.0.1'] })(
 *   strategyComponents(node, 'static', stop.signal))
 * const ac = autocluster({ interval: 1000 })({ node, strategy })
 * ac.on('join', (e) => { console.log(`joined ${e.node}: ${e.reason}`) })
 * await ac.start()
 * // ... later
 * await ac.stop(); stop.abort(); await node.stop()
 * ```
 */
export type { Strategy, StrategyCallOptions, StrategyComponents, StrategyFactory } from './strategy.js'
export { manualStrategy, type ManualInit } from './manual.js'
export { staticStrategy, type StaticInit } from './static.js'
export { mdnsStrategy, MdnsStoppedError, MdnsSocketError, type MdnsInit } from './mdns.js'
export { etcdStrategy, EtcdStoppedError, type EtcdInit, type EtcdSslInit } from './etcd.js'
export { EtcdError, EtcdBadResponseError, EtcdUnreachableError, EtcdTimeoutError } from './etcd-client.js'
export { k8sStrategy, type K8sInit } from './k8s.js'
export { dnsStrategy, DnsStoppedError, type DnsInit, type DnsType } from './dns.js'
export { DnsLookupError, DnsTimeoutError, type DnsFailure } from './dns-resolver.js'
export { K8sApiError, K8sCredentialsError, K8sRequestError, K8sResponseError } from './k8s-errors.js'
export {
  autocluster,
  type Autocluster, type AutoclusterInit, type AutoclusterComponents, type AutoclusterState, type AutoclusterStatus, type RoundReport
} from './autocluster.js'
export type { Decision, PeerView, SelfView } from './plan.js'
export type { Skipped } from './names.js'
export { StrategyTimeoutError, BadStrategyResultError } from './errors.js'
export { plugin, strategyComponents, strategyFromConfig, type DiscoveryInstance, type DiscoveryPlugin } from './plugin.js'
