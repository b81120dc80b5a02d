/**
 * The plugin the `tekka` command starts: the heal service on the node,
 * configured by `cluster.autoheal`, `cluster.autoheal_delay` and
 * `cluster.autoclean` (config.ts). The started instance is the service
 * itself, so a caller of `startTekka` can read its `status()`.
 */
import type { TekkaPlugin } from '@tekka/dist'
import { healConfig } from './config.js'
import { HEAL_ERRORS } from './errors.js'
import { HealService } from './service.js'
import type { HealInit } from './types.js'

export const plugin: TekkaPlugin<HealInit, HealService> = {
  name: '@tekka/heal',
  description: 'autoheal and autoclean',
  config: healConfig,
  errors: HEAL_ERRORS,
  async start (components, settings) {
    const service = new HealService(settings, components)
    await service.start()
    return service
  }
}
