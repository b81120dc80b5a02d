/**
 * The `@tekka/management` plugin: the HTTP management endpoint of a node
 * (`management.port`, off by default) and its leave on stop
 * (`management.leave_on_stop`). Listed first among the `tekka` command's
 * plugins, so it sees every event of the others from their start and
 * answers until they have stopped.
 *
 *   GET  /health/alive   200 while the process serves
 *   GET  /health/ready   200 once in a cluster that meets discovery's expectations, else 503 with a reason
 *   GET  /cluster        this node, members with status, leader, partitions, the last heal decision with its inputs
 *   GET  /metrics        Prometheus text format 0.0.4
 *   POST /cluster/leave  leave the cluster (Authorization: Bearer management.token)
 *   POST /cluster/join   {"node": "name@host"}: join that node's cluster (same token)
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { isNodeName, type NodeComponents, type PluginInstance, type TekkaPlugin } from '@tekka/dist'
import { managementConfig, type ManagementSettings } from './config.js'
import { MANAGEMENT_ERRORS } from './errors.js'
import { CONTENT_TYPE, renderMetrics } from './metrics.js'
import { RttPinger } from './rtt.js'
import { ManagementServer, type Answer, type Route } from './server.js'
import { clusterView, readiness, type Readiness } from './views.js'
import { NodeWatch } from './watch.js'

/** A running management plugin. */
export interface ManagementInstance extends PluginInstance {
  /** Where the endpoint listens; undefined when `management.port` is unset. */
  readonly address: { host: string, port: number } | undefined
  /** `http://host:port`, or undefined. */
  readonly url: string | undefined
  /** What /health/ready answers. */
  readiness(): Readiness
  /** Leaves the cluster; /health/ready is 503 meanwhile. */
  leave(): Promise<void>
  /** With `management.leave_on_stop`: leaves the cluster before anything stops. */
  beforeStop(): Promise<void>
  stop(): Promise<void>
}

const bad = (code: string, message: string, status = 400): Answer => ({ status, json: { error: code, message } })

class Management implements ManagementInstance {
  readonly #c: NodeComponents
  readonly #s: ManagementSettings
  readonly #watch = new NodeWatch()
  readonly #pinger: RttPinger
  readonly #log
  #loop: IntervalHistogram | undefined
  #server: ManagementServer | undefined
  #leaving: Promise<void> | undefined
  #stopped = false

  constructor (c: NodeComponents, s: ManagementSettings) {
    this.#c = c
    this.#s = s
    this.#pinger = new RttPinger(c, s.rttInterval)
    this.#log = c.logger.child('management')
  }

  get address (): { host: string, port: number } | undefined { return this.#server?.address }
  get url (): string | undefined {
    const a = this.address
    return a === undefined ? undefined : `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`
  }

  readiness (): Readiness { return readiness(this.#c, this.#watch) }

  async start (): Promise<void> {
    this.#watch.start(this.#c.events)
    if (this.#s.port === undefined) return
    const server = new ManagementServer({
      host: this.#s.host,
      port: this.#s.port,
      token: this.#s.token,
      requestTimeout: this.#s.requestTimeout,
      routes: this.#routes(),
      onError: (err, req) => { this.#log.error('management request failed', { method: req.method, path: req.path, error: err }) }
    })
    try {
      await server.listen()
    } catch (err) {
      this.#watch.stop()
      throw err
    }
    this.#server = server
    this.#loop = monitorEventLoopDelay({ resolution: 20 })
    this.#loop.enable()
    this.#pinger.start()
    this.#log.info('management endpoint listening', { url: this.url })
  }

  #routes (): Route[] {
    const c = this.#c
    return [
      { method: 'GET', path: '/health/alive', handler: () => ({ status: 200, json: { alive: true, node: c.node.name } }) },
      {
        method: 'GET',
        path: '/health/ready',
        handler: () => {
          const r = this.readiness()
          return { status: r.ready ? 200 : 503, json: { node: c.node.name, ...r } }
        }
      },
      { method: 'GET', path: '/cluster', handler: () => ({ status: 200, json: clusterView(c, this.#watch) }) },
      {
        method: 'GET',
        path: '/metrics',
        handler: () => ({
          status: 200,
          contentType: CONTENT_TYPE,
          text: renderMetrics({ components: c, watch: this.#watch, loop: this.#loop!, rtt: this.#pinger.rtt, topProcesses: this.#s.topProcesses })
        })
      },
      {
        method: 'POST',
        path: '/cluster/leave',
        handler: async () => {
          await this.leave()
          return { status: 200, json: { result: 'left', node: c.node.name } }
        }
      },
      {
        method: 'POST',
        path: '/cluster/join',
        handler: async (body) => {
          const node = (body as { node?: unknown } | undefined)?.node
          if (typeof body !== 'object' || body === null || typeof node !== 'string') return bad('bad_request', 'POST /cluster/join needs a JSON body {"node": "name@host"}')
          if (!isNodeName(node)) return bad('bad_request', `not a node name (name@host): ${JSON.stringify(String(node).slice(0, 100))}`)
          try {
            const result = await c.membership.join(node)
            return { status: 200, json: { result, node } }
          } catch (err) {
            const e = err as Error & { code?: string }
            return bad(e.code ?? 'join_failed', e.message, 409)
          }
        }
      }
    ]
  }

  async leave (): Promise<void> {
    this.#leaving ??= (async () => {
      this.#watch.leaving = true
      try {
        await this.#c.membership.leave()
      } finally {
        this.#watch.leaving = false
        this.#leaving = undefined
      }
    })()
    await this.#leaving
  }

  async beforeStop (): Promise<void> {
    if (this.#stopped) return
    if (this.#s.leaveOnStop && this.#c.membership.nodelist().length > 1) {
      this.#watch.leaving = true
      try {
        await this.leave()
        this.#log.info('left the cluster before stopping')
      } catch (err) {
        this.#log.warn('leave before stop failed', { error: err as Error })
      }
    }
    this.#watch.stopping = true
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#watch.stopping = true
    this.#pinger.stop()
    this.#loop?.disable()
    const server = this.#server
    this.#server = undefined
    await server?.close()
    this.#watch.stop()
  }
}

export const plugin: TekkaPlugin<ManagementSettings, ManagementInstance> = {
  name: '@tekka/management',
  description: 'the HTTP management endpoint',
  config: managementConfig,
  errors: MANAGEMENT_ERRORS,
  async start (components, settings) {
    const m = new Management(components, settings)
    await m.start()
    return m
  }
}
