// The discovery plugin's config section, loaded as a node loads it (dist's
// section and this one): exactly the discovery keys, each strategy's keys
// from its own definition, with their documented defaults; good values of
// every key parsed from a file, the environment and overrides; bad ones
// refused naming the key, the value and what is allowed; cluster.discovery
// allowing exactly the registered strategies; the rules between keys (etcd's
// key and certificate go together, and must be readable when etcd is
// chosen); and each strategy's settings read from its keys.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  ConfigError, allowedText, configValue, distConfig, envVarName, loadConfig,
  type Config, type ConfigKeySpec, type ConfigSection, type LoadConfigOptions
} from '@tekka/dist'
import { STRATEGIES, discoveryConfig, manualDefinition, plugin, type EtcdInit, type StrategyDefinition } from '../src/index.js'

const CWD = '/base'
const dir = mkdtempSync(join(tmpdir(), 'tekka-discovery-config-'))
test.after(() => { rmSync(dir, { recursive: true, force: true }) })
let fileNo = 0
function confFile (text: string): string {
  const f = join(dir, `t${fileNo++}.conf`)
  writeFileSync(f, text)
  return f
}
const section = plugin.config as ConfigSection
const load = (o: Omit<LoadConfigOptions, 'sections'> = {}, sections: ConfigSection[] = [distConfig, section]): Config =>
  loadConfig({ env: {}, cwd: CWD, ...o, sections })
const p = (x: string): string => resolve(CWD, x)

function configError (fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, ConfigError)
    return err as ConfigError
  }
  assert.unreachable('expected a ConfigError')
  throw new Error('unreachable')
}

/** Good inputs: [input, expected parsed value, other keys needed for the input to be valid]. Strings are tried from every source. */
type Good = Array<[unknown, unknown, Record<string, unknown>?]>

const GOOD: Record<string, Good> = {
  'cluster.discovery': [['manual', 'manual'], ['static', 'static'], ['dns', 'dns'], ['etcd', 'etcd'], ['k8s', 'k8s'], ['mdns', 'mdns'], ['STATIC', 'static']],
  'cluster.autocluster_interval': [['5s', 5000], ['10ms', 10]],
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
  'cluster.etcd.ssl.cacertfile': [['/etc/etcd/ca.pem', '/etc/etcd/ca.pem'], ['ca.pem', p('ca.pem')]],
  'cluster.k8s.apiserver': [['https://kubernetes.default.svc', 'https://kubernetes.default.svc'], ['http://10.0.0.1:8080', 'http://10.0.0.1:8080']],
  'cluster.k8s.service_name': [['tekka', 'tekka'], ['tekka-headless', 'tekka-headless']],
  'cluster.k8s.namespace': [['default', 'default'], ['kube-system', 'kube-system']],
  'cluster.k8s.address_type': [['ip', 'ip'], ['dns', 'dns'], ['hostname', 'hostname']],
  'cluster.k8s.app_name': [['tekka', 'tekka'], ['emqx_1', 'emqx_1']],
  'cluster.k8s.suffix': [['pod.cluster.local', 'pod.cluster.local'], ['', ''], ['svc.cluster.local', 'svc.cluster.local']],
  'cluster.k8s.service_account_dir': [['/sa', '/sa'], ['sa', p('sa')]],
  'cluster.k8s.use_endpoint_slices': [['off', false], ['on', true]],
  'cluster.mdns.service': [['tekka', 'tekka'], ['my-svc', 'my-svc'], ['abcdefghijklmno', 'abcdefghijklmno']],
  'cluster.mdns.browse_window': [['3s', 3000], ['100ms', 100]],
  'cluster.mdns.family': [['auto', 'auto'], ['ipv4', 'ipv4'], ['ipv6', 'ipv6'], ['both', 'both'], ['IPv6', 'ipv6']]
}

/** Bad inputs for every key: each must be refused with an error naming the key. */
const BAD: Record<string, unknown[]> = {
  'cluster.discovery': ['consul', '', 'static,dns'],
  'cluster.autocluster_interval': ['5ms', '2h', 'often'],
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
  'cluster.mdns.family': ['ipv5', 'v6', 'ipv4,ipv6', '']
}

const DEFAULTS: Record<string, unknown> = {
  'cluster.discovery': 'manual',
  'cluster.autocluster_interval': 5000,
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
  'cluster.mdns.family': 'auto'
}

test('the section: owned by @tekka/discovery; exactly the discovery keys, each strategy\'s own from its definition, documented', () => {
  assert.is(section.owner, '@tekka/discovery')
  const keys = section.keys.map((k) => k.key)
  assert.equal(keys, Object.keys(DEFAULTS), 'the keys, in documentation order')
  assert.equal(Object.keys(GOOD).sort(), [...keys].sort(), 'every key has good examples here')
  assert.equal(Object.keys(BAD).sort(), [...keys].sort(), 'every key has bad examples here')
  // Each strategy brings its keys, and only keys under its own name.
  for (const s of STRATEGIES) {
    for (const k of s.keys) {
      assert.ok(k.key.startsWith(`cluster.${s.name}.`), `${k.key} is ${s.name}'s`)
      assert.ok(section.keys.includes(k), `${k.key} is in the section as the definition has it`)
    }
  }
  for (const k of section.keys) {
    assert.ok(k.doc.length > 10, `${k.key} is documented`)
    if (k.default === undefined) assert.ok(k.defaultText !== undefined, `${k.key}: an unset default is explained`)
  }
})

test('defaults: every discovery key has its documented default; the settings are manual, 5 s, no init', () => {
  const c = load()
  for (const [key, want] of Object.entries(DEFAULTS)) assert.equal(configValue(c, key), want, key)
  assert.equal(plugin.config.read(c), { discovery: 'manual', interval: 5000, init: {} })
})

function fromEverySource (spec: ConfigKeySpec, input: unknown, extra: Record<string, unknown>, check: (c: Config, how: string) => void): void {
  if (typeof input === 'string') {
    const fileText = Object.entries({ ...extra, [spec.key]: input }).map(([k, v]) => `${k} = ${String(v)}`).join('\n')
    check(load({ file: confFile(fileText) }), 'file')
    const env: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries({ ...extra, [spec.key]: input })) env[envVarName(k)] = String(v)
    check(load({ env }), 'env')
  }
  check(load({ overrides: { ...extra, [spec.key]: input } }), 'override')
}

for (const spec of section.keys) {
  test(`${spec.key}: parses ${GOOD[spec.key]?.length ?? 0} good values from file, env and overrides`, () => {
    assert.ok((GOOD[spec.key]?.length ?? 0) > 0, 'has examples')
    for (const [input, expected, extra] of GOOD[spec.key] ?? []) {
      fromEverySource(spec, input, extra ?? {}, (c, how) => {
        assert.equal(configValue(c, spec.key), expected, `${spec.key} = ${JSON.stringify(input)} from ${how}`)
      })
    }
  })

  test(`${spec.key}: refuses ${BAD[spec.key]?.length ?? 0} bad values, naming the key, the value and what is allowed`, () => {
    assert.ok((BAD[spec.key]?.length ?? 0) > 0, 'has examples')
    for (const input of BAD[spec.key] ?? []) {
      const sources: Array<[string, () => unknown]> = [['override', () => load({ overrides: { [spec.key]: input } })]]
      if (typeof input === 'string') {
        const f = confFile(`# header\n\n${spec.key} = ${input}\n`)
        sources.push(['file', () => load({ file: f })], ['env', () => load({ env: { [envVarName(spec.key)]: input } })])
      }
      for (const [how, fn] of sources) {
        const e = configError(fn)
        const label = `${spec.key} = ${JSON.stringify(input)} from ${how}: ${e.message}`
        assert.is(e.key, spec.key, label)
        assert.ok(e.message.startsWith(`${spec.key}: `), label)
        // A list names what its offending item must be; any other key, what it allows.
        assert.ok(e.message.includes(spec.type === 'list' ? ' is not allowed (' : `is not allowed (${allowedText(spec)})`), label)
        if (typeof input === 'string') {
          const named = spec.type === 'list' ? input.split(',').map((x) => x.trim()) : [input.trim()]
          assert.ok(named.some((x) => e.message.includes(`${JSON.stringify(x)} is not allowed`)), `${label}: names the value (a list: its bad item)`)
        }
      }
    }
  })
}

test('cluster.discovery allows exactly the strategies the plugin is made with', () => {
  const spec = section.keys.find((k) => k.key === 'cluster.discovery')
  assert.equal(spec?.values, STRATEGIES.map((s) => s.name))
  assert.equal(spec?.values, ['manual', 'static', 'dns', 'etcd', 'k8s', 'mdns'])
  // Another set of strategies: another section, the values and keys theirs.
  const memory: StrategyDefinition<{ size: number }> = {
    name: 'memory',
    keys: [{ key: 'cluster.memory.size', type: 'int', default: 3, min: 1, doc: 'memory: how many nodes the table holds.' }],
    read: (c) => ({ size: configValue(c, 'cluster.memory.size') as number }),
    create: () => { throw new Error('not started here') }
  }
  const other = discoveryConfig([manualDefinition, memory]) as ConfigSection
  assert.equal(other.keys.map((k) => k.key), ['cluster.discovery', 'cluster.autocluster_interval', 'cluster.memory.size'])
  const c = load({ overrides: { 'cluster.discovery': 'memory', 'cluster.memory.size': '5' } }, [distConfig, other])
  assert.equal(other.read(c), { discovery: 'memory', interval: 5000, init: { size: 5 } })
  const e = configError(() => load({ overrides: { 'cluster.discovery': 'static' } }, [distConfig, other]))
  assert.is(e.message, 'cluster.discovery: "static" is not allowed (manual | memory) [override]')
  assert.throws(() => discoveryConfig([manualDefinition, manualDefinition]), /discovery strategy manual is given twice/)
  assert.throws(() => discoveryConfig([]), /at least one strategy/)
})

test('cluster.etcd.ssl: keyfile and certfile go together, whatever the strategy; the files must be readable when discovery = etcd', () => {
  const e = configError(() => load({ overrides: { 'cluster.etcd.ssl.keyfile': '/k.pem' } }))
  assert.is(e.message, 'cluster.etcd.ssl.certfile: cluster.etcd.ssl.keyfile and cluster.etcd.ssl.certfile go together')
  assert.is(e.key, 'cluster.etcd.ssl.certfile')
  const e1 = configError(() => load({ overrides: { 'cluster.etcd.ssl.certfile': '/c.pem' } }))
  assert.is(e1.key, 'cluster.etcd.ssl.keyfile')
  const e2 = configError(() => load({ overrides: { 'cluster.discovery': 'etcd', 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }))
  assert.match(e2.message, /^cluster\.etcd\.ssl\.cacertfile: cannot read "\/nope\/ca\.pem" \(ENOENT\) \[override\]$/)
  assert.is(e2.key, 'cluster.etcd.ssl.cacertfile')
  const e3 = configError(() => load({ overrides: { 'cluster.discovery': 'etcd', 'cluster.etcd.ssl.keyfile': '/nope/k.pem', 'cluster.etcd.ssl.certfile': '/nope/c.pem' } }))
  assert.is(e3.key, 'cluster.etcd.ssl.keyfile')
  // Not chosen: not read, so not checked.
  assert.is(configValue(load({ overrides: { 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }), 'cluster.etcd.ssl.cacertfile'), '/nope/ca.pem')
  // Readable files pass.
  const ca = confFile('-----BEGIN CERTIFICATE-----\n')
  assert.is(configValue(load({ overrides: { 'cluster.discovery': 'etcd', 'cluster.etcd.ssl.cacertfile': ca } }), 'cluster.etcd.ssl.cacertfile'), ca)
})

test('each strategy\'s settings are read from its own keys (every key set to something other than its default)', () => {
  const read = (over: Record<string, unknown>): unknown => plugin.config.read(load({ overrides: over }))
  assert.equal(read({ 'cluster.discovery': 'static', 'cluster.static.seeds': 'a@h,b@h', 'cluster.autocluster_interval': '250ms' }),
    { discovery: 'static', interval: 250, init: { seeds: ['a@h', 'b@h'] } })
  assert.equal(read({ 'cluster.discovery': 'dns', 'cluster.dns.name': 'n.test', 'cluster.dns.app': 'emqx', 'cluster.dns.type': 'srv', 'cluster.dns.servers': '10.0.0.1', 'cluster.dns.port': '5353' }),
    { discovery: 'dns', interval: 5000, init: { name: 'n.test', app: 'emqx', type: 'srv', servers: ['10.0.0.1'], port: 5353 } })
  const [ca, key, cert] = ['ca', 'key', 'cert'].map((x) => confFile(x))
  const etcd = read({
    'cluster.discovery': 'etcd',
    'cluster.etcd.server': 'http://e1:2379,http://e2:2379',
    'cluster.etcd.prefix': 'apps/x',
    'cluster.etcd.node_ttl': '10s',
    'cluster.etcd.ssl.cacertfile': ca,
    'cluster.etcd.ssl.keyfile': key,
    'cluster.etcd.ssl.certfile': cert
  }) as { init: EtcdInit }
  assert.equal(etcd.init, { server: ['http://e1:2379', 'http://e2:2379'], prefix: 'apps/x', nodeTtl: 10_000, ssl: { keyfile: key, certfile: cert, cacertfile: ca } })
  assert.equal(read({
    'cluster.discovery': 'k8s',
    'cluster.k8s.apiserver': 'http://10.0.0.1:8080',
    'cluster.k8s.service_name': 'tekka-headless',
    'cluster.k8s.namespace': 'prod',
    'cluster.k8s.address_type': 'hostname',
    'cluster.k8s.app_name': 'emqx',
    'cluster.k8s.suffix': '',
    'cluster.k8s.service_account_dir': '/sa',
    'cluster.k8s.use_endpoint_slices': 'off'
  }), {
    discovery: 'k8s',
    interval: 5000,
    init: { apiserver: 'http://10.0.0.1:8080', serviceName: 'tekka-headless', namespace: 'prod', addressType: 'hostname', appName: 'emqx', suffix: '', serviceAccountDir: '/sa', useEndpointSlices: false }
  })
  assert.equal(read({ 'cluster.discovery': 'mdns', 'cluster.mdns.service': 'my-svc', 'cluster.mdns.browse_window': '500ms', 'cluster.mdns.family': 'ipv6' }), { discovery: 'mdns', interval: 5000, init: { service: 'my-svc', browseWindow: 500, family: 'ipv6' } })
})

test.run()
