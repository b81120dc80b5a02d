/**
 * The management endpoint's config section: `management.port` (unset: no
 * endpoint, the default), `management.host`, `management.token` (POST
 * actions need it), `management.request_timeout`, `management.top_processes`,
 * `management.rtt_interval` and `management.leave_on_stop`. `read` gives the
 * settings the plugin starts with.
 *
 * ```ts
 * const config = loadConfig({ sections: [distConfig, managementConfig], overrides: { 'management.port': '0' } })
 * managementConfig.read(config)   // { port: 0, host: '127.0.0.1', token: undefined, ... }
 * ```
 */
import { configValue, type ConfigKeySpec, type ConfigSection } from '@tekka/dist'

const SECONDS = 1000
const MINUTES = 60 * SECONDS

/** What the plugin starts with. */
export interface ManagementSettings {
  /** Port of the HTTP endpoint; undefined: no endpoint. 0 lets the OS choose. */
  readonly port: number | undefined
  readonly host: string
  /** The bearer token POST actions need; undefined: every POST is refused (401). */
  readonly token: string | undefined
  /** ms a client has to send a whole request (headers and body); a slower one is cut off. */
  readonly requestTimeout: number
  /** How many processes with the longest mailboxes /metrics lists. */
  readonly topProcesses: number
  /** ms between round-trip pings to each connected peer (0: none). */
  readonly rttInterval: number
  /** Leave the cluster before the node stops (SIGTERM), so peers see a leave rather than a failure. */
  readonly leaveOnStop: boolean
}

const keys: readonly ConfigKeySpec[] = [
  { key: 'management.port', type: 'int', default: undefined, min: 0, max: 65535, defaultText: 'unset: no endpoint', doc: 'Port of the HTTP management endpoint (/health/alive, /health/ready, /cluster, /metrics). Unset: none. 0 lets the OS choose. The `tekka` command\'s `--http-port` sets it.' },
  { key: 'management.host', type: 'ip', default: '127.0.0.1', doc: 'Address the management endpoint listens on. 0.0.0.0 for a Kubernetes probe or a Prometheus scraper from outside the pod.' },
  { key: 'management.token', type: 'string', default: undefined, secret: true, defaultText: 'unset: POST actions refused', doc: 'Bearer token (`Authorization: Bearer TOKEN`) that POST /cluster/leave and /cluster/join need; without one configured they answer 401.' },
  { key: 'management.request_timeout', type: 'duration', default: 10 * SECONDS, min: 100, max: 10 * MINUTES, doc: 'Time a client has to send a whole request; a slower one (slow-loris) is cut off.' },
  { key: 'management.top_processes', type: 'int', default: 10, min: 0, max: 1000, doc: 'How many processes with the longest mailboxes /metrics lists.' },
  { key: 'management.rtt_interval', type: 'duration', default: 5 * SECONDS, min: 0, max: 10 * MINUTES, off: true, doc: 'Time between round-trip pings to each connected peer, for /metrics. 0 or off: none.' },
  { key: 'management.leave_on_stop', type: 'bool', default: false, doc: 'Leave the cluster when the node stops (SIGTERM), so peers see it leave rather than fail; /health/ready answers 503 while it leaves. For Kubernetes pods that go away.' }
]

export const managementConfig: ConfigSection<ManagementSettings> = {
  owner: '@tekka/management',
  keys,
  read (config) {
    return {
      port: configValue(config, 'management.port') as number | undefined,
      host: configValue(config, 'management.host') as string,
      token: configValue(config, 'management.token') as string | undefined,
      requestTimeout: configValue(config, 'management.request_timeout') as number,
      topProcesses: configValue(config, 'management.top_processes') as number,
      rttInterval: configValue(config, 'management.rtt_interval') as number,
      leaveOnStop: configValue(config, 'management.leave_on_stop') as boolean
    }
  }
}
