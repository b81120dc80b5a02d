/**
 * A whole tekka node from one configuration: the config loaded with every
 * plugin's section, the cookie found as Erlang finds it, the node started,
 * then each plugin started with its settings, in order. What `tekka`
 * runs, and what code calls to get the same node.
 *
 * ```ts
 * import { startTekka } from 'tekka'
 *
 * const t = await startTekka({ config: { overrides: { 'node.name': 'n1@127.0.0.1', 'cluster.discovery': 'static', 'cluster.static.seeds': 'n1@127.0.0.1,n2@127.0.0.1' } } })
 * t.node.events.on('membership.change', (e) => { console.log(e.member, e.status) })
 * await t.stop()
 * ```
 */
import { registerErrors, type Logger } from '@tekka/actors'
import { loadConfig, nodeOptions, resolveCookie, startNode, type Config, type DistNode, type LoadConfigOptions, type PluginInstance, type TekkaPlugin } from '@tekka/dist'
import { registerCtlCommands } from './ctl-commands.js'
import { configSections, defaultPlugins } from './plugins.js'
import { configLogger } from './log.js'

export interface TekkaOptions {
  /** Where the configuration comes from (file, environment, overrides); the sections are the plugins'. */
  config?: Omit<LoadConfigOptions, 'sections'>
  /** The plugins to run, in start order. Default: management, discovery, heal, lock. */
  plugins?: readonly TekkaPlugin[]
  /** The `--cookie` flag's value, if given (else TEKKA_COOKIE, node.cookie, ~/.tekka.cookie). */
  cookie?: string
  /** Default: stderr, as the `log.*` keys say (see log.ts). */
  logger?: Logger
}

export interface TekkaNode {
  readonly node: DistNode
  readonly config: Config
  /** Where the cookie came from (never the cookie itself), for the start-up line. */
  readonly cookieSource: string
  /** Each running plugin by name, for apps and tests (the discovery plugin's has the autocluster). */
  readonly plugins: ReadonlyMap<string, PluginInstance>
  /** Tells each plugin the node stops (`beforeStop`: a leave on stop), stops the applications, the plugins (last started first), then the node. Safe to call twice. */
  stop(): Promise<void>
}

/** Loads the configuration for `plugins` (ConfigError for anything wrong) without starting anything. */
export function loadTekkaConfig (opts: TekkaOptions = {}): Config {
  return loadConfig({ ...opts.config, sections: configSections(opts.plugins ?? defaultPlugins()) })
}

export async function startTekka (opts: TekkaOptions = {}): Promise<TekkaNode> {
  const plugins = opts.plugins ?? defaultPlugins()
  const names = new Set<string>()
  for (const p of plugins) {
    if (names.has(p.name)) throw new TypeError(`plugin ${p.name} is listed twice`)
    names.add(p.name)
    if (p.errors !== undefined) registerErrors(p.errors)
  }
  const config = loadConfig({ ...opts.config, sections: configSections(plugins) })
  const logger0 = opts.logger ?? configLogger(config)
  const node0 = config.node as { cookie?: string }
  const { cookie, source } = resolveCookie({
    ...(opts.cookie !== undefined ? { flag: opts.cookie } : {}),
    ...(node0.cookie !== undefined ? { config: node0.cookie } : {})
  })
  const node = await startNode(nodeOptions(config, cookie, logger0))
  // The node's logger: the same, with the node's name on every record.
  const logger = node.log
  registerCtlCommands(node)
  const running: Array<{ name: string, instance: PluginInstance }> = []
  const stopPlugins = async (): Promise<void> => {
    for (const r of running.splice(0).reverse()) {
      try {
        await r.instance.stop()
      } catch (err) {
        logger.error('plugin stop failed', { plugin: r.name, error: err as Error })
      }
    }
  }
  try {
    for (const p of plugins) {
      const instance = await p.start(node.components, p.config.read(config))
      running.push({ name: p.name, instance })
      logger.info('plugin started', { plugin: p.name })
    }
  } catch (err) {
    await stopPlugins()
    await node.stop()
    throw err
  }
  let stopping: Promise<void> | undefined
  return {
    node,
    config,
    cookieSource: source,
    plugins: new Map(running.map((r) => [r.name, r.instance])),
    async stop () {
      stopping ??= (async () => {
        for (const r of [...running].reverse()) {
          try {
            await r.instance.beforeStop?.()
          } catch (err) {
            logger.error('plugin beforeStop failed', { plugin: r.name, error: err as Error })
          }
        }
        await node.applications.stopAll()
        await stopPlugins()
        await node.stop()
      })()
      await stopping
    }
  }
}
