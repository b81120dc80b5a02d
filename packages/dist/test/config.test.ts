import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { TekkaError } from '@tekka/actors'
import {
  ConfigError, allowedText, configSchema, configValue, envVarName, formatDefault, isNodeName, keyOfEnvVar,
  loadConfig, nodeNameProblem, parseConfigText, renderConfigTable, suggestKey,
  type ConfigKeySpec, type TekkaConfig
} from '../src/config.js'
import { formatDuration, parseDuration } from '../src/duration.js'

const CWD = '/base'
const dir = mkdtempSync(join(tmpdir(), 'tekka-config-'))
let fileNo = 0
function confFile (text: string): string {
  const f = join(dir, `t${fileNo++}.conf`)
  writeFileSync(f, text)
  return f
}
const load = (o: Parameters<typeof loadConfig>[0] = {}): TekkaConfig => loadConfig({ env: {}, cwd: CWD, ...o })

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
const p = (x: string): string => resolve(CWD, x)

const GOOD: Record<string, Good> = {
  'node.name': [['n1@127.0.0.1', 'n1@127.0.0.1'], ['my_node-2@host.example.com', 'my_node-2@host.example.com'], ['a@::1', 'a@::1'], ['x@localhost', 'x@localhost'], [' n1@h ', 'n1@h']],
  'node.cookie': [['secret', 'secret'], ['a b#c=d', 'a b#c=d'], ['X'.repeat(255), 'X'.repeat(255)]],
  'node.dist_base_port': [['4370', 4370], ['1', 1], ['65535', 65535], [5000, 5000]],
  'node.listen_port': [['0', 0], ['4371', 4371], [65535, 65535]],
  'node.listen_host': [['127.0.0.2', '127.0.0.2'], ['::1', '::1'], ['0.0.0.0', '0.0.0.0']],
  'node.hidden': [['on', true], ['off', false], ['true', true], ['false', false], ['ON', true], [true, true], [false, false]],
  'node.tick_time': [['8s', 8000], ['500ms', 500], ['1m', 60_000], ['2000', 2000], ['1m30s', 90_000], [1500, 1500], ['1h', 3_600_000]],
  'node.send_timeout': [['30s', 30_000], ['off', 0], ['0', 0], ['100ms', 100]],
  'node.handshake_timeout': [['5s', 5000], ['10ms', 10]],
  'node.max_frame_size': [['1024', 1024], ['1048576', 1048576], [2147483647, 2147483647]],
  'node.data_dir': [['./data', p('./data')], ['/var/lib/tekka', '/var/lib/tekka'], ['rel/dir', p('rel/dir')]],
  'node.ssl.enable': [['off', false], [false, false]],
  'node.ssl.keyfile': [['/etc/tekka/key.pem', '/etc/tekka/key.pem'], ['key.pem', p('key.pem')]],
  'node.ssl.certfile': [['/etc/tekka/cert.pem', '/etc/tekka/cert.pem']],
  'node.ssl.cacertfile': [['/etc/tekka/ca.pem', '/etc/tekka/ca.pem']],
  'cluster.name': [['tekka', 'tekka'], ['my-cluster.1_x', 'my-cluster.1_x']],
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
  'lock.lease': [['15s', 15_000], ['10ms', 10]],
  'lock.lease_check': [['30s', 30_000], ['1m', 60_000]]
}

/** Bad inputs for every key: each must be refused with an error naming the key. */
const BAD: Record<string, unknown[]> = {
  'node.name': ['node1', '@host', 'n1@', 'n 1@h', 'n1@bad_host', 'n1@-x', 'n.1@h', '', 1, 'n1@h@h'],
  'node.cookie': ['', 'a\tb', 'a\u0007b', 'X'.repeat(256), 42],
  'node.dist_base_port': ['0', '65536', 'abc', '1.5', '', -1, 4370.5, '4370 '.repeat(2), true],
  'node.listen_port': ['-1', '65536', 'x'],
  'node.listen_host': ['localhost', '256.1.1.1', '', '127.0.0.1:4370'],
  'node.hidden': ['yes', '1', 'maybe', '', 1, 'null'],
  'node.tick_time': ['8', '50ms', '2h', '8 s', '-1s', '1.5s', '1s1m', 'fast', '', -5, 1.5, '8S0'],
  'node.send_timeout': ['50ms', 'never', '-1s', '25h'],
  'node.handshake_timeout': ['5ms', '11m', 'x'],
  'node.max_frame_size': ['1023', '1MB', '2147483648', 'lots'],
  'node.data_dir': ['', 42, 'a\0b'],
  'node.ssl.enable': ['enabled', 'y'],
  'node.ssl.keyfile': ['', 1],
  'node.ssl.certfile': [''],
  'node.ssl.cacertfile': [''],
  'cluster.name': ['has space', '', 'x'.repeat(65), 'ümlaut'],
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
  'lock.lease': ['5ms', 'x'],
  'lock.lease_check': ['1ms', 'y']
}

test('every schema key has good and bad examples in these tables (a new key needs tests)', () => {
  const keys = configSchema.map((s) => s.key).sort()
  assert.equal(Object.keys(GOOD).sort(), keys)
  assert.equal(Object.keys(BAD).sort(), keys)
})

test('the schema: unique keys, ekka\'s names, every row documented and typed consistently', () => {
  const seen = new Set<string>()
  for (const s of configSchema) {
    assert.not.ok(seen.has(s.key), s.key)
    seen.add(s.key)
    assert.match(s.key, /^(node|cluster|lock)\.[a-z0-9_.]+$/)
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
    assert.ok(seen.has(k), `DESIGN.md key ${k} is in the schema`)
  }
  assert.ok(Object.isFrozen(configSchema) && Object.isFrozen(configSchema[0]))
})

test('defaults: every key has its documented default', () => {
  const c = load()
  const expected: Record<string, unknown> = {
    'node.name': 'tekka@127.0.0.1',
    'node.cookie': undefined,
    'node.dist_base_port': 4370,
    'node.listen_port': undefined,
    'node.listen_host': '127.0.0.1',
    'node.hidden': false,
    'node.tick_time': 8000,
    'node.send_timeout': 32_000,
    'node.handshake_timeout': 5000,
    'node.max_frame_size': 64 * 1024 * 1024,
    'node.data_dir': '/base/data',
    'node.ssl.enable': false,
    'node.ssl.keyfile': undefined,
    'node.ssl.certfile': undefined,
    'node.ssl.cacertfile': undefined,
    'cluster.name': 'tekka',
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
    'lock.lease': 15_000,
    'lock.lease_check': 30_000
  }
  assert.equal(Object.keys(expected).sort(), configSchema.map((s) => s.key).sort())
  for (const [k, v] of Object.entries(expected)) assert.equal(configValue(c, k), v, k)
  // Typed access, as the kernel reads it.
  assert.is(c.node.tick_time, 8000)
  assert.equal(c.cluster.static.seeds, [])
  assert.ok('cookie' in c.node, 'unset keys are present as undefined')
})

test('the loaded config has exactly the schema\'s keys, nested', () => {
  const leaves: string[] = []
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix === '' ? k : `${prefix}.${k}`
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) walk(v as Record<string, unknown>, key)
      else leaves.push(key)
    }
  }
  walk(load() as unknown as Record<string, unknown>, '')
  assert.equal(leaves.sort(), configSchema.map((s) => s.key).sort())
})

function fromEverySource (spec: ConfigKeySpec, input: unknown, extra: Record<string, unknown>, check: (c: TekkaConfig, how: string) => void): void {
  if (typeof input === 'string') {
    const fileText = Object.entries({ ...extra, [spec.key]: input }).map(([k, v]) => `${k} = ${String(v)}`).join('\n')
    check(load({ file: confFile(fileText) }), 'file')
    const env: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries({ ...extra, [spec.key]: input })) env[envVarName(k)] = String(v)
    check(load({ env }), 'env')
  }
  check(load({ overrides: { ...extra, [spec.key]: input } }), 'override')
}

for (const spec of configSchema) {
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
  const d = configError(() => load({ env: { TEKKA_NODE__TICK_TIME: '50ms' } }))
  assert.is(d.message, 'node.tick_time: "50ms" is not allowed (a duration from 100ms to 1h (500ms, 8s, 1m, 1h, 1h30m; a plain integer is milliseconds)) [env TEKKA_NODE__TICK_TIME]')
  assert.is(d.source, 'env TEKKA_NODE__TICK_TIME')
  const s = configError(() => load({ overrides: { 'cluster.static.seeds': 'n1@h,,n2' } }))
  assert.match(s.message, /^cluster\.static\.seeds: "" is not allowed \(a non-empty string/)
  const c = configError(() => load({ overrides: { 'node.cookie': 'bad\ncookie' } }))
  assert.not.match(c.message, 'cookie"')
  assert.match(c.message, 'hidden value of 10 characters')
})

// ---------------------------------------------------------------- precedence

test('precedence: defaults < file < env < overrides, key by key', () => {
  const f = confFile([
    'node.name = f@127.0.0.1',
    'node.tick_time = 1s',
    'cluster.autoheal = off',
    'lock.lease = 20s'
  ].join('\n'))
  const env = { TEKKA_NODE__TICK_TIME: '2s', TEKKA_CLUSTER__AUTOHEAL: 'on' }
  const c = load({ file: f, env, overrides: { 'cluster.autoheal': false } })
  assert.is(c.node.name, 'f@127.0.0.1') // file only
  assert.is(c.node.tick_time, 2000) // env beats file
  assert.is(c.cluster.autoheal, false) // override beats env and file
  assert.is(c.lock.lease, 20_000) // file beats default
  assert.is(c.cluster.name, 'tekka') // default
  const onlyFile = load({ file: f })
  assert.is(onlyFile.node.tick_time, 1000)
  assert.is(onlyFile.cluster.autoheal, false)
})

test('env: TEKKA_<KEY with . as __>, other TEKKA_ variables (TEKKA_COOKIE, TEKKA_LOG) are not config keys', () => {
  assert.is(envVarName('cluster.static.seeds'), 'TEKKA_CLUSTER__STATIC__SEEDS')
  assert.is(envVarName('node.dist_base_port'), 'TEKKA_NODE__DIST_BASE_PORT')
  assert.is(keyOfEnvVar('TEKKA_CLUSTER__ETCD__SSL__KEYFILE'), 'cluster.etcd.ssl.keyfile')
  assert.is(keyOfEnvVar('TEKKA_COOKIE'), undefined)
  assert.is(keyOfEnvVar('HOME'), undefined)
  const c = load({ env: { TEKKA_COOKIE: 'x', TEKKA_LOG: 'debug', PATH: '/bin', TEKKA_NODE__COOKIE: 'from-env', TEKKA_CLUSTER__STATIC__SEEDS: 'a@h,b@h' } })
  assert.is(c.node.cookie, 'from-env')
  assert.equal(c.cluster.static.seeds, ['a@h', 'b@h'])
})

test('env: defaults to process.env', () => {
  process.env.TEKKA_CLUSTER__NAME = 'from-process-env'
  try {
    assert.is(loadConfig({ cwd: CWD }).cluster.name, 'from-process-env')
  } finally {
    delete process.env.TEKKA_CLUSTER__NAME
  }
})

test('overrides: dotted keys or nested objects; undefined is ignored (a flag not given), null is refused', () => {
  const c = load({ overrides: { node: { name: 'n@10.0.0.1', ssl: { enable: false } }, 'cluster.dns.port': 5353, 'node.hidden': undefined } })
  assert.is(c.node.name, 'n@10.0.0.1')
  assert.is(c.cluster.dns.port, 5353)
  assert.is(c.node.hidden, false)
  const e = configError(() => load({ overrides: { 'node.hidden': null } }))
  assert.is(e.message, 'node.hidden: null is not allowed (on | off | true | false) [override]')
})

// ---------------------------------------------------------------- unknown keys

test('unknown key: refused from the file (with its line), env and overrides, with a suggestion when close', () => {
  const f = confFile('node.name = a@h\n\nnode.nmae = b@h\n')
  const e1 = configError(() => load({ file: f }))
  assert.is(e1.message, `${f}:3: unknown key "node.nmae" (did you mean node.name?)`)
  assert.is(e1.key, 'node.nmae')
  assert.is(e1.source, `${f}:3`)
  const e2 = configError(() => load({ env: { TEKKA_NODE__TICKTIME: '8s' } }))
  assert.is(e2.message, 'TEKKA_NODE__TICKTIME: unknown key "node.ticktime" (did you mean TEKKA_NODE__TICK_TIME?)')
  const e3 = configError(() => load({ overrides: { 'cluster.autoheel': true } }))
  assert.is(e3.message, 'unknown key "cluster.autoheel" (did you mean cluster.autoheal?)')
  const e4 = configError(() => load({ overrides: { node: { colour: 'red' } } }))
  assert.is(e4.message, 'unknown key "node.colour"')
})

test('suggestions: typos, the right leaf in the wrong group, a group instead of a key', () => {
  assert.is(suggestKey('node.tick_tim'), 'node.tick_time')
  assert.is(suggestKey('cluster.tick_time'), 'node.tick_time')
  assert.is(suggestKey('node.ssl'), 'node.ssl.enable')
  assert.is(suggestKey('cluster.static.seed'), 'cluster.static.seeds')
  assert.is(suggestKey('completely.different.thing'), undefined)
})

// ---------------------------------------------------------------- file syntax

test('file syntax: comments (# and ;), blank lines, CRLF, BOM, = in values, # inside a value, quoted values', () => {
  const f = confFile('\uFEFF# tekka.conf\r\n; ini-style comment\r\n\r\n   node.cookie = a=b#c  \r\n  # indented comment\r\ncluster.name=x\r\nnode.data_dir = " spaced dir "\r\n')
  const c = load({ file: f })
  assert.is(c.node.cookie, 'a=b#c')
  assert.is(load({ file: confFile('node.cookie = " with blanks\\u0020"') }).node.cookie, ' with blanks ')
  assert.is(c.cluster.name, 'x')
  assert.is(c.node.data_dir, resolve(CWD, ' spaced dir '))
})

test('file syntax errors name the file and the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['node.name = a@h\njust some words\n', /:2: expected "key = value", got "just some words"$/],
    ['\n\n = value\n', /:3: missing key before "="$/],
    ['node.cookie = "unterminated\n', /:1: bad quoted value "unterminated/],
    ['node.name = a@h\nnode.cookie = x\nnode.name = b@h\n', /:3: node\.name is already set on line 1$/]
  ]
  for (const [text, re] of cases) {
    const f = confFile(text)
    const e = configError(() => load({ file: f }))
    assert.ok(e.message.startsWith(f + ':'), e.message)
    assert.match(e.message, re)
  }
})

test('parseConfigText: entries with file and line; keys checked, values left to loadConfig', () => {
  const entries = parseConfigText('# c\nnode.name = n1@h\n\ncluster.autoheal = maybe\n', 'my.conf')
  assert.equal(entries, [
    { key: 'node.name', value: 'n1@h', quoted: false, file: 'my.conf', line: 2 },
    { key: 'cluster.autoheal', value: 'maybe', quoted: false, file: 'my.conf', line: 4 }
  ])
  const e = configError(() => parseConfigText('x = 1', 'my.conf'))
  assert.is(e.message, 'my.conf:1: unknown key "x"')
})

test('a missing config file is refused, naming it', () => {
  const e = configError(() => load({ file: join(dir, 'nope.conf') }))
  assert.is(e.message, `cannot read config file ${join(dir, 'nope.conf')}: ENOENT`)
})

test('a relative config file is read from cwd', () => {
  const f = confFile('cluster.name = rel\n')
  const c = loadConfig({ env: {}, cwd: dir, file: f.slice(dir.length + 1) })
  assert.is(c.cluster.name, 'rel')
  assert.is(c.node.data_dir, join(dir, 'data'))
})

// ---------------------------------------------------------------- derived and cross-key rules

test('node.listen_host: the node\'s IP, 127.0.0.1 for localhost, else 0.0.0.0; an explicit one wins', () => {
  assert.is(load({ overrides: { 'node.name': 'n1@127.0.0.2' } }).node.listen_host, '127.0.0.2')
  assert.is(load({ overrides: { 'node.name': 'n1@::1' } }).node.listen_host, '::1')
  assert.is(load({ overrides: { 'node.name': 'n1@host.example.com' } }).node.listen_host, '0.0.0.0')
  assert.is(load({ overrides: { 'node.name': 'n1@localhost' } }).node.listen_host, '127.0.0.1')
  assert.is(load({ overrides: { 'node.name': 'n1@127.0.0.2', 'node.listen_host': '0.0.0.0' } }).node.listen_host, '0.0.0.0')
})

test('lock.lease_check: 2 × lock.lease unless set', () => {
  assert.is(load({ overrides: { 'lock.lease': '10s' } }).lock.lease_check, 20_000)
  assert.is(load({ overrides: { 'lock.lease': '10s', 'lock.lease_check': '1s' } }).lock.lease_check, 1000)
  assert.is(load({ overrides: { 'node.tick_time': '2s' } }).node.send_timeout, 8000, 'send_timeout follows tick_time')
  assert.is(load({ overrides: { 'node.tick_time': '2s', 'node.send_timeout': '1m' } }).node.send_timeout, 60_000)
})

test('node.ssl.enable = on needs readable keyfile, certfile and cacertfile', () => {
  const e = configError(() => load({ overrides: { 'node.ssl.enable': 'on', 'node.ssl.keyfile': '/k' } }))
  assert.ok(e.message.startsWith('node.ssl.'), e.message)
  const missing = configError(() => load({ overrides: { 'node.ssl.enable': true } }))
  assert.is(missing.message, 'node.ssl.keyfile: required when node.ssl.enable = on')
  assert.is(missing.key, 'node.ssl.keyfile')
  const key = join(dir, 'key.pem'); const cert = join(dir, 'cert.pem'); const ca = join(dir, 'ca.pem')
  for (const f of [key, cert, ca]) writeFileSync(f, 'pem')
  const absent = configError(() => load({ overrides: { 'node.ssl.enable': true, 'node.ssl.keyfile': key, 'node.ssl.certfile': cert, 'node.ssl.cacertfile': join(dir, 'none.pem') } }))
  assert.is(absent.message, `node.ssl.cacertfile: cannot read "${join(dir, 'none.pem')}" (ENOENT) [override]`)
  const ok = load({ overrides: { 'node.ssl.enable': true, 'node.ssl.keyfile': key, 'node.ssl.certfile': cert, 'node.ssl.cacertfile': ca } })
  assert.equal(ok.node.ssl, { enable: true, keyfile: key, certfile: cert, cacertfile: ca })
  // Only checked when TLS is on: off with dangling paths is fine.
  assert.is(load({ overrides: { 'node.ssl.keyfile': '/nope' } }).node.ssl.keyfile, '/nope')
  chmodSync(ca, 0o644)
})

test('cluster.etcd.ssl: keyfile and certfile go together; files must be readable when discovery = etcd', () => {
  const e = configError(() => load({ overrides: { 'cluster.etcd.ssl.keyfile': '/k.pem' } }))
  assert.is(e.message, 'cluster.etcd.ssl.certfile: cluster.etcd.ssl.keyfile and cluster.etcd.ssl.certfile go together')
  const e2 = configError(() => load({ overrides: { 'cluster.discovery': 'etcd', 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }))
  assert.match(e2.message, /^cluster\.etcd\.ssl\.cacertfile: cannot read "\/nope\/ca\.pem" \(ENOENT\)/)
  assert.is(load({ overrides: { 'cluster.etcd.ssl.cacertfile': '/nope/ca.pem' } }).cluster.etcd.ssl.cacertfile, '/nope/ca.pem')
})

// ---------------------------------------------------------------- result

test('the result is deeply frozen', () => {
  const c = load({ overrides: { 'cluster.static.seeds': 'a@h' } })
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.node) && Object.isFrozen(c.node.ssl) && Object.isFrozen(c.cluster.static.seeds))
  assert.throws(() => { (c.node as { name: string }).name = 'x@y' }, TypeError)
  assert.throws(() => { (c.cluster.static.seeds as string[]).push('b@h') }, TypeError)
})

test('configValue: by dotted key; unknown keys refused', () => {
  const c = load()
  assert.is(configValue(c, 'cluster.k8s.namespace'), 'default')
  configError(() => configValue(c, 'cluster.k8s.nope'))
})

test('node names: name@host, name [A-Za-z0-9_-]+, host a hostname or IP', () => {
  for (const n of ['a@b', 'node1@127.0.0.1', 'A_b-9@host-1.example.org', 'n@::1', 'n@fe80::1', 'n@h.'] as const) assert.ok(isNodeName(n), n)
  for (const n of ['a', 'a@', '@b', 'a.b@h', 'a b@h', 'a@b_c', 'a@-b', 'a@b..c', 'ä@h', `${'a'.repeat(250)}@hosts`]) assert.not.ok(isNodeName(n), n)
  assert.is(nodeNameProblem('a@b_c'), 'host "b_c" is neither a hostname nor an IP address')
})

// ---------------------------------------------------------------- durations

test('durations: units, chains, plain integers are milliseconds; fractions, negatives, bad order refused', () => {
  const good: Array<[string, number]> = [['0', 0], ['500ms', 500], ['8s', 8000], ['1m', 60_000], ['1h', 3_600_000], ['2d', 172_800_000], ['1h30m', 5_400_000], ['1m500ms', 60_500], ['8000', 8000], [' 8S ', 8000]]
  for (const [t, ms] of good) assert.is(parseDuration(t), ms, t)
  for (const t of ['', '1.5s', '-1s', '1s1m', '1s1s', '8 s', 's', '1w', '1e3', '99999999999999999999']) assert.is(parseDuration(t), undefined, t)
  assert.is(formatDuration(8000), '8s')
  assert.is(formatDuration(90_000), '1m30s')
  assert.is(formatDuration(0), '0ms')
  assert.is(formatDuration(1), '1ms')
  for (const ms of [1, 999, 1000, 61_001, 86_400_000 + 1]) assert.is(parseDuration(formatDuration(ms)), ms)
})

// ---------------------------------------------------------------- docs

test('renderConfigTable: one row per key with its environment variable, default and allowed values', () => {
  const md = renderConfigTable()
  const rows = md.trim().split('\n')
  assert.is(rows.length, configSchema.length + 2)
  assert.match(md, '| `cluster.autoheal` | `TEKKA_CLUSTER__AUTOHEAL` | bool | on | on \\| off \\| true \\| false |')
  assert.match(md, '| `node.tick_time` | `TEKKA_NODE__TICK_TIME` | duration | 8s |')
  assert.match(md, '| `cluster.static.seeds` | `TEKKA_CLUSTER__STATIC__SEEDS` | list of string |')
  assert.match(md, '| `lock.lease_check` | `TEKKA_LOCK__LEASE_CHECK` | duration | 2 × lock.lease |')
  assert.is(formatDefault(configSchema.find((s) => s.key === 'cluster.etcd.server') as ConfigKeySpec), 'http://127.0.0.1:2379')
  for (const s of configSchema) assert.match(md, `| \`${s.key}\` |`)
})

test.run()
