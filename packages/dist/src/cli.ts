/**
 * The `tekka` command.
 *
 *   tekka --name node1@127.0.0.1 [--cookie C] [--config tekka.conf] [--set key=value ...] [app.js]
 *   tekka ctl --node node1@127.0.0.1 [--cookie C] <command ...> [--json]
 *
 * The first runs a node in the foreground: it prints the address it listens
 * on, runs the app module's exported `start(node, config)`, and on SIGINT or
 * SIGTERM calls the app's `stop`, closes its links (peers see `disconnect`)
 * and exits 0. The second connects as a hidden, client-only node, asks the
 * node over RPC, prints the answer and exits 0, or 1 when the command failed
 * or the node could not be reached.
 */
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { join, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { consoleLogger, formatReason, type Logger } from '@tekka/actors'
import { loadConfig, ConfigError, configSchema, configValue, formatDefault, type TekkaConfig } from './config.js'
import { resolveCookie } from './cookie.js'
import type { CtlResult } from './ctl.js'
import { KNOWN_PLUGINS, isTekkaPlugin, type PluginInstance, type TekkaPlugin } from './plugin.js'
import { startNode, type DistNode, type NodeOptions } from './node.js'
import { parseNodeName, type TlsOptions } from './transport.js'

const USAGE = `usage:
  tekka --name NAME@HOST [--cookie C] [--config FILE] [--set key=value ...] [app.js]
  tekka ctl --node NAME@HOST [--cookie C] [--config FILE] COMMAND... [--json]

options:
  --name NAME@HOST   node name (node.name)
  --cookie C         shared secret (node.cookie; else TEKKA_COOKIE, else ~/.tekka.cookie)
  --config FILE      tekka.conf (key = value lines)
  --port N           listen port (node.listen_port; default: dist_base_port + trailing digits of the name)
  --set key=value    any configuration key (repeatable)
  --json             (ctl) print JSON
  -h, --help         this text`

/** A mistake in how the command was called. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

/** What a started app may give back to be stopped with the node. */
export type AppStop = (() => unknown) | { stop: () => unknown } | undefined | void

/** The shape of an app module: `export async function start(node, config) { ... }`. */
export interface AppModule {
  start?: (node: DistNode, config: TekkaConfig) => AppStop | Promise<AppStop>
  stop?: (node: DistNode) => unknown
}

function sets (values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values ?? []) {
    const eq = v.indexOf('=')
    if (eq <= 0) throw new UsageError(`--set needs key=value, got ${JSON.stringify(v)}`)
    out[v.slice(0, eq).trim()] = v.slice(eq + 1).trim()
  }
  return out
}

function tlsFrom (config: TekkaConfig): TlsOptions | undefined {
  const ssl = config.node.ssl
  if (!ssl.enable) return undefined
  const need = (key: string, file: string | undefined): Buffer => {
    if (file === undefined) throw new ConfigError(`node.ssl.${key} must be set when node.ssl.enable is on`)
    try {
      return readFileSync(file)
    } catch (err) {
      throw new ConfigError(`node.ssl.${key}: cannot read ${file}: ${(err as Error).message}`)
    }
  }
  return { key: need('keyfile', ssl.keyfile), cert: need('certfile', ssl.certfile), ca: need('cacertfile', ssl.cacertfile) }
}

/**
 * Loads the known plugin packages that are installed: from next to this
 * package, else from the working directory (where an app's own
 * node_modules are). A package that is present but fails to load is an error.
 */
export async function loadPlugins (logger: Logger): Promise<TekkaPlugin[]> {
  const out: TekkaPlugin[] = []
  for (const known of KNOWN_PLUGINS) {
    let mod: { plugin?: unknown } | undefined
    try {
      mod = await import(known.name) as { plugin?: unknown }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes(known.name)) throw err
      try {
        const url = createRequire(join(process.cwd(), 'package.json')).resolve(known.name)
        mod = await import(pathToFileURL(url).href) as { plugin?: unknown }
      } catch {
        logger.debug('plugin not installed', { plugin: known.name })
        continue
      }
    }
    if (!isTekkaPlugin(mod.plugin)) throw new Error(`${known.name} does not export a tekka plugin`)
    out.push(mod.plugin)
  }
  return out
}

/**
 * Throws ConfigError for a key that no loaded plugin reads (its package is
 * not installed) set to anything but its default: a setting is honoured or
 * refused, never ignored.
 */
export function refuseUnsupported (config: TekkaConfig, plugins: readonly TekkaPlugin[]): void {
  const defaults = loadConfig({ env: {}, overrides: { 'node.name': config.node.name } })
  for (const spec of configSchema) {
    const owner = KNOWN_PLUGINS.find((k) => k.configKeys.some((p) => spec.key === p || (p.endsWith('.') && spec.key.startsWith(p)) || spec.key.startsWith(p + '_')))
    if (owner === undefined || plugins.some((p) => p.name === owner.name)) continue
    const v = configValue(config, spec.key)
    if (JSON.stringify(v) === JSON.stringify(configValue(defaults, spec.key))) continue
    throw new ConfigError(`${spec.key}: ${JSON.stringify(v)} cannot be honoured: ${owner.what} (${owner.name}) is not installed (leave the key at its default, ${formatDefault(spec)})`, { key: spec.key })
  }
}

/** NodeOptions from a loaded configuration. */
export function nodeOptions (config: TekkaConfig, cookie: string, logger: Logger): NodeOptions {
  const tls = tlsFrom(config)
  return {
    name: config.node.name,
    cookie,
    cluster: config.cluster.name,
    hidden: config.node.hidden,
    basePort: config.node.dist_base_port,
    ...(config.node.listen_port !== undefined ? { port: config.node.listen_port } : {}),
    host: config.node.listen_host,
    tickTime: config.node.tick_time,
    sendTimeout: config.node.send_timeout,
    handshakeTimeout: config.node.handshake_timeout,
    maxFrameSize: config.node.max_frame_size,
    ...(tls !== undefined ? { tls } : {}),
    dataDir: config.node.data_dir,
    logger
  }
}

async function runNode (argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      cookie: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string' },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { out.write(USAGE + '\n'); return 0 }
  if (positionals.length > 1) throw new UsageError(`one app module at most, got ${positionals.join(' ')}`)
  // Signals are caught from the start: one that comes while the node is still
  // starting stops it as soon as it is up. Repeats (npm forwards Ctrl-C a
  // second time) are ignored rather than left to the default action.
  let requested: ((sig: string) => void) | undefined
  let early: string | undefined
  const onSignal = (sig: string): void => { if (requested !== undefined) requested(sig); else early ??= sig }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const config = loadConfig({
    ...(values.config !== undefined ? { file: values.config } : {}),
    // Flags win over --set, but only when given: an absent flag must not erase a --set value.
    overrides: {
      ...sets(values.set),
      ...(values.name !== undefined ? { 'node.name': values.name } : {}),
      ...(values.port !== undefined ? { 'node.listen_port': values.port } : {})
    }
  })
  if (config.node.name === '' || config.node.name === undefined) throw new UsageError('a node name is needed: --name NAME@HOST (or node.name in the config)')
  const logger = consoleLogger('tekka')
  const plugins = await loadPlugins(logger)
  refuseUnsupported(config, plugins)
  const { cookie, source } = resolveCookie({
    ...(values.cookie !== undefined ? { flag: values.cookie } : {}),
    ...(config.node.cookie !== undefined ? { config: config.node.cookie } : {})
  })
  const node = await startNode(nodeOptions(config, cookie, logger))
  const running: PluginInstance[] = []
  try {
    for (const p of plugins) {
      running.push(await p.start(node, config))
      logger.info('plugin started', { plugin: p.name })
    }
  } catch (err) {
    for (const r of running.reverse()) await r.stop()
    await node.stop()
    throw err
  }
  out.write(`tekka: node ${node.name} listening on ${config.node.listen_host}:${node.port ?? '-'} (creation ${node.creation}, cookie from ${source})\n`)

  if (positionals[0] !== undefined) {
    const file = resolvePath(positionals[0])
    const mod = await import(pathToFileURL(file).href) as AppModule
    let appStop: AppStop
    // The app is an application of the node: autoheal may stop and start it again.
    const app = {
      name: `app:${positionals[0]}`,
      start: async () => {
        if (typeof mod.start === 'function') appStop = await mod.start(node, config)
        out.write(`tekka: app ${positionals[0]} started\n`)
      },
      stop: async () => {
        const s = appStop
        appStop = undefined
        if (typeof s === 'function') await s()
        else if (s !== undefined && typeof s === 'object' && typeof s.stop === 'function') await s.stop()
        else if (typeof mod.stop === 'function') await mod.stop(node)
        out.write(`tekka: app ${positionals[0]} stopped\n`)
      }
    }
    node.applications.register(app, false)
    const failed = await node.applications.startAll()
    if (failed.length > 0) {
      for (const r of running.reverse()) await r.stop()
      await node.stop()
      throw new Error(`app ${positionals[0]} failed to start: ${failed[0]!.error.message}`)
    }
  }

  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (sig: string): void => {
      if (stopping) return
      stopping = true
      out.write(`tekka: ${sig}, stopping ${node.name}\n`)
      void (async () => {
        await node.applications.stopAll()
        for (const r of running.reverse()) {
          try { await r.stop() } catch (err) { logger.error('plugin stop failed', { error: err as Error }) }
        }
        await node.stop()
        resolve()
      })()
    }
    requested = stop
    if (early !== undefined) stop(early)
    node.once('stopped', () => { stop('stopped') })
  })
  out.write(`tekka: ${node.name} stopped\n`)
  return 0
}

async function runCtl (argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      cookie: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { out.write(USAGE + '\n'); return 0 }
  if (values.node === undefined) throw new UsageError('ctl needs --node NAME@HOST')
  if (positionals.length === 0) throw new UsageError('ctl needs a command (ping, nodes, ...)')
  const { host } = parseNodeName(values.node)
  const config = loadConfig({
    ...(values.config !== undefined ? { file: values.config } : {}),
    overrides: { ...sets(values.set), 'node.name': `ctl-${randomBytes(4).toString('hex')}@${host}`, 'node.hidden': true }
  })
  const { cookie } = resolveCookie({
    ...(values.cookie !== undefined ? { flag: values.cookie } : {}),
    ...(config.node.cookie !== undefined ? { config: config.node.cookie } : {})
  })
  const logger = consoleLogger('tekka:ctl', process.env.TEKKA_LOG === undefined ? 'error' : undefined)
  const { dataDir: _unused, ...options } = nodeOptions(config, cookie, logger)
  const node = await startNode({ ...options, listen: false, hidden: true })
  const timeout = values.timeout !== undefined ? Number(values.timeout) : 10_000
  try {
    if (!(await node.connect(values.node))) {
      out.write(positionals[0] === 'ping' ? 'pang\n' : `cannot reach ${values.node}\n`)
      return 1
    }
    const r = await node.call<CtlResult>(values.node, 'tekka.ctl', [positionals, { json: values.json === true }], { timeout })
    out.write(values.json === true ? JSON.stringify(r.json ?? r) + '\n' : (r.text.endsWith('\n') || r.text === '' ? r.text : r.text + '\n'))
    return r.ok ? 0 : 1
  } finally {
    await node.stop()
  }
}

/** Runs the command; resolves with the exit code. */
export async function main (argv: string[] = process.argv.slice(2), out: NodeJS.WritableStream = process.stdout): Promise<number> {
  try {
    if (argv[0] === 'ctl') return await runCtl(argv.slice(1), out)
    return await runNode(argv, out)
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code === 'ERR_USAGE' || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`tekka: ${e.message}\n${USAGE}\n`)
      return 2
    }
    process.stderr.write(`tekka: ${e.code !== undefined ? `${e.code}: ` : ''}${e.message ?? formatReason(err)}\n`)
    return 1
  }
}
