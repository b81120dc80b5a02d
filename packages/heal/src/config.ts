/**
 * The heal service's config section: the `cluster.autoheal`,
 * `cluster.autoheal_delay` and `cluster.autoclean` keys (the `tekka`
 * command loads them with every other plugin's); `read` gives the
 * settings the plugin starts the service with.
 *
 * ```ts
 * const config = loadConfig({ sections: [distConfig, healConfig], overrides: { 'cluster.autoheal_delay': '5s' } })
 * healConfig.read(config)   // { autoheal: true, delay: 5000, autoclean: 300000 }
 * ```
 */
import { configValue, type ConfigKeySpec, type ConfigSection } from '@tekka/dist'
import type { HealInit } from './types.js'

const SECONDS = 1000
const MINUTES = 60 * SECONDS
const HOURS = 60 * MINUTES

const keys: readonly ConfigKeySpec[] = [
  { key: 'cluster.autoheal', type: 'bool', default: true, doc: 'After a partition, the leader picks the majority side and the minority nodes restart their applications and rejoin it.', ekka: [{ key: 'cluster.autoheal', note: 'on | off (ekka), true | false (EMQX 5)' }] },
  { key: 'cluster.autoheal_delay', type: 'duration', default: 15 * SECONDS, min: 0, max: 1 * HOURS, doc: 'Wait after a partition is seen before healing, so links that flap briefly do not cause restarts.' },
  { key: 'cluster.autoclean', type: 'duration', default: 5 * MINUTES, min: 0, off: true, doc: 'Remove members that stayed down this long from the member table. 0 or off disables it.', ekka: [{ key: 'cluster.autoclean' }] }
]

/** The heal keys; `read` gives `{ autoheal, delay, autoclean }` (durations in ms). */
export const healConfig: ConfigSection<HealInit> = {
  owner: '@tekka/heal',
  keys,
  read (config) {
    return {
      autoheal: configValue(config, 'cluster.autoheal') as boolean,
      delay: configValue(config, 'cluster.autoheal_delay') as number,
      autoclean: configValue(config, 'cluster.autoclean') as number
    }
  }
}
