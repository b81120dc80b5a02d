/**
 * The lock service's configuration: its config section (the `lock.*` keys,
 * which the `tekka` command loads with every other plugin's), and
 * `lockerConfig`, which applies the defaults of a `LockerInit` in one place.
 *
 * ```ts
 * const config = loadConfig({ sections: [distConfig, lockConfig], overrides: { 'lock.lease': '30s' } })
 * lockConfig.read(config)   // { lease: 30000, leaseCheck: 60000 }
 * ```
 */
import { configValue, type ConfigKeySpec, type ConfigSection } from '@tekka/dist'
import { LockArgumentError } from './errors.js'
import { DEFAULT_LOCKER, type LockerConfig, type LockerInit } from './types.js'

const SECONDS = 1000
const HOURS = 3600 * SECONDS

const DEFAULT_LEASE = 15 * SECONDS

const keys: readonly ConfigKeySpec[] = [
  { key: 'lock.lease', type: 'duration', default: DEFAULT_LEASE, min: 10, max: 24 * HOURS, off: true, doc: 'A lock held longer than its lease gets its owner killed, so a stuck owner cannot block a resource forever. 0 or off disables it.' },
  { key: 'lock.lease_check', type: 'duration', default: undefined, min: 10, max: 48 * HOURS, defaultText: '2 × lock.lease', doc: 'How often lock leases are checked (ekka_locker checks every 2 × lease).' }
]

/** The `lock.*` keys; `read` gives the settings the plugin starts the service with. */
export const lockConfig: ConfigSection<LockerInit> = {
  owner: '@tekka/lock',
  keys,
  derive (values) {
    // ekka checks every 2 × lease; with the lease off, as if it were the default.
    if (values.get('lock.lease_check') === undefined) values.set('lock.lease_check', 2 * ((values.get('lock.lease') as number) || DEFAULT_LEASE))
  },
  read (config) {
    return {
      lease: configValue(config, 'lock.lease') as number,
      leaseCheck: configValue(config, 'lock.lease_check') as number
    }
  }
}

function checkMs (key: string, v: unknown, allowInfinity: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowInfinity && !Number.isFinite(v))) {
    throw new LockArgumentError(key, `${key} must be a number of milliseconds >= 0, got ${String(v)}`)
  }
  return v
}

/**
 * A locker's configuration with the defaults applied; `tickTime` is the
 * node's (`components.net.tickTime`), from which `grace` defaults to twice.
 * Throws LockArgumentError for a bad value.
 */
export function lockerConfig (init: LockerInit, tickTime: number): LockerConfig {
  const name = init.name ?? DEFAULT_LOCKER
  if (typeof name !== 'string' || name.length === 0) throw new LockArgumentError('name', 'a locker name must be a non-empty string')
  let lease = checkMs('lease', init.lease ?? DEFAULT_LEASE, true)
  if (lease === 0) lease = Infinity
  const leaseCheck = init.leaseCheck !== undefined
    ? checkMs('leaseCheck', init.leaseCheck, false)
    : Number.isFinite(lease) ? 2 * lease : 30_000
  if (leaseCheck === 0) throw new LockArgumentError('leaseCheck', 'leaseCheck must be more than 0 ms')
  const grace = checkMs('grace', init.grace ?? (Number.isFinite(tickTime) && tickTime > 0 ? 2 * tickTime : 16_000), false)
  const timeout = checkMs('timeout', init.timeout ?? 5000, false)
  return Object.freeze({ name, lease, leaseCheck, grace, timeout: Math.max(1, timeout) })
}
