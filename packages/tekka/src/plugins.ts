/**
 * The plugins a tekka node runs by default, in start order (stopped in
 * reverse): management first (its endpoint, when configured, sees every
 * other plugin's events from their start and answers until they stopped),
 * then discovery finds and joins the cluster, heal watches it for
 * partitions, lock serves locks once the node is in its cluster. This list
 * is the only place that names them: dist knows none of them.
 */
import { plugin as discovery } from '@tekka/discovery'
import { plugin as management } from '@tekka/management'
import { plugin as heal } from '@tekka/heal'
import { plugin as lock } from '@tekka/lock'
import { distConfig, type ConfigSection, type TekkaPlugin } from '@tekka/dist'

export function defaultPlugins (): TekkaPlugin[] {
  return [management, discovery, heal, lock]
}

/** Every config section of a node with `plugins`: dist's own, then each plugin's. */
export function configSections (plugins: readonly TekkaPlugin[] = defaultPlugins()): ConfigSection[] {
  return [distConfig, ...plugins.map((p) => p.config)]
}
