/**
 * The `@tekka/discovery` plugin: the `tekka` command starts it once the node
 * and its membership are up. It builds the strategy `cluster.discovery`
 * names and runs the autocluster actor with it.
 */
import { ConfigError, KNOWN_PLUGINS, type DistNode, type PluginInstance, type TekkaConfig, type TekkaPlugin } from '@tekka/dist'
import { autocluster, type Autocluster } from './autocluster.js'
import { manualStrategy } from './manual.js'
import { staticStrategy } from './static.js'
import { dnsStrategy } from './dns.js'
import { k8sStrategy } from './k8s.js'
import { mdnsStrategy } from './mdns.js'
import { etcdStrategy } from './etcd.js'
import type { Strategy, StrategyComponents } from './strategy.js'

const NAME = '@tekka/discovery'

/** The components a strategy of `node` gets; `signal` is aborted when discovery stops. */
export function strategyComponents (node: DistNode, strategy: string, signal: AbortSignal): StrategyComponents {
  return {
    node: node.name,
    cluster: node.membership.cluster,
    port: node.port,
    clock: node.runtime.clock,
    logger: node.log.child('discovery').child(strategy),
    signal
  }
}

/**
 * The strategy `config.cluster.discovery` names. Throws ConfigError for a
 * strategy this version does not have, naming the key and the value.
 */
export function strategyFromConfig (config: TekkaConfig, components: StrategyComponents): Strategy {
  const kind = config.cluster.discovery
  switch (kind) {
    case 'manual': return manualStrategy()(components)
    case 'static': return staticStrategy({ seeds: config.cluster.static.seeds })(components)
    case 'dns': {
      const d = config.cluster.dns
      return dnsStrategy({ name: d.name, app: d.app, type: d.type, servers: d.servers, port: d.port })(components)
    }
    case 'k8s': {
      const k = config.cluster.k8s
      return k8sStrategy({
        apiserver: k.apiserver,
        serviceName: k.service_name,
        namespace: k.namespace,
        addressType: k.address_type,
        appName: k.app_name,
        suffix: k.suffix,
        serviceAccountDir: k.service_account_dir,
        useEndpointSlices: k.use_endpoint_slices
      })(components)
    }
    case 'etcd': {
      const e = config.cluster.etcd
      return etcdStrategy({ server: e.server, prefix: e.prefix, nodeTtl: e.node_ttl, ssl: e.ssl })(components)
    }
    case 'mdns':
      if (components.port === undefined) {
        throw new ConfigError(`cluster.discovery = mdns needs a node that listens on a port: ${components.node} is client-only and cannot announce itself`, { key: 'cluster.discovery' })
      }
      return mdnsStrategy({ service: config.cluster.mdns.service, browseWindow: config.cluster.mdns.browse_window })(components)
    default:
      throw new ConfigError(`cluster.discovery = ${String(kind)} is not a discovery strategy (manual, static, dns, etcd, k8s or mdns)`, { key: 'cluster.discovery' })
  }
}

export interface DiscoveryInstance extends PluginInstance {
  readonly autocluster: Autocluster
  stop(): Promise<void>
}

/** The plugin, with what `start` gives back spelled out (the autocluster, for apps and tests). */
export interface DiscoveryPlugin extends TekkaPlugin {
  start(node: DistNode, config: TekkaConfig): Promise<DiscoveryInstance>
}

export const plugin: DiscoveryPlugin = {
  name: NAME,
  configKeys: KNOWN_PLUGINS.find((p) => p.name === NAME)?.configKeys ?? ['cluster.discovery', 'cluster.autocluster_interval', 'cluster.static.'],
  async start (node: DistNode, config: TekkaConfig): Promise<DiscoveryInstance> {
    const abort = new AbortController()
    const strategy = strategyFromConfig(config, strategyComponents(node, config.cluster.discovery, abort.signal))
    const ac = autocluster({ interval: config.cluster.autocluster_interval })({ node, strategy })
    await ac.start()
    return {
      autocluster: ac,
      async stop () {
        await ac.stop()
        abort.abort(new Error('discovery stopped'))
      }
    }
  }
}
