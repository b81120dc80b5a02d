/**
 * The `@tekka/discovery` plugin: its config section (`cluster.discovery`,
 * `cluster.autocluster_interval`, and each strategy's own keys, assembled
 * from the strategy definitions) and its start: the strategy
 * `cluster.discovery` names, run by the autocluster actor on the node's
 * components. The `tekka` package starts it once the node is up.
 */
import { BadArgError } from '@tekka/actors'
import {
  ConfigError, configValue,
  type Config, type ConfigKeySpec, type ConfigSection, type NodeComponents, type PluginInstance, type TekkaPlugin
} from '@tekka/dist'
import { autocluster, type Autocluster } from './autocluster.js'
import { HOURS, SECONDS } from './config-patterns.js'
import { DISCOVERY_ERRORS } from './errors.js'
import { STRATEGIES } from './strategies.js'
import type { Strategy, StrategyComponents, StrategyDefinition } from './strategy.js'

const NAME = '@tekka/discovery'

/** What the plugin reads from a loaded configuration. */
export interface DiscoverySettings {
  /** `cluster.discovery`: the strategy's name. */
  readonly discovery: string
  /** `cluster.autocluster_interval`, ms. */
  readonly interval: number
  /** The chosen strategy's init, read from its keys by its definition. */
  readonly init: unknown
}

/** A running discovery: the autocluster actor (for apps, `tekka ctl` and tests). */
export interface DiscoveryInstance extends PluginInstance {
  readonly autocluster: Autocluster
  stop(): Promise<void>
}

export interface DiscoveryPluginOptions {
  /** The strategies `cluster.discovery` may name. Default: this package's (manual, static, dns, etcd, k8s, mdns). */
  strategies?: readonly StrategyDefinition[]
}

/** The components a strategy gets from the node's; `signal` is aborted when discovery stops. */
export function strategyComponents (components: Pick<NodeComponents, 'node' | 'clock' | 'logger'>, strategy: string, signal: AbortSignal): StrategyComponents {
  return {
    node: components.node.name,
    cluster: components.node.cluster,
    port: components.node.port,
    clock: components.clock,
    logger: components.logger.child('discovery').child(strategy),
    signal
  }
}

function byName (strategies: readonly StrategyDefinition[], name: unknown): StrategyDefinition {
  const d = strategies.find((s) => s.name === name)
  if (d !== undefined) return d
  const names = strategies.map((s) => s.name)
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? ''}` : names.join('')
  throw new ConfigError(`cluster.discovery = ${String(name)} is not a discovery strategy (${list})`, { key: 'cluster.discovery' })
}

/**
 * The strategy `cluster.discovery` names, built from a configuration loaded
 * with the discovery section. Throws ConfigError naming the key for a
 * strategy it does not have, or one this node cannot run.
 */
export function strategyFromConfig (config: Config, components: StrategyComponents, strategies: readonly StrategyDefinition[] = STRATEGIES): Strategy {
  const d = byName(strategies, configValue(config, 'cluster.discovery'))
  return d.create(d.read(config), components)
}

/** Why ekka's `mcast` strategy is refused rather than mapped: it is another protocol, with keys (`cluster.mcast.*`) tekka does not have. */
const MCAST = 'ekka\'s UDP multicast discovery is not in tekka; mdns finds nodes on the local network by multicast DNS-SD (cluster.discovery = mdns, cluster.mdns.service) and needs no cluster.mcast.* keys'

/** The config section of a discovery plugin with `strategies`. */
export function discoveryConfig (strategies: readonly StrategyDefinition[] = STRATEGIES): ConfigSection<DiscoverySettings> {
  const names = strategies.map((s) => s.name)
  if (names.length === 0) throw new BadArgError('a discovery plugin needs at least one strategy', 'strategies')
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice !== undefined) throw new BadArgError(`discovery strategy ${twice} is given twice`, 'strategies')
  const keys: ConfigKeySpec[] = [
    { key: 'cluster.discovery', type: 'enum', default: names.includes('manual') ? 'manual' : names[0], values: names, doc: 'Autocluster strategy. manual: only `tekka ctl cluster join`. The others find peers and join them automatically.', ekka: [{ key: 'cluster.discovery', note: 'ekka, EMQX 4' }, { key: 'cluster.discovery_strategy', note: 'EMQX 5' }], ...(names.includes('mcast') ? {} : { refused: { mcast: MCAST } }) },
    { key: 'cluster.autocluster_interval', type: 'duration', default: 5 * SECONDS, min: 10, max: 1 * HOURS, doc: 'How often the autocluster actor retries until every discovered node is joined (ekka loops every 5 s).' },
    ...strategies.flatMap((s) => s.keys)
  ]
  return {
    owner: NAME,
    keys,
    ...(names.includes('mcast') ? {} : { unsupported: { 'cluster.mcast.*': MCAST } }),
    check (values) {
      const chosen = values.get('cluster.discovery')
      for (const s of strategies) s.check?.(values, s.name === chosen)
    },
    read (config) {
      const d = byName(strategies, configValue(config, 'cluster.discovery'))
      return { discovery: d.name, interval: configValue(config, 'cluster.autocluster_interval') as number, init: d.read(config) }
    }
  }
}

/** A discovery plugin; `plugin` is the one with this package's strategies. */
export function discoveryPlugin (opts: DiscoveryPluginOptions = {}): TekkaPlugin<DiscoverySettings, DiscoveryInstance> {
  const strategies = opts.strategies ?? STRATEGIES
  return {
    name: NAME,
    description: 'cluster discovery',
    config: discoveryConfig(strategies),
    errors: DISCOVERY_ERRORS,
    async start (components, settings) {
      const d = byName(strategies, settings.discovery)
      const abort = new AbortController()
      const strategy = d.create(settings.init, strategyComponents(components, d.name, abort.signal))
      const ac = autocluster({ interval: settings.interval })({ ...components, strategy })
      try {
        await ac.start()
      } catch (err) {
        abort.abort(err)
        throw err
      }
      return {
        autocluster: ac,
        async stop () {
          await ac.stop()
          abort.abort(new Error('discovery stopped'))
        }
      }
    }
  }
}

export const plugin: TekkaPlugin<DiscoverySettings, DiscoveryInstance> = discoveryPlugin()
