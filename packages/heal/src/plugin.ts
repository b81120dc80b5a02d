/**
 * The `tekka` command's hook: with @tekka/heal installed, every node it
 * starts runs the heal service, configured by `cluster.autoheal`,
 * `cluster.autoheal_delay` and `cluster.autoclean`.
 */
import type { TekkaPlugin } from '@tekka/dist'
import { HealService } from './service.js'

export const plugin: TekkaPlugin = {
  name: '@tekka/heal',
  configKeys: ['cluster.autoheal', 'cluster.autoclean'],
  async start (node, config) {
    const service = new HealService({
      autoheal: config.cluster.autoheal,
      delay: config.cluster.autoheal_delay,
      autoclean: config.cluster.autoclean
    }, { node })
    await service.start()
    return { stop: async () => { await service.stop() } }
  }
}
