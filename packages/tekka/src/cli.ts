/**
 * The `tekka` command.
 *
 *   tekka --name node1@127.0.0.1 [--cookie C] [--config tekka.conf] [--set key=value ...] [app.js]
 *   tekka ctl --node node1@127.0.0.1 [--cookie C] <command ...> [--json]
 *
 * The first runs a node in the foreground with every plugin (startTekka):
 * it prints the address it listens on, runs the app module's exported
 * `start(node, config)`, and on SIGINT or SIGTERM leaves the cluster first
 * when `management.leave_on_stop` is on (peers see a leave, not a failure),
 * calls the app's `stop`, stops the plugins, closes its links (peers see
 * `disconnect`) and exits 0.
 * The second connects as a hidden, client-only node, asks the node over RPC,
 * prints the answer and exits 0, or 1 when the command failed or the node
 * could not be reached.
 */
import { randomBytes } from 'node:crypto'
import { resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { formatReason } from '@tekka/actors'
import { nodeOptions, parseNodeName, resolveCookie, startNode, type Config, type CtlResult, type DistNode } from '@tekka/dist'
import type { ManagementInstance } from '@tekka/management'
import { AppStartError, UsageError } from './errors.js'
import { loadTekkaConfig, startTekka } from './start.js'
import { configLogger } from './log.js'

const USAGE = `usage:
  tekka --name NAME@HOST [--cookie C] [--config FILE] [--set key=value ...] [app.js]
  tekka ctl --node NAME@HOST [--cookie C] [--config FILE] COMMAND... [--json]

options:
  --name NAME@HOST   node name (node.name)
  --cookie C         shared secret (node.cookie; else TEKKA_COOKIE, else ~/.tekka.cookie)
  --config FILE      tekka.conf (key = value lines), or an ekka / EMQX config (emqx.conf, HOCON)
  --port N           listen port (node.listen_port; default: dist_base_port + trailing digits of the name)
  --http-port N      HTTP management endpoint port (management.port; 0: any free port; default: none)
  --set key=value    any configuration key (repeatable)
  --log-level SPEC   log levels (log.level; else TEKKA_LOG): warn, or warn,heal=debug,dist:handshake=info
  --log-format F     auto, text or json (log.format; auto: text on a terminal, json otherwise)
  --json             (ctl) print JSON
  -h, --help         this text`

/** What a started app may give back to be stopped with the node. */
export type AppStop = (() => unknown) | { stop: () => unknown } | undefined | void

/** The shape of an app module: `export async function start(node, config) { ... }`. */
export interface AppModule {
  start?: (node: DistNode, config: Config) => AppStop | Promise<AppStop>
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

/** `--log-level` and `--log-format` are the `log.level` and `log.format` keys, checked as they are. */
function logFlags (values: { 'log-level'?: string, 'log-format'?: string }): Record<string, string> {
  return {
    ...(values['log-level'] !== undefined ? { 'log.level': values['log-level'] } : {}),
    ...(values['log-format'] !== undefined ? { 'log.format': values['log-format'] } : {})
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
      'http-port': { type: 'string' },
      set: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
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
  const t = await startTekka({
    config: {
      ...(values.config !== undefined ? { file: values.config } : {}),
      // Flags win over --set, but only when given: an absent flag must not erase a --set value.
      overrides: {
        ...sets(values.set),
        ...logFlags(values),
        ...(values.name !== undefined ? { 'node.name': values.name } : {}),
        ...(values.port !== undefined ? { 'node.listen_port': values.port } : {}),
        ...(values['http-port'] !== undefined ? { 'management.port': values['http-port'] } : {})
      }
    },
    ...(values.cookie !== undefined ? { cookie: values.cookie } : {})
  })
  const { node, config } = t
  out.write(`tekka: node ${node.name} listening on ${(config.node as { listen_host: string }).listen_host}:${node.port ?? '-'} (creation ${node.creation}, cookie from ${t.cookieSource})\n`)
  const management = t.plugins.get('@tekka/management') as ManagementInstance | undefined
  if (management?.url !== undefined) out.write(`tekka: management endpoint ${management.url}\n`)

  const appPath = positionals[0]
  if (appPath !== undefined) {
    const mod = await import(pathToFileURL(resolvePath(appPath)).href) as AppModule
    let appStop: AppStop
    // The app is an application of the node: autoheal may stop and start it again.
    node.applications.register({
      name: `app:${appPath}`,
      start: async () => {
        if (typeof mod.start === 'function') appStop = await mod.start(node, config)
        out.write(`tekka: app ${appPath} started\n`)
      },
      stop: async () => {
        const s = appStop
        appStop = undefined
        if (typeof s === 'function') await s()
        else if (s !== undefined && typeof s === 'object' && typeof s.stop === 'function') await s.stop()
        else if (typeof mod.stop === 'function') await mod.stop(node)
        out.write(`tekka: app ${appPath} stopped\n`)
      }
    }, false)
    const failed = await node.applications.startAll()
    if (failed.length > 0) {
      await t.stop()
      throw new AppStartError(appPath, failed[0].error)
    }
  }

  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (sig: string): void => {
      if (stopping) return
      stopping = true
      out.write(`tekka: ${sig}, stopping ${node.name}\n`)
      void t.stop().then(resolve)
    }
    requested = stop
    if (early !== undefined) stop(early)
    node.events.on('node.stopped', () => { stop('stopped') })
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
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { out.write(USAGE + '\n'); return 0 }
  if (values.node === undefined) throw new UsageError('ctl needs --node NAME@HOST')
  if (positionals.length === 0) throw new UsageError('ctl needs a command (ping, nodes, ...)')
  const { host } = parseNodeName(values.node)
  // The node's own tekka.conf may be given, so every plugin's keys are known here too.
  const config = loadTekkaConfig({
    config: {
      ...(values.config !== undefined ? { file: values.config } : {}),
      overrides: { ...sets(values.set), ...logFlags(values), 'node.name': `ctl-${randomBytes(4).toString('hex')}@${host}`, 'node.hidden': true }
    }
  })
  const configured = (config.node as { cookie?: string }).cookie
  const { cookie } = resolveCookie({
    ...(values.cookie !== undefined ? { flag: values.cookie } : {}),
    ...(configured !== undefined ? { config: configured } : {})
  })
  // ctl prints answers, not logs: errors only unless log.level or TEKKA_LOG ask for more.
  const logger = configLogger(config, 'tekka:ctl', 'error')
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
