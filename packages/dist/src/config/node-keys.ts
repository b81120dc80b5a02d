/**
 * dist's own config section: the node's identity, its listener and its
 * links (`node.*`), the cluster name it shows in the handshake
 * (`cluster.name`), and how the node logs (`log.*`). `nodeOptions` turns a loaded configuration into the
 * options of `startNode`.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'
import type { NodeOptions } from '../node.js'
import type { TlsOptions } from '../transport.js'
import { parseLogLevels, type Logger } from '@tekka/actors'
import type { Config, ConfigKeySpec, ConfigSection } from './schema.js'
import {
  DEFAULT_BASE_PORT, DEFAULT_CLUSTER, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_TICK_TIME,
  SEND_TIMEOUT_TICKS, defaultSendTimeout
} from '../defaults.js'

const LOG_LEVEL_TEXT = 'a level (error, warn, info, debug), then part=level entries, as warn,heal=debug'
const SECONDS = 1000
const MINUTES = 60 * SECONDS
const HOURS = 60 * MINUTES

/** dist's settings, typed: what `read` gives. Durations are ms, paths absolute. */
export interface DistSettings {
  readonly node: {
    readonly name: string
    readonly cookie: string | undefined
    readonly dist_base_port: number
    readonly listen_port: number | undefined
    readonly listen_host: string
    readonly hidden: boolean
    readonly tick_time: number
    /** 0: off. */
    readonly send_timeout: number
    readonly handshake_timeout: number
    readonly max_pending_handshakes: number
    readonly max_frame_size: number
    readonly data_dir: string
    readonly ssl: {
      readonly enable: boolean
      readonly keyfile: string | undefined
      readonly certfile: string | undefined
      readonly cacertfile: string | undefined
    }
  }
  readonly cluster: { readonly name: string }
  readonly log: {
    /** A per-part level spec (`warn,heal=debug`); unset: TEKKA_LOG, else warn. */
    readonly level: string | undefined
    readonly format: 'auto' | 'text' | 'json'
    /** Lines of one part and message per rate_interval; 0: no limit. */
    readonly rate_limit: number
    readonly rate_interval: number
  }
}

const keys: readonly ConfigKeySpec[] = Object.freeze(([
  // -- node identity and the dist listener
  { key: 'node.name', type: 'nodeName', default: 'tekka@127.0.0.1', doc: 'This node\'s name, `name@host`. The host is how peers reach it; the trailing digits of the name pick its port (ekka_dist).', ekka: [{ key: 'node.name' }] },
  { key: 'node.cookie', type: 'string', secret: true, pattern: /^[^\p{Cc}]{1,255}$/u, patternText: '1 to 255 characters, no control characters', default: undefined, defaultText: 'unset: --cookie, TEKKA_COOKIE, then ~/.tekka.cookie', doc: 'Shared secret proved (never sent) in the handshake. Nodes with different cookies refuse each other. Prefer TEKKA_COOKIE or the cookie file to keep it out of config files.', ekka: [{ key: 'node.cookie' }] },
  { key: 'node.dist_base_port', type: 'int', default: DEFAULT_BASE_PORT, min: 1, max: 65535, doc: 'Port mapper base: a node listens on base + (trailing digits of its short name) mod 60000, so no epmd is needed (`node1@h` -> 4371).' },
  { key: 'node.listen_port', type: 'int', default: undefined, min: 0, max: 65535, defaultText: 'unset: derived from node.name and node.dist_base_port', doc: 'Explicit listen port, overriding the derived one (peers must then be told the port). 0 lets the OS choose, for tests.' },
  { key: 'node.listen_host', type: 'ip', default: undefined, defaultText: 'host of node.name if it is an IP address, 127.0.0.1 for localhost, else 0.0.0.0', doc: 'Address the dist listener binds. Binding the node\'s own IP lets several nodes share a port on different loopback addresses (127.0.0.2, 127.0.0.3) in partition tests. A hostname is not resolved at start (it may have several addresses, or change), so such a node listens on every IPv4 interface, as Erlang does; `localhost` only on 127.0.0.1, since peers cannot reach it elsewhere.' },
  { key: 'node.hidden', type: 'bool', default: false, doc: 'A hidden node connects to the nodes it talks to but is not shared into the full mesh and is not a cluster member (as Erlang -hidden; used by `tekka ctl`).' },
  { key: 'node.tick_time', type: 'duration', default: DEFAULT_TICK_TIME, min: 100, max: 1 * HOURS, doc: 'Erlang net_ticktime: an idle link ticks every tick_time / 4; a link silent for tick_time is down (net_tick_timeout). Lower detects partitions sooner, at the cost of false alarms under load.', ekka: [{ key: 'node.dist_net_ticktime', note: 'EMQX 5 (`2m`): Erlang\'s net_ticktime, the same rule' }] },
  { key: 'node.send_timeout', type: 'duration', default: undefined, min: 100, max: 24 * HOURS, off: true, defaultText: `${SEND_TIMEOUT_TICKS} × node.tick_time`, doc: 'A link whose socket has taken none of our bytes for this long (the peer stopped reading) is closed (send_timeout), so a peer that never reads cannot make the node queue for it without bound. A slow reader behind a full socket buffer looks the same: keep it well above buffer size / slowest read rate. 0 or off disables it.' },
  { key: 'node.handshake_timeout', type: 'duration', default: DEFAULT_HANDSHAKE_TIMEOUT, min: 10, max: 10 * MINUTES, doc: 'Deadline for each handshake step, so a half-open or hostile peer cannot hold a connection slot.' },
  { key: 'node.max_pending_handshakes', type: 'int', default: DEFAULT_MAX_PENDING_HANDSHAKES, min: 1, max: 1_000_000, doc: 'Incoming connections still in their handshake, at most. One beyond it is closed at once, before anything is read from it, and counted (event dist.handshake_refused, reason cap), so idle or hostile sockets cannot pile up; each pending one is held for node.handshake_timeout per step at most. With TLS, TLS handshakes have a cap of this size too. Raise it for a node that many nodes dial at the same moment.' },
  { key: 'node.max_frame_size', type: 'int', default: DEFAULT_MAX_FRAME_SIZE, min: 1024, max: 0x7fffffff, doc: 'Largest frame in bytes (default 64 MiB) sent or accepted; a bigger one closes the link as a protocol error rather than exhausting memory.' },
  { key: 'node.data_dir', type: 'path', default: './data', doc: 'Where the node keeps state across restarts (the cluster member list, so a restarted node rejoins its cluster). Relative paths are resolved against the working directory.', ekka: [{ key: 'node.data_dir' }] },
  { key: 'node.ssl.enable', type: 'bool', default: false, doc: 'Wrap dist links in TLS with mutual certificate authentication (the handshake still checks the cookie). Needs node.ssl.keyfile, certfile and cacertfile.' },
  { key: 'node.ssl.keyfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM private key of this node, for dist TLS.' },
  { key: 'node.ssl.certfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM certificate of this node, presented to peers in both directions.' },
  { key: 'node.ssl.cacertfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM CA bundle that peer certificates must chain to.' },

  // -- cluster
  { key: 'cluster.name', type: 'string', default: DEFAULT_CLUSTER, pattern: /^[A-Za-z0-9_.-]{1,64}$/, patternText: '1 to 64 letters, digits, _ . or -', doc: 'Cluster name exchanged in the handshake: nodes of different clusters refuse each other even with the same cookie.', ekka: [{ key: 'cluster.name' }] },

  // -- logs
  { key: 'log.level', type: 'string', default: undefined, patternText: LOG_LEVEL_TEXT, defaultText: 'unset: TEKKA_LOG, else warn', doc: 'Log levels (error, warn, info, debug): a level, then part=level entries for parts of the node, the longest matching part winning: `warn,heal=debug,dist:handshake=info` (a part may be written with or without `tekka:`). `--log-level` sets it.' },
  { key: 'log.format', type: 'enum', values: ['auto', 'text', 'json'], default: 'auto', doc: 'Log lines on stderr: `text` for a person, `json` one object a line (time, level, node, part, msg and the fields) for a collector; `auto` is text on a terminal, json otherwise. Repeated lines are limited either way (log.rate_limit). `--log-format` sets it.' },
  { key: 'log.rate_limit', type: 'int', default: 5, min: 0, max: 1_000_000, doc: 'Of the lines with the same part and message, this many per log.rate_interval are written; the rest are counted and one line per interval says how many were left out, so a flood (a stranger opening sockets) cannot fill the disk. 0: no limit.' },
  { key: 'log.rate_interval', type: 'duration', default: 10 * SECONDS, min: 100, max: 1 * HOURS, doc: 'The interval of log.rate_limit.' }
] satisfies ConfigKeySpec[]).map((k) => Object.freeze(k)))

/** The section: `node.*` and `cluster.name`. Frozen: every loader shares it. */
export const distConfig: ConfigSection<DistSettings> = Object.freeze<ConfigSection<DistSettings>>({
  owner: '@tekka/dist',
  keys,
  unsupported: {
    'cluster.proto_dist': 'the carrier of Erlang distribution; tekka links are TCP, wrapped in TLS with node.ssl.enable = on',
    'cluster.core_nodes': 'a setting of mria, EMQX\'s replicated database; tekka has none, and every node is a full member',
    'node.role': 'a setting of mria, EMQX\'s replicated database; tekka has none, and every node is a full member',
    'node.db_backend': 'a setting of mria, EMQX\'s replicated database; tekka has none, and every node is a full member'
  },
  derive (v) {
    if (v.get('node.listen_host') === undefined) {
      const name = v.get('node.name') as string
      const host = name.slice(name.indexOf('@') + 1)
      v.set('node.listen_host', isIP(host) !== 0 ? host : host.toLowerCase() === 'localhost' ? '127.0.0.1' : '0.0.0.0')
    }
    if (v.get('node.send_timeout') === undefined) v.set('node.send_timeout', defaultSendTimeout(v.get('node.tick_time') as number))
  },
  check (v) {
    const level = v.get('log.level')
    if (typeof level === 'string') {
      try {
        parseLogLevels(level, 'log.level')
      } catch (err) {
        v.fail('log.level', `${JSON.stringify(level)} is not allowed (${LOG_LEVEL_TEXT}): ${(err as Error).message.replace(/^log\.level: /, '')}`)
      }
    }
    if (v.get('node.ssl.enable') !== true) return
    for (const k of ['node.ssl.keyfile', 'node.ssl.certfile', 'node.ssl.cacertfile']) {
      if (v.get(k) === undefined) v.fail(k, 'required when node.ssl.enable = on')
      v.requireReadable(k)
    }
  },
  read: (config: Config) => ({ node: config.node, cluster: { name: (config.cluster as { name: string }).name }, log: config.log }) as unknown as DistSettings
})

function tlsFrom (ssl: DistSettings['node']['ssl']): TlsOptions | undefined {
  if (!ssl.enable) return undefined
  const need = (key: string, file: string | undefined): Buffer => {
    if (file === undefined) throw new ConfigError(`node.ssl.${key} must be set when node.ssl.enable is on`, { key: `node.ssl.${key}` })
    try {
      return readFileSync(file)
    } catch (err) {
      throw new ConfigError(`node.ssl.${key}: cannot read ${file}: ${(err as Error).message}`, { key: `node.ssl.${key}`, cause: err })
    }
  }
  return { key: need('keyfile', ssl.keyfile), cert: need('certfile', ssl.certfile), ca: need('cacertfile', ssl.cacertfile) }
}

/** The options of `startNode` that a loaded configuration sets. */
export function nodeOptions (config: Config, cookie: string, logger: Logger): NodeOptions {
  const { node, cluster } = distConfig.read(config)
  const tls = tlsFrom(node.ssl)
  return {
    name: node.name,
    cookie,
    cluster: cluster.name,
    hidden: node.hidden,
    basePort: node.dist_base_port,
    ...(node.listen_port !== undefined ? { port: node.listen_port } : {}),
    host: node.listen_host,
    tickTime: node.tick_time,
    sendTimeout: node.send_timeout,
    handshakeTimeout: node.handshake_timeout,
    maxPendingHandshakes: node.max_pending_handshakes,
    maxFrameSize: node.max_frame_size,
    ...(tls !== undefined ? { tls } : {}),
    dataDir: node.data_dir,
    logger
  }
}
