/**
 * @tekka/management: a node's HTTP management endpoint, as a plugin the
 * `tekka` command starts first (`management.port` or `--http-port`, off
 * by default): /health/alive, /health/ready, /cluster, /metrics
 * (Prometheus text), and POST /cluster/leave | /cluster/join with
 * `management.token`. It reads the node's event stream and its read-only
 * views; it never blocks the node.
 *
 * ```ts
 * import { startTekka } from 'tekka'
 *
 * const t = await startTekka({ config: { overrides: { 'node.name': 'n1@127.0.0.1', 'management.port': '0' } } })
 * const m = t.plugins.get('@tekka/management') as ManagementInstance
 * console.log(await (await fetch(`${m.url}/health/ready`)).json())
 * ```
 */
export { plugin } from './plugin.js'
export type { ManagementInstance } from './plugin.js'
export { managementConfig } from './config.js'
export type { ManagementSettings } from './config.js'
export { renderMetrics, CONTENT_TYPE } from './metrics.js'
export type { Readiness } from './views.js'
export { ManagementListenError, MANAGEMENT_ERRORS } from './errors.js'
export type { ManagementErrorCode } from './errors.js'
