/**
 * The plugin the `tekka` command runs: it starts the lock service on the
 * node from the `lock.` keys of the configuration (`lock.lease`,
 * `lock.lease_check`), with the safety margin derived from the node's tick
 * time. The running service is the plugin's instance.
 */
import type { TekkaPlugin } from '@tekka/dist'
import { lockConfig } from './config.js'
import { LOCK_ERRORS } from './errors.js'
import { createLockService, type LockService } from './service.js'
import type { LockerInit } from './types.js'

export const plugin: TekkaPlugin<LockerInit, LockService> = {
  name: '@tekka/lock',
  description: 'the lock service',
  config: lockConfig,
  errors: LOCK_ERRORS,
  async start (components, settings) {
    const service = createLockService(settings)(components)
    await service.start()
    return service
  }
}
