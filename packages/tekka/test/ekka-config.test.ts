// A config written for ekka or EMQX, loaded as a tekka node loads it (every
// section, loadTekkaConfig): every ekka key of issue 16 is accepted as is,
// from an EMQX 5 emqx.conf (HOCON) and from an ekka / EMQX 4 `key = value`
// file, and sets the tekka key it names with the value converted (seeds
// array -> list, durations -> ms); EMQX's `mcast` strategy is refused with
// why and what to use; an ekka name and its tekka key in one file are
// refused; keys tekka does not have (EMQX's own, cluster.mcast.*) are
// refused with the name, the file and the line (and why, for those an ekka
// user is likely to write).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, configValue, type Config } from '@tekka/dist'
import { configSections, loadTekkaConfig } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'tekka-ekka-'))
let fileNo = 0
function file (text: string, name = `emqx${fileNo++}.conf`): string {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}
const load = (f: string): Config => loadTekkaConfig({ config: { file: f, env: {}, cwd: dir } })

function configError (fn: () => unknown): ConfigError {
  try { fn() } catch (err) {
    assert.instance(err, ConfigError)
    return err as ConfigError
  }
  assert.unreachable('the configuration was accepted')
  throw new Error('unreachable')
}

/** Every ekka key the issue lists, and the tekka key and value it gives. */
const EXPECTED: Record<string, [string, unknown]> = {
  'node.name': ['node.name', 'n1@127.0.0.1'],
  'node.cookie': ['node.cookie', 'emqxsecretcookie'],
  'cluster.discovery_strategy': ['cluster.discovery', 'static'],
  'cluster.autoheal': ['cluster.autoheal', true],
  'cluster.autoclean': ['cluster.autoclean', 5 * 60_000],
  'cluster.static.seeds': ['cluster.static.seeds', ['n1@127.0.0.1', 'n2@127.0.0.1']],
  'cluster.dns.name': ['cluster.dns.name', 'emqx.example.com'],
  'cluster.dns.record_type': ['cluster.dns.type', 'srv'],
  'cluster.etcd.server': ['cluster.etcd.server', ['http://127.0.0.1:2379', 'http://127.0.0.2:2379']],
  'cluster.etcd.prefix': ['cluster.etcd.prefix', 'emqxcl'],
  'cluster.etcd.node_ttl': ['cluster.etcd.node_ttl', 15_000],
  'cluster.k8s.apiserver': ['cluster.k8s.apiserver', 'https://kubernetes.default.svc:443'],
  'cluster.k8s.service_name': ['cluster.k8s.service_name', 'emqx'],
  'cluster.k8s.address_type': ['cluster.k8s.address_type', 'hostname'],
  'cluster.k8s.app_name': ['cluster.k8s.app_name', 'emqx'],
  'cluster.k8s.namespace': ['cluster.k8s.namespace', 'mqtt'],
  'cluster.k8s.suffix': ['cluster.k8s.suffix', 'pod.cluster.local']
}

function checkAll (c: Config, where: string): void {
  for (const [ekka, [key, value]] of Object.entries(EXPECTED)) assert.equal(configValue(c, key), value, `${where}: ${ekka} -> ${key}`)
}

test('an EMQX 5 emqx.conf (HOCON) with every ekka key is accepted as is', () => {
  const c = load(file(`## EMQX 5
node {
  name = "n1@127.0.0.1"
  cookie = "emqxsecretcookie"
}

cluster {
  discovery_strategy = static   # manual | static | dns | etcd | k8s
  autoheal = true
  autoclean = 5m
  static {
    seeds = ["n1@127.0.0.1", "n2@127.0.0.1"]
  }
  dns {
    name = "emqx.example.com"
    record_type = srv
  }
  etcd {
    server = "http://127.0.0.1:2379,http://127.0.0.2:2379"
    prefix = emqxcl
    node_ttl = 15s
  }
  k8s {
    apiserver = "https://kubernetes.default.svc:443"
    service_name = emqx
    address_type = hostname
    app_name = emqx
    namespace = mqtt
    suffix = "pod.cluster.local"
  }
}
`))
  checkAll(c, 'emqx.conf')
})

test('an ekka / EMQX 4 key = value file with every ekka key is accepted as is', () => {
  const c = load(file([
    '## ekka.conf',
    'node.name = n1@127.0.0.1',
    'node.cookie = emqxsecretcookie',
    'cluster.discovery_strategy = static',
    'cluster.autoheal = on',
    'cluster.autoclean = 5m',
    'cluster.static.seeds = n1@127.0.0.1,n2@127.0.0.1',
    'cluster.dns.name = emqx.example.com',
    'cluster.dns.record_type = srv',
    'cluster.etcd.server = http://127.0.0.1:2379,http://127.0.0.2:2379',
    'cluster.etcd.prefix = emqxcl',
    'cluster.etcd.node_ttl = 15s',
    'cluster.k8s.apiserver = https://kubernetes.default.svc:443',
    'cluster.k8s.service_name = emqx',
    'cluster.k8s.address_type = hostname',
    'cluster.k8s.app_name = emqx',
    'cluster.k8s.namespace = mqtt',
    'cluster.k8s.suffix = pod.cluster.local'
  ].join('\n') + '\n'))
  checkAll(c, 'ekka.conf')
  // EMQX 4's own names of the renamed keys.
  const old = load(file('cluster.discovery = dns\ncluster.dns.type = a\ncluster.dns.app = emqx\ncluster.etcd.ssl.cacertfile = ca.pem\n'))
  assert.is(configValue(old, 'cluster.discovery'), 'dns')
  assert.is(configValue(old, 'cluster.dns.type'), 'a')
  assert.is(configValue(old, 'cluster.dns.app'), 'emqx')
  assert.is(configValue(old, 'cluster.etcd.ssl.cacertfile'), join(dir, 'ca.pem'))
})

test('EMQX 5 keys of tekka\'s under other names: node.dist_net_ticktime, cluster.etcd.ssl_options.*', () => {
  const c = load(file('node.dist_net_ticktime = 2m\ncluster.etcd.ssl_options { keyfile = "k.pem", certfile = "c.pem", cacertfile = "ca.pem" }\n'))
  assert.is(configValue(c, 'node.tick_time'), 120_000)
  assert.is(configValue(c, 'cluster.etcd.ssl.keyfile'), join(dir, 'k.pem'))
  assert.is(configValue(c, 'cluster.etcd.ssl.certfile'), join(dir, 'c.pem'))
  assert.is(configValue(c, 'cluster.etcd.ssl.cacertfile'), join(dir, 'ca.pem'))
})

test('discovery_strategy = mcast is refused with why and what to use, from either name', () => {
  const f = file('cluster {\n  discovery_strategy = mcast\n}\n')
  const e = configError(() => load(f))
  assert.is(e.key, 'cluster.discovery')
  assert.match(e.message, `cluster.discovery_strategy (tekka's cluster.discovery): "mcast" is not supported: ekka's UDP multicast discovery is not in tekka; mdns finds nodes`)
  assert.match(e.message, `cluster.discovery = mdns`)
  assert.match(e.message, `[${f}:2]`)
  assert.match(configError(() => load(file('cluster.discovery = mcast\n'))).message, /^cluster\.discovery: "mcast" is not supported: ekka's UDP multicast/)
})

test('an ekka name and its tekka key in one file are refused, with both lines', () => {
  const f = file('cluster {\n  discovery = static\n  discovery_strategy = static\n}\n')
  assert.is(configError(() => load(f)).message, `${f}:3: cluster.discovery_strategy and cluster.discovery (line 2) both set cluster.discovery: keep one of them`)
  const g = file('cluster.dns.type = a\ncluster.dns.record_type = a\n')
  assert.match(configError(() => load(g)).message, `${g}:2: cluster.dns.record_type and cluster.dns.type (line 1) both set cluster.dns.type`)
})

test('keys tekka does not have are refused with the name, the file and the line: EMQX\'s own, and ekka\'s mcast keys', () => {
  const f = file('node {\n  name = "n1@127.0.0.1"\n  process_limit = 2097152\n}\n')
  const e = configError(() => load(f))
  assert.match(e.message, `${f}:3: unknown key "node.process_limit"`)
  assert.is(e.key, 'node.process_limit')
  const m = file('cluster.discovery = manual\ncluster.mcast.addr = 239.192.0.1\n')
  assert.match(configError(() => load(m)).message, `${m}:2: unknown key "cluster.mcast.addr": ekka's UDP multicast discovery is not in tekka; mdns finds nodes`)
  const core = file('cluster {\n  core_nodes = "n1@h"\n}\n')
  assert.match(configError(() => load(core)).message, `${core}:2: unknown key "cluster.core_nodes": a setting of mria, EMQX's replicated database; tekka has none`)
  const l = file('log {\n  console { level = info }\n}\n')
  assert.match(configError(() => load(l)).message, `${l}:2: unknown key "log.console.level"`)
})

test('every ekka name of every section is a key it sets, and no name is claimed twice (the schema refuses that)', () => {
  const names = configSections().flatMap((s) => s.keys.flatMap((k) => (k.ekka ?? []).map((e) => e.key)))
  assert.equal(names.filter((n, i) => names.indexOf(n) !== i), [])
  for (const ekka of Object.keys(EXPECTED)) assert.ok(names.includes(ekka), `${ekka} is documented as an ekka name`)
})

test.run()
