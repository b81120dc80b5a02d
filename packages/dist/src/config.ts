/**
 * The tekka configuration: ekka's key names, one schema table that drives
 * parsing, validation and the docs, and four sources merged in a fixed order:
 *
 *   defaults  <  tekka.conf  <  TEKKA_<KEY> environment  <  overrides (code / flags)
 *
 * ```ts
 * const config = loadConfig({ file: 'tekka.conf', overrides: { 'node.name': 'n1@127.0.0.1' } })
 * config.node.tick_time            // 8000 (milliseconds)
 * config.cluster.static.seeds      // ['n2@127.0.0.1', ...]
 * ```
 *
 * Everything is checked at start: a bad value is a `ConfigError` naming the
 * key, the value, what is allowed and where it was set, so a node never runs
 * with a setting the operator did not mean.
 */
import { readFileSync, accessSync, constants as fsConstants } from 'node:fs'
import { isIP } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import { TekkaError } from '@tekka/actors'
import { DURATION_FORMAT, formatDuration, parseDuration } from './duration.js'

// ---------------------------------------------------------------- errors

/**
 * A configuration value, key or file that cannot be used. `key` and `source`
 * (`tekka.conf:12`, `env TEKKA_NODE__NAME`, `override`) are set when known,
 * so tools can point at the culprit without parsing the message.
 */
export class ConfigError extends TekkaError {
  readonly key: string | undefined
  readonly source: string | undefined
  constructor (message: string, details: { key?: string, source?: string, cause?: unknown } = {}) {
    super(message, 'ERR_CONFIG', details.cause === undefined ? undefined : { cause: details.cause })
    this.key = details.key
    this.source = details.source
  }
}

// ---------------------------------------------------------------- schema

/** Value kinds a key can have. `list` items are checked as `items`. */
export type ConfigType = 'string' | 'int' | 'bool' | 'duration' | 'enum' | 'list' | 'nodeName' | 'path' | 'url' | 'ip'
/** Kinds of the items of a `list` key. */
export type ConfigItemType = 'string' | 'nodeName' | 'url' | 'ip'
/** A parsed value: durations are milliseconds, lists are string arrays. */
export type ConfigValue = string | number | boolean | readonly string[]

/** One row of the schema table. */
export interface ConfigKeySpec {
  /** Dotted key as in ekka (`cluster.static.seeds`). */
  readonly key: string
  readonly type: ConfigType
  /** For `list`: what each comma-separated item must be. */
  readonly items?: ConfigItemType
  /** For `list`: the fewest items that make sense (an etcd client with no server). Default 0. */
  readonly minItems?: number
  /** Parsed default; `undefined` means unset, or derived from other keys (see `defaultText`). */
  readonly default: ConfigValue | undefined
  /** Wording of a default that is not a constant (derived, or unset), for the docs. */
  readonly defaultText?: string
  /** For `enum`: the allowed values. */
  readonly values?: readonly string[]
  /** For `int` and `duration` (milliseconds): inclusive bounds. */
  readonly min?: number
  readonly max?: number
  /** For `string`: a shape the value must have, and its wording for errors. */
  readonly pattern?: RegExp
  readonly patternText?: string
  /** For `string`: the empty string is a meaningful value (otherwise refused). */
  readonly allowEmpty?: boolean
  /** For `duration`: `off` is accepted and means 0 (the feature is disabled). */
  readonly off?: boolean
  /** Never echo the value in errors (it would end up in logs). */
  readonly secret?: boolean
  /** What the key does and why one would change it. */
  readonly doc: string
}

const NAME_PART = /^[A-Za-z0-9_-]+$/
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
/** A DNS name to query: a hostname whose labels may also start with `_` (SRV names: `_tekka._tcp.example.com`). */
const QUERY_NAME = /^(?=.{1,253}$)_?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\._?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const SECONDS = 1000
const MINUTES = 60 * SECONDS
const HOURS = 60 * MINUTES

/**
 * Every key tekka reads, in documentation order. Frozen: it is the single
 * source of truth for the loader, the README table and the tests.
 */
export const configSchema: readonly ConfigKeySpec[] = deepFreeze([
  // -- node identity and the dist listener
  { key: 'node.name', type: 'nodeName', default: 'tekka@127.0.0.1', doc: 'This node\'s name, `name@host`. The host is how peers reach it; the trailing digits of the name pick its port (ekka_dist).' },
  { key: 'node.cookie', type: 'string', secret: true, pattern: /^[^\p{Cc}]{1,255}$/u, patternText: '1 to 255 characters, no control characters', default: undefined, defaultText: 'unset: --cookie, TEKKA_COOKIE, then ~/.tekka.cookie', doc: 'Shared secret proved (never sent) in the handshake. Nodes with different cookies refuse each other. Prefer TEKKA_COOKIE or the cookie file to keep it out of config files.' },
  { key: 'node.dist_base_port', type: 'int', default: 4370, min: 1, max: 65535, doc: 'Port mapper base: a node listens on base + (trailing digits of its short name) mod 60000, so no epmd is needed (`node1@h` -> 4371).' },
  { key: 'node.listen_port', type: 'int', default: undefined, min: 0, max: 65535, defaultText: 'unset: derived from node.name and node.dist_base_port', doc: 'Explicit listen port, overriding the derived one (peers must then be told the port). 0 lets the OS choose, for tests.' },
  { key: 'node.listen_host', type: 'ip', default: undefined, defaultText: 'host of node.name if it is an IP address, 127.0.0.1 for localhost, else 0.0.0.0', doc: 'Address the dist listener binds. Binding the node\'s own IP lets several nodes share a port on different loopback addresses (127.0.0.2, 127.0.0.3) in partition tests. A hostname is not resolved at start (it may have several addresses, or change), so such a node listens on every IPv4 interface, as Erlang does; `localhost` only on 127.0.0.1, since peers cannot reach it elsewhere.' },
  { key: 'node.hidden', type: 'bool', default: false, doc: 'A hidden node connects to the nodes it talks to but is not shared into the full mesh and is not a cluster member (as Erlang -hidden; used by `tekka ctl`).' },
  { key: 'node.tick_time', type: 'duration', default: 8 * SECONDS, min: 100, max: 1 * HOURS, doc: 'Erlang net_ticktime: an idle link ticks every tick_time / 4; a link silent for tick_time is down (net_tick_timeout). Lower detects partitions sooner, at the cost of false alarms under load.' },
  { key: 'node.send_timeout', type: 'duration', default: undefined, min: 100, max: 24 * HOURS, off: true, defaultText: '4 × node.tick_time', doc: 'A link whose socket has taken none of our bytes for this long (the peer stopped reading) is closed (send_timeout), so a peer that never reads cannot make the node queue for it without bound. A slow reader behind a full socket buffer looks the same: keep it well above buffer size / slowest read rate. 0 or off disables it.' },
  { key: 'node.handshake_timeout', type: 'duration', default: 5 * SECONDS, min: 10, max: 10 * MINUTES, doc: 'Deadline for each handshake step, so a half-open or hostile peer cannot hold a connection slot.' },
  { key: 'node.max_frame_size', type: 'int', default: 64 * 1024 * 1024, min: 1024, max: 0x7fffffff, doc: 'Largest frame in bytes (default 64 MiB) sent or accepted; a bigger one closes the link as a protocol error rather than exhausting memory.' },
  { key: 'node.data_dir', type: 'path', default: './data', doc: 'Where the node keeps state across restarts (the cluster member list, so a restarted node rejoins its cluster). Relative paths are resolved against the working directory.' },
  { key: 'node.ssl.enable', type: 'bool', default: false, doc: 'Wrap dist links in TLS with mutual certificate authentication (the handshake still checks the cookie). Needs node.ssl.keyfile, certfile and cacertfile.' },
  { key: 'node.ssl.keyfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM private key of this node, for dist TLS.' },
  { key: 'node.ssl.certfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM certificate of this node, presented to peers in both directions.' },
  { key: 'node.ssl.cacertfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'PEM CA bundle that peer certificates must chain to.' },

  // -- cluster
  { key: 'cluster.name', type: 'string', default: 'tekka', pattern: /^[A-Za-z0-9_.-]{1,64}$/, patternText: '1 to 64 letters, digits, _ . or -', doc: 'Cluster name exchanged in the handshake: nodes of different clusters refuse each other even with the same cookie.' },
  { key: 'cluster.discovery', type: 'enum', default: 'manual', values: ['manual', 'static', 'dns', 'etcd', 'k8s', 'mdns'], doc: 'Autocluster strategy. manual: only `tekka ctl cluster join`. The others find peers and join them automatically.' },
  { key: 'cluster.autocluster_interval', type: 'duration', default: 5 * SECONDS, min: 10, max: 1 * HOURS, doc: 'How often the autocluster actor retries until every discovered node is joined (ekka loops every 5 s).' },
  { key: 'cluster.autoheal', type: 'bool', default: true, doc: 'After a partition, the leader picks the majority side and the minority nodes restart their applications and rejoin it.' },
  { key: 'cluster.autoheal_delay', type: 'duration', default: 15 * SECONDS, min: 0, max: 1 * HOURS, doc: 'Wait after a partition is seen before healing, so links that flap briefly do not cause restarts.' },
  { key: 'cluster.autoclean', type: 'duration', default: 5 * MINUTES, min: 0, off: true, doc: 'Remove members that stayed down this long from the member table. 0 or off disables it.' },
  // Items are plain strings here: the static strategy checks each seed, logs a malformed one (naming it and what is wrong) and skips it, so one typo does not keep the node from starting.
  { key: 'cluster.static.seeds', type: 'list', items: 'string', default: [], defaultText: 'empty', doc: 'static: comma-separated node names (`name@host`) to cluster with; this node\'s own name may be listed. A seed that is not a node name is logged and skipped.' },
  { key: 'cluster.dns.name', type: 'string', default: 'localhost', pattern: QUERY_NAME, patternText: 'a DNS name (labels may start with _, as SRV names do)', doc: 'dns: name whose A / AAAA records (or SRV targets) are the nodes\' hosts.' },
  { key: 'cluster.dns.app', type: 'string', default: 'tekka', pattern: NAME_PART, patternText: 'a node short name: letters, digits, _ or -', doc: 'dns: short name of the discovered nodes (`app@<address>`).' },
  { key: 'cluster.dns.type', type: 'enum', default: 'a', values: ['a', 'aaaa', 'srv'], doc: 'dns: record type to query.' },
  { key: 'cluster.dns.servers', type: 'list', items: 'ip', default: [], defaultText: 'empty: the system resolvers', doc: 'dns: comma-separated resolver IP addresses to query instead of the system ones (tests point this at their own server).' },
  { key: 'cluster.dns.port', type: 'int', default: 53, min: 1, max: 65535, doc: 'dns: port of the resolvers in cluster.dns.servers.' },
  { key: 'cluster.etcd.server', type: 'list', items: 'url', minItems: 1, default: ['http://127.0.0.1:2379'], doc: 'etcd: comma-separated endpoint URLs; the next one is tried when one fails.' },
  { key: 'cluster.etcd.prefix', type: 'string', default: 'tekkacl', pattern: /^[A-Za-z0-9_./-]+$/, patternText: 'letters, digits, _ . / or -', doc: 'etcd: key prefix under which nodes register (`<prefix>/<cluster.name>/nodes/<node>`).' },
  { key: 'cluster.etcd.node_ttl', type: 'duration', default: 1 * MINUTES, min: 1 * SECONDS, max: 24 * HOURS, doc: 'etcd: lease TTL of a node\'s registration, so a node that died without unregistering disappears (etcd counts whole seconds).' },
  { key: 'cluster.etcd.ssl.keyfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'etcd: PEM client key, for etcd servers that require client certificates.' },
  { key: 'cluster.etcd.ssl.certfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'etcd: PEM client certificate (with cluster.etcd.ssl.keyfile).' },
  { key: 'cluster.etcd.ssl.cacertfile', type: 'path', default: undefined, defaultText: 'unset: the system CAs', doc: 'etcd: PEM CA bundle that the etcd server certificate must chain to.' },
  { key: 'cluster.k8s.apiserver', type: 'url', default: 'https://kubernetes.default.svc', doc: 'k8s: API server URL.' },
  { key: 'cluster.k8s.service_name', type: 'string', default: 'tekka', pattern: DNS_LABEL, patternText: 'a DNS label: lowercase letters, digits or -', doc: 'k8s: service whose endpoints are the nodes.' },
  { key: 'cluster.k8s.namespace', type: 'string', default: 'default', pattern: DNS_LABEL, patternText: 'a DNS label: lowercase letters, digits or -', doc: 'k8s: namespace of the service.' },
  { key: 'cluster.k8s.address_type', type: 'enum', default: 'ip', values: ['ip', 'dns', 'hostname'], doc: 'k8s: how node hosts are formed from endpoints, as ekka does: the pod IP; `<ip-with-dashes>.<namespace>.<suffix>`; or `<hostname>.<service>.<namespace>.<suffix>` (StatefulSet pods; suffix e.g. svc.cluster.local). With an empty suffix, dns and hostname give `<ip-with-dashes>` and `<hostname>` alone.' },
  { key: 'cluster.k8s.app_name', type: 'string', default: 'tekka', pattern: NAME_PART, patternText: 'a node short name: letters, digits, _ or -', doc: 'k8s: short name of the discovered nodes (`app_name@<host>`).' },
  { key: 'cluster.k8s.suffix', type: 'string', default: 'pod.cluster.local', allowEmpty: true, pattern: HOSTNAME, patternText: 'a DNS name, or empty', doc: 'k8s: DNS suffix for the dns and hostname address types.' },
  { key: 'cluster.k8s.service_account_dir', type: 'path', default: '/var/run/secrets/kubernetes.io/serviceaccount', doc: 'k8s: directory with the pod\'s token, ca.crt and namespace, as Kubernetes mounts it.' },
  { key: 'cluster.k8s.use_endpoint_slices', type: 'bool', default: true, doc: 'k8s: read discovery.k8s.io/v1 EndpointSlices (the v1 Endpoints API is deprecated since Kubernetes 1.33); off reads v1 Endpoints as ekka does, for old clusters. The RBAC role must allow the chosen resource.' },
  { key: 'cluster.mdns.service', type: 'string', default: 'tekka', pattern: /^[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$/, patternText: 'a DNS-SD service name: 1 to 15 lowercase letters, digits or -', doc: 'mdns: service type advertised and browsed (`_<service>._tcp.local`).' },
  { key: 'cluster.mdns.browse_window', type: 'duration', default: 3 * SECONDS, min: 100, max: 10 * MINUTES, doc: 'mdns: how long one discovery round collects answers before reporting the nodes it heard.' },

  // -- lock service
  { key: 'lock.lease', type: 'duration', default: 15 * SECONDS, min: 10, max: 24 * HOURS, off: true, doc: 'A lock held longer than its lease gets its owner killed, so a stuck owner cannot block a resource forever. 0 or off disables it.' },
  { key: 'lock.lease_check', type: 'duration', default: undefined, min: 10, max: 48 * HOURS, defaultText: '2 × lock.lease', doc: 'How often lock leases are checked (ekka_locker checks every 2 × lease).' }
] satisfies ConfigKeySpec[])

const SPECS: ReadonlyMap<string, ConfigKeySpec> = new Map(configSchema.map((s) => [s.key, s]))

// ---------------------------------------------------------------- the typed result

export type DiscoveryStrategy = 'manual' | 'static' | 'dns' | 'etcd' | 'k8s' | 'mdns'
export type DnsRecordType = 'a' | 'aaaa' | 'srv'
export type K8sAddressType = 'ip' | 'dns' | 'hostname'

/**
 * The loaded configuration. Durations are milliseconds, paths are absolute,
 * lists are arrays; optional keys that are not set are `undefined`. Frozen.
 */
export interface TekkaConfig {
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
    readonly max_frame_size: number
    readonly data_dir: string
    readonly ssl: {
      readonly enable: boolean
      readonly keyfile: string | undefined
      readonly certfile: string | undefined
      readonly cacertfile: string | undefined
    }
  }
  readonly cluster: {
    readonly name: string
    readonly discovery: DiscoveryStrategy
    readonly autocluster_interval: number
    readonly autoheal: boolean
    readonly autoheal_delay: number
    /** 0: disabled. */
    readonly autoclean: number
    readonly static: { readonly seeds: readonly string[] }
    readonly dns: {
      readonly name: string
      readonly app: string
      readonly type: DnsRecordType
      readonly servers: readonly string[]
      readonly port: number
    }
    readonly etcd: {
      readonly server: readonly string[]
      readonly prefix: string
      readonly node_ttl: number
      readonly ssl: {
        readonly keyfile: string | undefined
        readonly certfile: string | undefined
        readonly cacertfile: string | undefined
      }
    }
    readonly k8s: {
      readonly apiserver: string
      readonly service_name: string
      readonly namespace: string
      readonly address_type: K8sAddressType
      readonly app_name: string
      readonly suffix: string
      readonly service_account_dir: string
      readonly use_endpoint_slices: boolean
    }
    readonly mdns: {
      readonly service: string
      readonly browse_window: number
    }
  }
  readonly lock: {
    readonly lease: number
    readonly lease_check: number
  }
}

// ---------------------------------------------------------------- node names

import { isNodeName, nodeNameProblem } from './node-name.js'
export { isNodeName, nodeNameProblem }

const NODE_NAME_TEXT = 'name@host, name of letters, digits, _ or -, host a hostname or IP address'

// ---------------------------------------------------------------- key names

/** Environment variable for a key: `cluster.static.seeds` -> `TEKKA_CLUSTER__STATIC__SEEDS`. */
export function envVarName (key: string): string {
  return 'TEKKA_' + key.replaceAll('.', '__').toUpperCase()
}

/**
 * Config key for an environment variable, or `undefined` when the variable is
 * not a config variable. Only `TEKKA_` names containing `__` are: every key
 * has a dot, and this leaves TEKKA_COOKIE, TEKKA_LOG and the like alone.
 */
export function keyOfEnvVar (name: string): string | undefined {
  if (!name.startsWith('TEKKA_') || !name.includes('__')) return undefined
  return name.slice('TEKKA_'.length).toLowerCase().replaceAll('__', '.')
}

function levenshtein (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length] as number
}

/** The known key an unknown one was probably meant to be, if any is close. */
export function suggestKey (unknown: string): string | undefined {
  const keys = [...SPECS.keys()]
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of keys) {
    const d = levenshtein(unknown, k)
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 4))) return best
  // The right leaf under the wrong group (`cluster.tick_time`).
  const leaf = unknown.slice(unknown.lastIndexOf('.') + 1)
  const sameLeaf = keys.filter((k) => k.endsWith('.' + leaf))
  if (sameLeaf.length === 1) return sameLeaf[0]
  // A group instead of a key (`node.ssl`).
  const child = keys.find((k) => k.startsWith(unknown + '.'))
  return child
}

function unknownKeyMessage (key: string, where: string | undefined, env: boolean): string {
  const hint = suggestKey(key)
  const mean = hint === undefined ? '' : env ? ` (did you mean ${envVarName(hint)}?)` : ` (did you mean ${hint}?)`
  return `${where === undefined ? '' : where + ': '}unknown key ${JSON.stringify(key)}${mean}`
}

// ---------------------------------------------------------------- values

function show (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  try { return JSON.stringify(value) ?? String(value) } catch { return String(value) }
}

function rangeText (spec: ConfigKeySpec, fmt: (n: number) => string): string {
  const hi = spec.max
  // "at least 0ms" says nothing; leave it out.
  const lo = spec.min === 0 && hi === undefined ? undefined : spec.min
  if (lo !== undefined && hi !== undefined) return ` from ${fmt(lo)} to ${fmt(hi)}`
  if (lo !== undefined) return ` of at least ${fmt(lo)}`
  if (hi !== undefined) return ` of at most ${fmt(hi)}`
  return ''
}

const ITEM_TEXT: Record<ConfigItemType, string> = {
  string: 'a non-empty string',
  nodeName: NODE_NAME_TEXT,
  url: 'an http:// or https:// URL',
  ip: 'an IPv4 or IPv6 address'
}

/** What a key accepts, worded for error messages and the docs. */
export function allowedText (spec: ConfigKeySpec): string {
  switch (spec.type) {
    case 'bool': return 'on | off | true | false'
    case 'enum': return (spec.values ?? []).join(' | ')
    case 'int': return `an integer${rangeText(spec, String)}`
    case 'duration': return `${spec.off === true ? 'off, or ' : ''}a duration${rangeText(spec, formatDuration)} (${DURATION_FORMAT})`
    case 'list': return `a comma-separated list${(spec.minItems ?? 0) > 0 ? ` of at least ${spec.minItems ?? 0} item${spec.minItems === 1 ? '' : 's'}` : ''}, each item ${ITEM_TEXT[spec.items ?? 'string']}`
    case 'nodeName': return NODE_NAME_TEXT
    case 'path': return 'a file system path'
    case 'url': return ITEM_TEXT.url
    case 'ip': return ITEM_TEXT.ip
    case 'string': return spec.patternText ?? (spec.allowEmpty === true ? 'a string' : 'a non-empty string')
  }
}

class BadValue extends Error {
  constructor (readonly value: unknown, readonly allowed: string) { super('bad value') }
}

function parseItem (type: ConfigItemType, item: string): string {
  const ok = type === 'string'
    ? item !== ''
    : type === 'nodeName'
      ? isNodeName(item)
      : type === 'ip' ? isIP(item) !== 0 : isHttpUrl(item)
  if (!ok) throw new BadValue(item, ITEM_TEXT[type])
  return item
}

function isHttpUrl (text: string): boolean {
  try {
    const u = new URL(text)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

function inRange (spec: ConfigKeySpec, n: number): boolean {
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max)
}

/**
 * Parse and check one value against its spec. Text comes from files and the
 * environment; code and flags may also pass numbers, booleans and arrays.
 */
function parseValue (spec: ConfigKeySpec, raw: unknown, cwd: string, verbatim: boolean): ConfigValue {
  const allowed = allowedText(spec)
  const bad = (): never => { throw new BadValue(raw, allowed) }
  // Surrounding blanks are noise from files and shells, except in a quoted file value.
  const text = typeof raw === 'string' ? (verbatim ? raw : raw.trim()) : undefined
  switch (spec.type) {
    case 'string': {
      if (text === undefined) return bad()
      if (text === '') return spec.allowEmpty === true ? '' : bad()
      if (/\p{Cc}/u.test(text)) return bad()
      if (spec.pattern !== undefined && !spec.pattern.test(text)) return bad()
      return text
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : NaN
      return Number.isSafeInteger(n) && inRange(spec, n) ? n : bad()
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw
      const t = text?.toLowerCase()
      if (t === 'on' || t === 'true') return true
      if (t === 'off' || t === 'false') return false
      return bad()
    }
    case 'duration': {
      let ms: number | undefined
      if (typeof raw === 'number') ms = Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined
      else if (text !== undefined) ms = spec.off === true && text.toLowerCase() === 'off' ? 0 : parseDuration(text)
      // `off` (or 0) of a key that has it is allowed whatever its minimum.
      return ms !== undefined && (inRange(spec, ms) || (ms === 0 && spec.off === true)) ? ms : bad()
    }
    case 'enum': {
      if (text === undefined) return bad()
      const v = spec.values?.find((x) => x === text.toLowerCase())
      return v ?? bad()
    }
    case 'list': {
      const items = Array.isArray(raw)
        ? raw.map((x) => typeof x === 'string' ? x.trim() : bad())
        : text === undefined ? bad() : text === '' ? [] : text.split(',').map((x) => x.trim())
      if (items.length < (spec.minItems ?? 0)) return bad()
      return items.map((x) => parseItem(spec.items ?? 'string', x))
    }
    case 'nodeName':
      return text !== undefined && isNodeName(text) ? text : bad()
    case 'ip':
      return text !== undefined && isIP(text) !== 0 ? text : bad()
    case 'url':
      return text !== undefined && isHttpUrl(text) ? text : bad()
    case 'path':
      // Resolved now, so a later chdir cannot move the node's data or keys.
      return text !== undefined && text !== '' && !text.includes('\0') ? resolvePath(cwd, text) : bad()
  }
}

function valueError (spec: ConfigKeySpec, e: BadValue, source: string): ConfigError {
  const key = spec.key
  const shown = spec.secret === true ? `(hidden value${typeof e.value === 'string' ? ` of ${e.value.length} characters` : ''})` : show(e.value)
  return new ConfigError(`${key}: ${shown} is not allowed (${e.allowed}) [${source}]`, { key, source })
}

// ---------------------------------------------------------------- the file

/** One `key = value` line of a config file. */
export interface ConfigEntry {
  readonly key: string
  /** The text after `=`, trimmed; or, if it was written as a JSON string, that string exactly. */
  readonly value: string
  /** It was written as a JSON string, so surrounding blanks are part of it. */
  readonly quoted: boolean
  readonly file: string
  readonly line: number
}

/**
 * Parse `tekka.conf` text: `key = value` lines, blank lines, and full-line
 * comments starting with `#` or `;`. A `#` after a value is part of the value
 * (cookies may contain one); to keep surrounding spaces, write the value as a
 * JSON string (`node.cookie = " a b "`). Keys are checked against the schema
 * here so a typo is reported with its line; values are checked by
 * `loadConfig`, which still knows the line. A key set twice is refused: one
 * of the two lines is a mistake.
 */
export function parseConfigText (text: string, fileName: string): ConfigEntry[] {
  const entries: ConfigEntry[] = []
  const seen = new Map<string, number>()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((rawLine, i) => {
    const line = i + 1
    const where = `${fileName}:${line}`
    const t = rawLine.trim()
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return
    const eq = t.indexOf('=')
    if (eq < 0) throw new ConfigError(`${where}: expected "key = value", got ${JSON.stringify(t)}`, { source: where })
    const key = t.slice(0, eq).trim()
    let value = t.slice(eq + 1).trim()
    const quoted = value.startsWith('"')
    if (key === '') throw new ConfigError(`${where}: missing key before "="`, { source: where })
    if (!SPECS.has(key)) throw new ConfigError(unknownKeyMessage(key, where, false), { key, source: where })
    if (quoted) {
      let v: unknown
      try { v = JSON.parse(value) } catch { v = undefined }
      if (typeof v !== 'string') throw new ConfigError(`${where}: bad quoted value ${value} (a JSON string, "..." with \\ escapes)`, { key, source: where })
      value = v
    }
    const before = seen.get(key)
    if (before !== undefined) throw new ConfigError(`${where}: ${key} is already set on line ${before}`, { key, source: where })
    seen.set(key, line)
    entries.push({ key, value, quoted, file: fileName, line })
  })
  return entries
}

// ---------------------------------------------------------------- loading

export interface LoadConfigOptions {
  /** A `tekka.conf` to read; it must exist. None by default (the command passes `--config`). */
  file?: string
  /** Environment to read `TEKKA_<KEY>` variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /**
   * Highest-precedence values from code or command-line flags: dotted keys
   * (`{ 'node.name': 'n1@127.0.0.1' }`) or nested objects (`{ node: { name } }`).
   * Values may be text as in the file, or numbers (ms for durations),
   * booleans and string arrays. `undefined` values are ignored (flags not given).
   */
  overrides?: Record<string, unknown>
  /** Base for relative paths. Default `process.cwd()`. */
  cwd?: string
}

interface Layer {
  readonly source: string
  readonly key: string
  readonly raw: unknown
  readonly verbatim: boolean
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

function flatten (obj: Record<string, unknown>, prefix: string, out: Array<[string, unknown]>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (isPlainObject(v) && !SPECS.has(key)) flatten(v, key, out)
    else out.push([key, v])
  }
}

/**
 * Load, merge and check the configuration: defaults < `file` < `env` <
 * `overrides`. Throws a `ConfigError` for the first problem found.
 */
export function loadConfig (opts: LoadConfigOptions = {}): TekkaConfig {
  const cwd = opts.cwd ?? process.cwd()
  const layers: Layer[] = []

  if (opts.file !== undefined) {
    const file = resolvePath(cwd, opts.file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err)
      throw new ConfigError(`cannot read config file ${file}: ${code}`, { source: file, cause: err })
    }
    for (const e of parseConfigText(text, file)) layers.push({ source: `${e.file}:${e.line}`, key: e.key, raw: e.value, verbatim: e.quoted })
  }

  const env = opts.env ?? process.env
  for (const name of Object.keys(env).sort()) {
    const key = keyOfEnvVar(name)
    const raw = env[name]
    if (key === undefined || raw === undefined) continue
    const source = `env ${name}`
    if (!SPECS.has(key)) throw new ConfigError(unknownKeyMessage(key, name, true), { key, source })
    layers.push({ source, key, raw, verbatim: false })
  }

  if (opts.overrides !== undefined) {
    const flat: Array<[string, unknown]> = []
    flatten(opts.overrides, '', flat)
    for (const [key, raw] of flat) {
      if (raw === undefined) continue
      if (!SPECS.has(key)) throw new ConfigError(unknownKeyMessage(key, undefined, false), { key, source: 'override' })
      layers.push({ source: 'override', key, raw, verbatim: false })
    }
  }

  const values = new Map<string, ConfigValue | undefined>()
  const sources = new Map<string, string>()
  for (const spec of configSchema) {
    values.set(spec.key, spec.type === 'path' && typeof spec.default === 'string' ? resolvePath(cwd, spec.default) : spec.default)
  }
  for (const layer of layers) {
    const spec = SPECS.get(layer.key) as ConfigKeySpec
    try {
      values.set(layer.key, parseValue(spec, layer.raw, cwd, layer.verbatim))
    } catch (e) {
      if (e instanceof BadValue) throw valueError(spec, e, layer.source)
      throw e
    }
    sources.set(layer.key, layer.source)
  }

  applyDerived(values)
  crossCheck(values, sources)
  return deepFreeze(nest(values)) as unknown as TekkaConfig
}

/** Defaults that depend on other keys; applied only where nothing set the key. */
function applyDerived (values: Map<string, ConfigValue | undefined>): void {
  if (values.get('node.listen_host') === undefined) {
    const name = values.get('node.name') as string
    const host = name.slice(name.indexOf('@') + 1)
    values.set('node.listen_host', isIP(host) !== 0 ? host : host.toLowerCase() === 'localhost' ? '127.0.0.1' : '0.0.0.0')
  }
  if (values.get('node.send_timeout') === undefined) values.set('node.send_timeout', 4 * (values.get('node.tick_time') as number))
  if (values.get('lock.lease_check') === undefined) {
    // With the lease off there is nothing to check; keep a valid interval anyway.
    values.set('lock.lease_check', 2 * ((values.get('lock.lease') as number) || 15 * SECONDS))
  }
}

/** Rules between keys, each reported on the key that has to change. */
function crossCheck (values: Map<string, ConfigValue | undefined>, sources: Map<string, string>): void {
  const fail = (key: string, message: string): never => {
    const source = sources.get(key)
    throw new ConfigError(`${key}: ${message}${source === undefined ? '' : ` [${source}]`}`, { key, ...(source === undefined ? {} : { source }) })
  }
  if (values.get('node.ssl.enable') === true) {
    for (const k of ['node.ssl.keyfile', 'node.ssl.certfile', 'node.ssl.cacertfile']) {
      const file = values.get(k)
      if (file === undefined) fail(k, 'required when node.ssl.enable = on')
      checkReadable(k, file as string, fail)
    }
  }
  const etcdKey = values.get('cluster.etcd.ssl.keyfile')
  const etcdCert = values.get('cluster.etcd.ssl.certfile')
  if ((etcdKey === undefined) !== (etcdCert === undefined)) {
    fail(etcdKey === undefined ? 'cluster.etcd.ssl.keyfile' : 'cluster.etcd.ssl.certfile', 'cluster.etcd.ssl.keyfile and cluster.etcd.ssl.certfile go together')
  }
  if (values.get('cluster.discovery') === 'etcd') {
    for (const k of ['cluster.etcd.ssl.keyfile', 'cluster.etcd.ssl.certfile', 'cluster.etcd.ssl.cacertfile']) {
      const file = values.get(k)
      if (file !== undefined) checkReadable(k, file as string, fail)
    }
  }
}

/** Key files are read at start anyway; checking here names the key instead of a bare ENOENT later. */
function checkReadable (key: string, file: string, fail: (key: string, message: string) => never): void {
  try {
    accessSync(file, fsConstants.R_OK)
  } catch (err) {
    fail(key, `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
}

function nest (values: Map<string, ConfigValue | undefined>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of values) {
    const parts = key.split('.')
    let obj = root
    for (const p of parts.slice(0, -1)) obj = (obj[p] ??= {}) as Record<string, unknown>
    obj[parts[parts.length - 1] as string] = value
  }
  return root
}

/** The value of a dotted key in a loaded config (`configValue(c, 'node.tick_time')`). */
export function configValue (config: TekkaConfig, key: string): ConfigValue | undefined {
  if (!SPECS.has(key)) throw new ConfigError(unknownKeyMessage(key, undefined, false), { key })
  let v: unknown = config
  for (const p of key.split('.')) v = (v as Record<string, unknown>)[p]
  return v as ConfigValue | undefined
}

// ---------------------------------------------------------------- docs

/** A default as an operator would write it in `tekka.conf`. */
export function formatDefault (spec: ConfigKeySpec): string {
  const d = spec.default
  if (spec.defaultText !== undefined && (d === undefined || (Array.isArray(d) && d.length === 0))) return spec.defaultText
  if (d === undefined) return ''
  if (typeof d === 'boolean') return d ? 'on' : 'off'
  if (spec.type === 'duration' && typeof d === 'number') return formatDuration(d)
  if (Array.isArray(d)) return d.join(',')
  return String(d)
}

/** The schema as a Markdown table (key, environment variable, type, default, allowed, description), for READMEs. */
export function renderConfigTable (schema: readonly ConfigKeySpec[] = configSchema): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ')
  const rows = schema.map((s) => {
    const type = s.type === 'list' ? `list of ${s.items ?? 'string'}` : s.type
    return `| \`${s.key}\` | \`${envVarName(s.key)}\` | ${type} | ${esc(formatDefault(s))} | ${esc(allowedText(s))} | ${esc(s.doc)} |`
  })
  return ['| key | environment | type | default | allowed | description |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n'
}

// ---------------------------------------------------------------- util

function deepFreeze<T> (x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x) && !(x instanceof RegExp)) {
    for (const v of Object.values(x)) deepFreeze(v)
    Object.freeze(x)
  }
  return x
}
