/**
 * The plugin the `tekka` command loads: it starts the lock service on the
 * node from the `lock.` keys of the configuration (`lock.lease`,
 * `lock.lease_check`), with the safety margin derived from `node.tick_time`.
 */
import type { TekkaPlugin } from '@tekka/dist'
import { createLockService } from './service.js'

export const plugin: TekkaPlugin = {
  name: '@tekka/lock',
  configKeys: ['lock.'],
  async start (node, config) {
    const service = createLockService({ lease: config.lock.lease, leaseCheck: config.lock.lease_check })({ node })
    await service.start()
    return { stop: async () => { await service.stop() } }
  }
}
