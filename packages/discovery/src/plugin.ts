/**
 * The `@tekka/discovery` plugin: the `tekka` command starts it once the node
 * and its membership are up. It builds the strategy `cluster.discovery`
 * names and runs the autocluster actor with it.
 */
import { ConfigError, KNOWN_PLUGINS, type DistNode, type PluginInstance, type TekkaConfig, type TekkaPlugin } from '@tekka/dist'
import { autocluster, type Autocluster } from './autocluster.js'
import { manualStrategy } from './manual.js'
import { staticStrategy } from './static.js'
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
    default:
      throw new ConfigError(`cluster.discovery = ${kind} is not implemented in this version (use manual or static)`, { key: 'cluster.discovery' })
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
