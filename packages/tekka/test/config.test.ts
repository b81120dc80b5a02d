// The keys of the plugins (discovery's cluster.*, heal's autoheal and
// autoclean, lock's lock.*) as a node loads them: every section at once,
// through loadTekkaConfig, as the tekka command does. The loader's mechanics
// and dist's own keys are tested in packages/dist/test/config.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TekkaError } from '@tekka/actors'
import {
  ConfigError, ConfigSchema, allowedText, configValue, distConfig, envVarName, formatDefault, renderConfigTable,
  type Config, type ConfigKeySpec, type LoadConfigOptions
} from '@tekka/dist'
import { configSections, defaultPlugins, loadTekkaConfig } from '../src/index.js'

const CWD = '/base'
const dir = mkdtempSync(join(tmpdir(), 'tekka-config-'))
let fileNo = 0
function confFile (text: string): string {
  const f = join(dir, `t${fileNo++}.conf`)
  writeFileSync(f, text)
  return f
}
const load = (o: Omit<LoadConfigOptions, 'sections'> = {}): Config => loadTekkaConfig({ config: { env: {}, cwd: CWD, ...o } })
const v = (c: Config, key: string): unknown => configValue(c, key)

const SECTIONS = configSections()
const ALL_KEYS = SECTIONS.flatMap((s) => s.keys)
/** The plugins' keys: every section but dist's own. */
const PLUGIN_KEYS = SECTIONS.filter((s) => s !== distConfig).flatMap((s) => s.keys)

function configError (fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, ConfigError)
    assert.instance(err, TekkaError)
    assert.is((err as ConfigError).code, 'ERR_CONFIG')
    assert.is((err as ConfigError).name, 'ConfigError')
    return err as ConfigError
  }
  throw new assert.Assertion({ message: 'expected a ConfigError', generated: false, operator: 'throws', expects: 'ConfigError', actual: 'no error' })
}

// ---------------------------------------------------------------- per-key tables

/** Good inputs: [input, expected parsed value, other keys needed for the input to be valid]. Strings are tried from every source. */
type Good = Array<[unknown, unknown, Record<string, unknown>?]>

const GOOD: Record<string, Good> = {
  'cluster.discovery': [['manual', 'manual'], ['static', 'static'], ['dns', 'dns'], ['etcd', 'etcd'], ['k8s', 'k8s'], ['mdns', 'mdns'], ['STATIC', 'static']],
  'cluster.autocluster_interval': [['5s', 5000], ['10ms', 10]],
  'cluster.autoheal': [['on', true], ['off', false]],
  'cluster.autoheal_delay': [['15s', 15_000], ['0', 0]],
  'cluster.autoclean': [['5m', 300_000], ['off', 0], ['OFF', 0], ['0', 0], ['1d', 86_400_000]],
  'cluster.static.seeds': [['n1@127.0.0.1,n2@127.0.0.1', ['n1@127.0.0.1', 'n2@127.0.0.1']], ['', []], [' n1@h , n2@h ', ['n1@h', 'n2@h']], [['n1@h', 'n2@h'], ['n1@h', 'n2@h']], ['n1@h,not a name', ['n1@h', 'not a name']]],
  'cluster.dns.name': [['localhost', 'localhost'], ['tekka.svc.cluster.local', 'tekka.svc.cluster.local'], ['_tekka._tcp.example.com', '_tekka._tcp.example.com']],
  'cluster.dns.app': [['tekka', 'tekka'], ['my_app-1', 'my_app-1']],
  'cluster.dns.type': [['a', 'a'], ['aaaa', 'aaaa'], ['srv', 'srv'], ['SRV', 'srv']],
  'cluster.dns.servers': [['127.0.0.1,::1', ['127.0.0.1', '::1']], ['', []], ['10.0.0.53', ['10.0.0.53']]],
  'cluster.dns.port': [['53', 53], ['5353', 5353]],
  'cluster.etcd.server': [['http://127.0.0.1:2379,https://e2:2379', ['http://127.0.0.1:2379', 'https://e2:2379']], ['http://etcd:2379', ['http://etcd:2379']]],
  'cluster.etcd.prefix': [['tekkacl', 'tekkacl'], ['a/b.c-d_e', 'a/b.c-d_e']],
  'cluster.etcd.node_ttl': [['1m', 60_000], ['1s', 1000], ['90000', 90_000]],
  'cluster.etcd.ssl.keyfile': [['/etc/etcd/key.pem', '/etc/etcd/key.pem', { 'cluster.etcd.ssl.certfile': '/etc/etcd/cert.pem' }]],
  'cluster.etcd.ssl.certfile': [['/etc/etcd/cert.pem', '/etc/etcd/cert.pem', { 'cluster.etcd.ssl.keyfile': '/etc/etcd/key.pem' }]],
  'cluster.etcd.ssl.cacertfile': [['/etc/etcd/ca.pem', '/etc/etcd/ca.pem']],
  'cluster.k8s.apiserver': [['https://kubernetes.default.svc', 'https://kubernetes.default.svc'], ['http://10.0.0.1:8080', 'http://10.0.0.1:8080']],
  'cluster.k8s.service_name': [['tekka', 'tekka'], ['tekka-headless', 'tekka-headless']],
  'cluster.k8s.namespace': [['default', 'default'], ['kube-system', 'kube-system']],
  'cluster.k8s.address_type': [['ip', 'ip'], ['dns', 'dns'], ['hostname', 'hostname']],
  'cluster.k8s.app_name': [['tekka', 'tekka'], ['emqx_1', 'emqx_1']],
  'cluster.k8s.suffix': [['pod.cluster.local', 'pod.cluster.local'], ['', ''], ['svc.cluster.local', 'svc.cluster.local']],
  'cluster.k8s.service_account_dir': [['/sa', '/sa']],
  'cluster.k8s.use_endpoint_slices': [['off', false], ['on', true]],
  'cluster.mdns.service': [['tekka', 'tekka'], ['my-svc', 'my-svc'], ['abcdefghijklmno', 'abcdefghijklmno']],
  'cluster.mdns.browse_window': [['3s', 3000], ['100ms', 100]],
  'cluster.mdns.family': [['auto', 'auto'], ['ipv4', 'ipv4'], ['ipv6', 'ipv6'], ['both', 'both'], ['IPv6', 'ipv6']],
  'lock.lease': [['15s', 15_000], ['10ms', 10]],
  'lock.lease_check': [['30s', 30_000], ['1m', 60_000]],
  'management.port': [['8080', 8080], ['0', 0], ['65535', 65535]],
  'management.host': [['127.0.0.1', '127.0.0.1'], ['0.0.0.0', '0.0.0.0'], ['::1', '::1']],
  'management.token': [['s3cret-token', 's3cret-token']],
  'management.request_timeout': [['10s', 10_000], ['100ms', 100]],
  'management.top_processes': [['10', 10], ['0', 0], ['1000', 1000]],
  'management.rtt_interval': [['5s', 5000], ['off', 0]],
  'management.leave_on_stop': [['on', true], ['off', false]]
}

/** Bad inputs for every key: each must be refused with an error naming the key. */
const BAD: Record<string, unknown[]> = {
  'cluster.discovery': ['consul', '', 'static,dns'],
  'cluster.autocluster_interval': ['5ms', '2h', 'often'],
  'cluster.autoheal': ['maybe', 'enabled'],
  'cluster.autoheal_delay': ['-1', '2h', 'later'],
  'cluster.autoclean': ['never', '5 minutes', 'on'],
  // Malformed names ('n1', 'n1@h n2@h') are the static strategy's to log and skip; empty items are still refused here.
  'cluster.static.seeds': ['n1@h,', 'n1@h,,n2@h', [1], {}],
  'cluster.dns.name': ['bad_name', '', 'a..b', '-a.com', '__x.com', '_.com'],
  'cluster.dns.app': ['my app', 'a.b', 'a@b', ''],
  'cluster.dns.type': ['cname', 'mx', ''],
  'cluster.dns.servers': ['dns.google', '127.0.0.1:53', '127.0.0.1,'],
  'cluster.dns.port': ['0', 'x', '65536'],
  'cluster.etcd.server': ['127.0.0.1:2379', 'ftp://x', 'http://', '', 'http://a:1,nope'],
  'cluster.etcd.prefix': ['a b', ''],
  'cluster.etcd.node_ttl': ['500ms', '2d'],
  'cluster.etcd.ssl.keyfile': [''],
  'cluster.etcd.ssl.certfile': [''],
  'cluster.etcd.ssl.cacertfile': [''],
  'cluster.k8s.apiserver': ['kubernetes', '', 'file:///x'],
  'cluster.k8s.service_name': ['Tekka', '-x', 'a_b', ''],
  'cluster.k8s.namespace': ['Default', ''],
  'cluster.k8s.address_type': ['fqdn', ''],
  'cluster.k8s.app_name': ['a@b', ''],
  'cluster.k8s.suffix': ['bad_suffix', '.'.repeat(3)],
  'cluster.k8s.service_account_dir': [''],
  'cluster.k8s.use_endpoint_slices': ['slices'],
  'cluster.mdns.service': ['_tekka._tcp', 'Tekka', 'abcdefghijklmnop', '-x', ''],
  'cluster.mdns.browse_window': ['50ms', '11m'],
  'cluster.mdns.family': ['ipv5', 'v6', 'ipv4,ipv6', ''],
  'lock.lease': ['5ms', 'x'],
  'lock.lease_check': ['1ms', 'y'],
  'management.port': ['-1', '65536', 'http', ''],
  'management.host': ['localhost', '127.0.0.1:8080', ''],
  'management.token': [''],
  'management.request_timeout': ['50ms', '11m', 'soon'],
  'management.top_processes': ['-1', '1001', 'ten'],
  'management.rtt_interval': ['11m', 'often'],
  'management.leave_on_stop': ['maybe']
}

test('every key of every plugin\'s section has good and bad examples in these tables (a new key needs tests)', () => {
  const keys = PLUGIN_KEYS.map((s) => s.key).sort()
  assert.equal(Object.keys(GOOD).sort(), keys)
  assert.equal(Object.keys(BAD).sort(), keys)
})

test('the sections: dist\'s, then one per default plugin; unique keys, ekka\'s names, every row documented and typed consistently', () => {
  assert.equal(SECTIONS.map((s) => s.owner), ['@tekka/dist', ...defaultPlugins().map((p) => p.name)])
  const seen = new Set<string>()
  for (const s of ALL_KEYS) {
    assert.not.ok(seen.has(s.key), s.key)
    seen.add(s.key)
    assert.match(s.key, /^(node|cluster|lock|log|management)\.[a-z0-9_.]+$/)
    assert.ok(s.doc.length > 10, `${s.key} has a doc string`)
    if (s.type === 'enum') assert.ok((s.values ?? []).length > 1, s.key)
    if (s.type === 'list') assert.ok(s.items !== undefined, s.key)
    if (s.default === undefined) assert.ok(s.defaultText !== undefined, `${s.key}: an unset default is explained`)
  }
  for (const k of ['node.name', 'node.cookie', 'node.dist_base_port', 'node.tick_time', 'cluster.name', 'node.data_dir', 'cluster.discovery',
    'cluster.static.seeds', 'cluster.dns.name', 'cluster.dns.app', 'cluster.dns.type', 'cluster.etcd.server', 'cluster.etcd.prefix',
    'cluster.etcd.node_ttl', 'cluster.etcd.ssl.keyfile', 'cluster.etcd.ssl.certfile', 'cluster.etcd.ssl.cacertfile', 'cluster.k8s.apiserver',
    'cluster.k8s.service_name', 'cluster.k8s.namespace', 'cluster.k8s.address_type', 'cluster.k8s.app_name', 'cluster.k8s.suffix',
    'cluster.mdns.service', 'cluster.autoheal', 'cluster.autoheal_delay', 'cluster.autoclean', 'lock.lease']) {
    assert.ok(seen.has(k), `DESIGN.md key ${k} is in a section`)
  }
})

test('each key is owned by the package that uses it', () => {
  const schema = new ConfigSchema(SECTIONS)
  const owners: Record<string, string> = {
    'node.tick_time': '@tekka/dist',
    'cluster.name': '@tekka/dist',
    'cluster.discovery': '@tekka/discovery',
    'cluster.static.seeds': '@tekka/discovery',
    'cluster.etcd.ssl.keyfile': '@tekka/discovery',
    'cluster.autoheal': '@tekka/heal',
    'cluster.autoclean': '@tekka/heal',
    'lock.lease': '@tekka/lock',
    'lock.lease_check': '@tekka/lock',
    'management.port': '@tekka/management',
    'management.leave_on_stop': '@tekka/management'
  }
  for (const [key, owner] of Object.entries(owners)) assert.is(schema.owner(key), owner, key)
})

test('defaults: every plugin key has its documented default', () => {
  const c = load()
  const expected: Record<string, unknown> = {
    'cluster.discovery': 'manual',
    'cluster.autocluster_interval': 5000,
    'cluster.autoheal': true,
    'cluster.autoheal_delay': 15_000,
    'cluster.autoclean': 300_000,
    'cluster.static.seeds': [],
    'cluster.dns.name': 'localhost',
    'cluster.dns.app': 'tekka',
    'cluster.dns.type': 'a',
    'cluster.dns.servers': [],
    'cluster.dns.port': 53,
    'cluster.etcd.server': ['http://127.0.0.1:2379'],
    'cluster.etcd.prefix': 'tekkacl',
    'cluster.etcd.node_ttl': 60_000,
    'cluster.etcd.ssl.keyfile': undefined,
    'cluster.etcd.ssl.certfile': undefined,
    'cluster.etcd.ssl.cacertfile': undefined,
    'cluster.k8s.apiserver': 'https://kubernetes.default.svc',
    'cluster.k8s.service_name': 'tekka',
    'cluster.k8s.namespace': 'default',
    'cluster.k8s.address_type': 'ip',
    'cluster.k8s.app_name': 'tekka',
    'cluster.k8s.suffix': 'pod.cluster.local',
    'cluster.k8s.service_account_dir': '/var/run/secrets/kubernetes.io/serviceaccount',
    'cluster.k8s.use_endpoint_slices': true,
    'cluster.mdns.service': 'tekka',
    'cluster.mdns.browse_window': 3000,
    'cluster.mdns.family': 'auto',
    'lock.lease': 15_000,
    'lock.lease_check': 30_000,
    'management.port': undefined,
    'management.host': '127.0.0.1',
    'management.token': undefined,
    'management.request_timeout': 10_000,
    'management.top_processes': 10,
    'management.rtt_interval': 5000,
    'management.leave_on_stop': false
  }
  assert.equal(Object.keys(expected).sort(), PLUGIN_KEYS.map((s) => s.key).sort())
  for (const [k, x] of Object.entries(expected)) assert.equal(configValue(c, k), x, k)
  // Typed access, as the plugins read it.
  assert.equal((c.cluster as { static: { seeds: string[] } }).static.seeds, [])
  assert.is((c.lock as { lease: number }).lease, 15_000)
})

test('the loaded config has exactly the keys of every section, nested', () => {
  const leaves: string[] = []
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, x] of Object.entries(o)) {
      const key = prefix === '' ? k : `${prefix}.${k}`
      if (typeof x === 'object' && x !== null && !Array.isArray(x)) walk(x as Record<string, unknown>, key)
      else leaves.push(key)
    }
  }
  walk(load(), '')
  assert.equal(leaves.sort(), ALL_KEYS.map((s) => s.key).sort())
})

function fromEverySource (spec: ConfigKeySpec, input: unknown, extra: Record<string, unknown>, check: (c: Config, how: string) => void): void {
  if (typeof input === 'string') {
    const fileText = Object.entries({ ...extra, [spec.key]: input }).map(([k, x]) => `${k} = ${String(x)}`).join('\n')
    check(load({ file: confFile(fileText) }), 'file')
    const env: NodeJS.ProcessEnv = {}
    for (const [k, x] of Object.entries({ ...extra, [spec.key]: input })) env[envVarName(k)] = String(x)
    check(load({ env }), 'env')
  }
  check(load({ overrides: { ...extra, [spec.key]: input } }), 'override')
}

for (const spec of PLUGIN_KEYS) {
  test(`${spec.key}: parses ${GOOD[spec.key]?.length ?? 0} good values from file, env and overrides`, () => {
    for (const [input, expected, extra] of GOOD[spec.key] ?? []) {
      fromEverySource(spec, input, extra ?? {}, (c, how) => {
        assert.equal(configValue(c, spec.key), expected, `${spec.key} = ${JSON.stringify(input)} from ${how}`)
      })
    }
  })

  test(`${spec.key}: refuses ${BAD[spec.key]?.length ?? 0} bad values, naming the key, the value and what is allowed`, () => {
    for (const input of BAD[spec.key] ?? []) {
      const sources: Array<[string, () => unknown, RegExp]> = [
        ['override', () => load({ overrides: { [spec.key]: input } }), /\[override\]$/]
      ]
      if (typeof input === 'string' && !/[\r\n]/.test(input)) {
        const quoted = input !== input.trim() || /\p{Cc}/u.test(input) ? JSON.stringify(input) : input
        const f = confFile(`# header\n\n${spec.key} = ${quoted}\n`)
        sources.push(['file', () => load({ file: f }), new RegExp(`\\[${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3\\]$`)])
        sources.push(['env', () => load({ env: { [envVarName(spec.key)]: input } }), new RegExp(`\\[env ${envVarName(spec.key)}\\]$`)])
      }
      for (const [how, fn, where] of sources) {
        const e = configError(fn)
        const label = `${spec.key} = ${JSON.stringify(input)} from ${how}: ${e.message}`
        assert.is(e.key, spec.key, label)
        assert.ok(e.message.startsWith(`${spec.key}: `), label)
        assert.match(e.message, ' is not allowed (', label)
        assert.match(e.message, where, label)
        if (spec.type !== 'list') assert.ok(e.message.includes(`(${allowedText(spec)})`), label)
        if (spec.secret === true) {
          assert.not.ok(typeof input === 'string' && input.length > 2 && e.message.includes(input), `${label}: a secret is not echoed`)
        } else if (spec.type !== 'list' && typeof input === 'string') {
          assert.ok(e.message.includes(JSON.stringify(input.trim())) || e.message.includes(JSON.stringify(input)), `${label}: names the value`)
        }
      }
    }
  })
}

test('the error message matches the documented shape', () => {
  const e = configError(() => load({ overrides: { 'cluster.autoheal': 'maybe' } }))
  assert.is(e.message, 'cluster.autoheal: "maybe" is not allowed (on | off | true | false) [override]')
  const s = configError(() => load({ overrides: { 'cluster.static.seeds': 'n1@h,,n2' } }))
  assert.match(s.message, /^cluster\.static\.seeds: "" is not allowed \(a non-empty string/)
})

// ---------------------------------------------------------------- precedence, sources

test('precedence: defaults < file < env < overrides, key by key, across sections', () => {
  const f = confFile([
    'node.name = f@127.0.0.1',
    'node.tick_time = 1s',
    'cluster.autoheal = off',
    'lock.lease = 20s'
  ].join('\n'))
  const env = { TEKKA_NODE__TICK_TIME: '2s', TEKKA_CLUSTER__AUTOHEAL: 'on' }
  const c = load({ file: f, env, overrides: { 'cluster.autoheal': false } })
  assert.is(v(c, 'node.name'), 'f@127.0.0.1') // file only
  assert.is(v(c, 'node.tick_time'), 2000) // env beats file
  assert.is(v(c, 'cluster.autoheal'), false) // override beats env and file
  assert.is(v(c, 'lock.lease'), 20_000) // file beats default
  assert.is(v(c, 'cluster.name'), 'tekka') // default
  const onlyFile = load({ file: f })
  assert.is(v(onlyFile, 'node.tick_time'), 1000)
  assert.is(v(onlyFile, 'cluster.autoheal'), false)
})

test('env: a plugin\'s keys as TEKKA_<KEY with . as __>', () => {
  const c = load({ env: { TEKKA_COOKIE: 'x', TEKKA_LOG: 'debug', PATH: '/bin', TEKKA_NODE__COOKIE: 'from-env', TEKKA_CLUSTER__STATIC__SEEDS: 'a@h,b@h' } })
  assert.is(v(c, 'node.cookie'), 'from-env')
  assert.equal(v(c, 'cluster.static.seeds'), ['a@h', 'b@h'])
})

test('overrides: a plugin\'s keys dotted or nested', () => {
  const c = load({ overrides: { node: { name: 'n@10.0.0.1' }, 'cluster.dns.port': 5353, cluster: { etcd: { prefix: 'nested' } } } })
  assert.is(v(c, 'node.name'), 'n@10.0.0.1')
  assert.is(v(c, 'cluster.dns.port'), 5353)
  assert.is(v(c, 'cluster.etcd.prefix'), 'nested')
})

test('unknown key: a typo of a plugin\'s key is refused with a suggestion; so is a key of a plugin the node does not run', () => {
  const e3 = configError(() => load({ overrides: { 'cluster.autoheel': true } }))
  assert.is(e3.message, 'unknown key "cluster.autoheel" (did you mean cluster.autoheal?)')
  const f = confFile('node.name = a@h\ncluster.static.seed = a@h\n')
  const e = configError(() => load({ file: f }))
  assert.is(e.message, `${f}:2: unknown key "cluster.static.seed" (did you mean cluster.static.seeds?)`)
  // Without the discovery plugin nobody claims its keys.
  const plugins = defaultPlugins().filter((p) => p.name !== '@tekka/discovery')
  const missing = configError(() => loadTekkaConfig({ plugins, config: { env: {}, cwd: CWD, overrides: { 'cluster.discovery': 'static' } } }))
  assert.is(missing.message, 'unknown key "cluster.discovery"')
  assert.is(missing.key, 'cluster.discovery')
  assert.is(v(loadTekkaConfig({ plugins, config: { env: {}, cwd: CWD } }), 'lock.lease'), 15_000)
})

// ---------------------------------------------------------------- cross-key rules of the plugins

test('lock.lease_check: 2 × lock.lease unless set (as if the lease were its 15 s default when it is off)', () => {
  assert.is(v(load({ overrides: { 'lock.lease': '10s' } }), 'lock.lease_check'), 20_000)
  assert.is(v(load({ overrides: { 'lock.lease': '10s', 'lock.lease_check': '1s' } }), 'lock.lease_check'), 1000)
  assert.is(v(load({ overrides: { 'lock.lease': 'off' } }), 'lock.lease_check'), 30_000)
})

test('cluster.etcd.ssl: keyfile and certfile go together; files must be readable when discovery = etcd', () => {
  const e = configError(() => load({ overrides: { 'cluster.etcd.ssl.keyfile': '/k.pem' } }))
  assert.is(e.message, 'cluster.etcd.ssl.certfile: cluster.etcd.ssl.keyfile and cluster.etcd.ssl.certfile go together')
  const e2 = configError(() => load({ overrides: { 'cluster.discovery': 'etcd', 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }))
  assert.match(e2.message, /^cluster\.etcd\.ssl\.cacertfile: cannot read "\/nope\/ca\.pem" \(ENOENT\)/)
  assert.is(v(load({ overrides: { 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }), 'cluster.etcd.ssl.cacertfile'), '/nope/ca.pem')
})

// ---------------------------------------------------------------- result and docs

test('the result is deeply frozen, plugin keys too', () => {
  const c = load({ overrides: { 'cluster.static.seeds': 'a@h' } })
  const seeds = v(c, 'cluster.static.seeds') as string[]
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.cluster) && Object.isFrozen(seeds))
  assert.throws(() => { seeds.push('b@h') }, TypeError)
})

test('configValue: a plugin\'s key by its dotted name; keys of no section refused', () => {
  const c = load()
  assert.is(configValue(c, 'cluster.k8s.namespace'), 'default')
  configError(() => configValue(c, 'cluster.k8s.nope'))
})

test('each plugin reads its typed settings from the loaded config', () => {
  const c = load({ overrides: { 'cluster.discovery': 'static', 'cluster.static.seeds': 'a@h', 'lock.lease': '20s', 'cluster.autoheal': 'off' } })
  for (const p of defaultPlugins()) assert.ok(p.config.read(c) !== undefined, p.name)
})

test('renderConfigTable of every section: one row per key with its environment variable, default and allowed values', () => {
  const md = renderConfigTable(ALL_KEYS)
  const rows = md.trim().split('\n')
  assert.is(rows.length, ALL_KEYS.length + 2)
  assert.match(md, '| `cluster.autoheal` | `TEKKA_CLUSTER__AUTOHEAL` | bool | on | on \\| off \\| true \\| false |')
  assert.match(md, '| `node.tick_time` | `TEKKA_NODE__TICK_TIME` | duration | 8s |')
  assert.match(md, '| `cluster.static.seeds` | `TEKKA_CLUSTER__STATIC__SEEDS` | list of string |')
  assert.match(md, '| `lock.lease_check` | `TEKKA_LOCK__LEASE_CHECK` | duration | 2 × lock.lease |')
  assert.is(formatDefault(ALL_KEYS.find((s) => s.key === 'cluster.etcd.server') as ConfigKeySpec), 'http://127.0.0.1:2379')
  for (const s of ALL_KEYS) assert.match(md, `| \`${s.key}\` |`)
})

test.run()
