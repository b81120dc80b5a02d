// The config loader and dist's own keys (node.*, cluster.name, log.*). Where a case
// needs keys of another kind or rules between keys, it uses the small test
// sections below, as a plugin would bring them; the plugins' real keys are
// tested in packages/tekka/test/config.test.ts, which loads every section.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { TekkaError } from '@tekka/actors'
import {
  ConfigError, ConfigSchema, allowedText, configValue, distConfig, envVarName, formatDefault, isNodeName,
  loadConfig, nodeNameProblem, parseConfigText, renderConfigTable, formatDuration, parseDuration,
  type Config, type ConfigKeySpec, type ConfigSection, type LoadConfigOptions
} from '../src/index.js'
import { keyOfEnvVar, suggestKey } from '../src/config/load.js'

const CWD = '/base'
const dir = mkdtempSync(join(tmpdir(), 'tekka-config-'))
let fileNo = 0
function confFile (text: string): string {
  const f = join(dir, `t${fileNo++}.conf`)
  writeFileSync(f, text)
  return f
}

/** A plugin's section, for the loader's mechanics: a key of each kind, a derived default and a rule between keys. */
const testSection: ConfigSection<{ flag: boolean }> = {
  owner: 'test-plugin',
  keys: [
    { key: 'test.flag', type: 'bool', default: true, doc: 'A switch.' },
    { key: 'test.mode', type: 'enum', default: 'a', values: ['a', 'b'], doc: 'A choice.' },
    { key: 'test.port', type: 'int', default: 53, min: 1, max: 65535, doc: 'A port.' },
    { key: 'test.seeds', type: 'list', items: 'string', default: [], defaultText: 'empty', doc: 'Some names.' },
    { key: 'test.servers', type: 'list', items: 'url', minItems: 1, default: ['http://127.0.0.1:2379'], doc: 'Some URLs.' },
    { key: 'test.lease', type: 'duration', default: 15_000, min: 10, max: 86_400_000, off: true, doc: 'A lease, or off.' },
    { key: 'test.lease_check', type: 'duration', default: undefined, min: 10, max: 172_800_000, defaultText: '2 × test.lease', doc: 'Derived from test.lease.' },
    { key: 'test.group.name', type: 'string', default: 'default', pattern: /^[a-z]+$/, patternText: 'lowercase letters', doc: 'A nested key.' },
    { key: 'test.ssl.keyfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'Goes with test.ssl.certfile.' },
    { key: 'test.ssl.certfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'Goes with test.ssl.keyfile.' },
    { key: 'test.ssl.cacertfile', type: 'path', default: undefined, defaultText: 'unset', doc: 'Must be readable when test.mode = b.' }
  ],
  derive (v) {
    if (v.get('test.lease_check') === undefined) {
      const lease = v.get('test.lease') as number
      v.set('test.lease_check', lease > 0 ? 2 * lease : 15_000)
    }
  },
  check (v) {
    if ((v.get('test.ssl.keyfile') === undefined) !== (v.get('test.ssl.certfile') === undefined)) {
      v.fail(v.get('test.ssl.keyfile') === undefined ? 'test.ssl.keyfile' : 'test.ssl.certfile', 'test.ssl.keyfile and test.ssl.certfile go together')
    }
    if (v.get('test.mode') === 'b') v.requireReadable('test.ssl.cacertfile')
  },
  read: (config) => ({ flag: configValue(config, 'test.flag') as boolean })
}

const SECTIONS = [distConfig as ConfigSection, testSection as ConfigSection]
const load = (o: LoadConfigOptions = {}): Config => loadConfig({ env: {}, cwd: CWD, ...o })
/** With the test section too. */
const loadT = (o: LoadConfigOptions = {}): Config => loadConfig({ env: {}, cwd: CWD, sections: SECTIONS, ...o })
const tv = (c: Config, key: string): unknown => configValue(c, key)

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

// ---------------------------------------------------------------- dist's keys, one by one

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
  'node.max_pending_handshakes': [['256', 256], ['1', 1], [10_000, 10_000]],
  'node.max_frame_size': [['1024', 1024], ['1048576', 1048576], [2147483647, 2147483647]],
  'node.data_dir': [['./data', p('./data')], ['/var/lib/tekka', '/var/lib/tekka'], ['rel/dir', p('rel/dir')]],
  'node.ssl.enable': [['off', false], [false, false]],
  'node.ssl.keyfile': [['/etc/tekka/key.pem', '/etc/tekka/key.pem'], ['key.pem', p('key.pem')]],
  'node.ssl.certfile': [['/etc/tekka/cert.pem', '/etc/tekka/cert.pem']],
  'node.ssl.cacertfile': [['/etc/tekka/ca.pem', '/etc/tekka/ca.pem']],
  'cluster.name': [['tekka', 'tekka'], ['my-cluster.1_x', 'my-cluster.1_x']],
  'log.level': [['warn', 'warn'], ['info,heal=debug', 'info,heal=debug'], ['warn, tekka:dist:handshake=info ,lock=error', 'warn, tekka:dist:handshake=info ,lock=error'], ['heal=debug', 'heal=debug']],
  'log.format': [['auto', 'auto'], ['text', 'text'], ['json', 'json']],
  'log.rate_limit': [['5', 5], ['0', 0], [100, 100]],
  'log.rate_interval': [['10s', 10_000], ['100ms', 100], ['1h', 3_600_000]]
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
  'node.max_pending_handshakes': ['0', '-5', 'lots', '1000001', 2.5],
  'node.max_frame_size': ['1023', '1MB', '2147483648', 'lots'],
  'node.data_dir': ['', 42, 'a\0b'],
  'node.ssl.enable': ['enabled', 'y'],
  'node.ssl.keyfile': ['', 1],
  'node.ssl.certfile': [''],
  'node.ssl.cacertfile': [''],
  'cluster.name': ['has space', '', 'x'.repeat(65), 'ümlaut'],
  'log.level': ['loud', 'warn,heal=loud', 'warn,=debug', 'heal debug', 'warn,dist::x=info', ',', 42],
  'log.format': ['pretty', 'JSONL', ''],
  'log.rate_limit': ['-1', 'many', '1000001'],
  'log.rate_interval': ['10ms', '2h', 'x']
}

test('every key of dist\'s section has good and bad examples in these tables (a new key needs tests)', () => {
  const keys = distConfig.keys.map((s) => s.key).sort()
  assert.equal(Object.keys(GOOD).sort(), keys)
  assert.equal(Object.keys(BAD).sort(), keys)
})

test('dist\'s section: node.*, cluster.name and log.*, ekka\'s names, every row documented and typed consistently, frozen', () => {
  assert.is(distConfig.owner, '@tekka/dist')
  const seen = new Set<string>()
  for (const s of distConfig.keys) {
    assert.not.ok(seen.has(s.key), s.key)
    seen.add(s.key)
    assert.ok(s.key === 'cluster.name' || /^(node|log)\.[a-z0-9_.]+$/.test(s.key), `${s.key} is dist's`)
    assert.ok(s.doc.length > 10, `${s.key} has a doc string`)
    if (s.default === undefined) assert.ok(s.defaultText !== undefined, `${s.key}: an unset default is explained`)
  }
  for (const k of ['node.name', 'node.cookie', 'node.dist_base_port', 'node.tick_time', 'cluster.name', 'node.data_dir']) {
    assert.ok(seen.has(k), `DESIGN.md key ${k} is in dist's section`)
  }
  assert.ok(Object.isFrozen(distConfig) && Object.isFrozen(distConfig.keys) && Object.isFrozen(distConfig.keys[0]))
})

test('defaults: every key of dist\'s section has its documented default', () => {
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
    'node.max_pending_handshakes': 256,
    'node.max_frame_size': 64 * 1024 * 1024,
    'node.data_dir': '/base/data',
    'node.ssl.enable': false,
    'node.ssl.keyfile': undefined,
    'node.ssl.certfile': undefined,
    'node.ssl.cacertfile': undefined,
    'cluster.name': 'tekka',
    'log.level': undefined,
    'log.format': 'auto',
    'log.rate_limit': 5,
    'log.rate_interval': 10_000
  }
  assert.equal(Object.keys(expected).sort(), distConfig.keys.map((s) => s.key).sort())
  for (const [k, v] of Object.entries(expected)) assert.equal(configValue(c, k), v, k)
  // Typed access, as the node reads it.
  const settings = distConfig.read(c)
  assert.is(settings.node.tick_time, 8000)
  assert.is(settings.cluster.name, 'tekka')
  assert.ok('cookie' in (c.node as object), 'unset keys are present as undefined')
})

/** Every leaf key of a loaded config. */
function leaves (o: Record<string, unknown>, prefix = '', out: string[] = []): string[] {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) leaves(v as Record<string, unknown>, key, out)
    else out.push(key)
  }
  return out
}

test('the loaded config has exactly the keys of the sections it was loaded with, nested', () => {
  assert.equal(leaves(load()).sort(), distConfig.keys.map((s) => s.key).sort())
  assert.equal(leaves(loadT()).sort(), SECTIONS.flatMap((s) => s.keys.map((k) => k.key)).sort())
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

for (const spec of distConfig.keys) {
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
        assert.ok(e.message.includes(`(${allowedText(spec)})`), label)
        if (spec.secret === true) {
          assert.not.ok(typeof input === 'string' && input.length > 2 && e.message.includes(input), `${label}: a secret is not echoed`)
        } else if (typeof input === 'string') {
          assert.ok(e.message.includes(JSON.stringify(input.trim())) || e.message.includes(JSON.stringify(input)), `${label}: names the value`)
        }
      }
    }
  })
}

test('the error message matches the documented shape', () => {
  const e = configError(() => loadT({ overrides: { 'test.flag': 'maybe' } }))
  assert.is(e.message, 'test.flag: "maybe" is not allowed (on | off | true | false) [override]')
  const d = configError(() => load({ env: { TEKKA_NODE__TICK_TIME: '50ms' } }))
  assert.is(d.message, 'node.tick_time: "50ms" is not allowed (a duration from 100ms to 1h (500ms, 8s, 1m, 1h, 1h30m; a plain integer is milliseconds)) [env TEKKA_NODE__TICK_TIME]')
  assert.is(d.source, 'env TEKKA_NODE__TICK_TIME')
  const s = configError(() => loadT({ overrides: { 'test.seeds': 'n1@h,,n2' } }))
  assert.match(s.message, /^test\.seeds: "" is not allowed \(a non-empty string/)
  const c = configError(() => load({ overrides: { 'node.cookie': 'bad\ncookie' } }))
  assert.not.match(c.message, 'cookie"')
  assert.match(c.message, 'hidden value of 10 characters')
})

// ---------------------------------------------------------------- sections

test('sections: a key claimed by two sections is refused, naming both owners', () => {
  const rival: ConfigSection = { owner: 'rival', keys: [{ key: 'cluster.name', type: 'string', default: 'x', doc: 'Claims dist\'s key.' }], read: () => ({}) }
  const e = configError(() => new ConfigSchema([distConfig, rival]))
  assert.is(e.message, 'config key cluster.name is claimed by both @tekka/dist and rival')
  assert.is(e.key, 'cluster.name')
  const schema = new ConfigSchema(SECTIONS)
  assert.is(schema.owner('test.flag'), 'test-plugin')
  assert.is(schema.owner('node.name'), '@tekka/dist')
  assert.equal(schema.keys().map((k) => k.key), SECTIONS.flatMap((s) => s.keys.map((k) => k.key)))
})

test('sections: the keys of a section not loaded are unknown; a section\'s read gives its typed settings', () => {
  const e = configError(() => load({ overrides: { 'test.flag': false } }))
  assert.is(e.message, 'unknown key "test.flag"')
  assert.is(testSection.read(loadT({ overrides: { 'test.flag': 'off' } })).flag, false)
})

// ---------------------------------------------------------------- precedence

test('precedence: defaults < file < env < overrides, key by key', () => {
  const f = confFile([
    'node.name = f@127.0.0.1',
    'node.tick_time = 1s',
    'test.flag = off',
    'test.lease = 20s'
  ].join('\n'))
  const env = { TEKKA_NODE__TICK_TIME: '2s', TEKKA_TEST__FLAG: 'on' }
  const c = loadT({ file: f, env, overrides: { 'test.flag': false } })
  assert.is(tv(c, 'node.name'), 'f@127.0.0.1') // file only
  assert.is(tv(c, 'node.tick_time'), 2000) // env beats file
  assert.is(tv(c, 'test.flag'), false) // override beats env and file
  assert.is(tv(c, 'test.lease'), 20_000) // file beats default
  assert.is(tv(c, 'cluster.name'), 'tekka') // default
  const onlyFile = loadT({ file: f })
  assert.is(tv(onlyFile, 'node.tick_time'), 1000)
  assert.is(tv(onlyFile, 'test.flag'), false)
})

test('env: TEKKA_<KEY with . as __>, other TEKKA_ variables (TEKKA_COOKIE, TEKKA_LOG) are not config keys', () => {
  assert.is(envVarName('cluster.static.seeds'), 'TEKKA_CLUSTER__STATIC__SEEDS')
  assert.is(envVarName('node.dist_base_port'), 'TEKKA_NODE__DIST_BASE_PORT')
  assert.is(keyOfEnvVar('TEKKA_CLUSTER__ETCD__SSL__KEYFILE'), 'cluster.etcd.ssl.keyfile')
  assert.is(keyOfEnvVar('TEKKA_COOKIE'), undefined)
  assert.is(keyOfEnvVar('HOME'), undefined)
  const c = loadT({ env: { TEKKA_COOKIE: 'x', TEKKA_LOG: 'debug', PATH: '/bin', TEKKA_NODE__COOKIE: 'from-env', TEKKA_TEST__SEEDS: 'a@h,b@h' } })
  assert.is(tv(c, 'node.cookie'), 'from-env')
  assert.equal(tv(c, 'test.seeds'), ['a@h', 'b@h'])
})

test('env: defaults to process.env', () => {
  process.env.TEKKA_CLUSTER__NAME = 'from-process-env'
  try {
    assert.is(tv(loadConfig({ cwd: CWD }), 'cluster.name'), 'from-process-env')
  } finally {
    delete process.env.TEKKA_CLUSTER__NAME
  }
})

test('overrides: dotted keys or nested objects; undefined is ignored (a flag not given), null is refused', () => {
  const c = loadT({ overrides: { node: { name: 'n@10.0.0.1', ssl: { enable: false } }, 'test.port': 5353, 'node.hidden': undefined, test: { group: { name: 'nested' } } } })
  assert.is(tv(c, 'node.name'), 'n@10.0.0.1')
  assert.is(tv(c, 'test.port'), 5353)
  assert.is(tv(c, 'test.group.name'), 'nested')
  assert.is(tv(c, 'node.hidden'), false)
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
  const e3 = configError(() => loadT({ overrides: { 'test.flg': true } }))
  assert.is(e3.message, 'unknown key "test.flg" (did you mean test.flag?)')
  const e4 = configError(() => load({ overrides: { node: { colour: 'red' } } }))
  assert.is(e4.message, 'unknown key "node.colour"')
})

test('suggestions: typos, the right leaf in the wrong group, a group instead of a key', () => {
  const keys = SECTIONS.flatMap((s) => s.keys.map((k) => k.key))
  assert.is(suggestKey('node.tick_tim', keys), 'node.tick_time')
  assert.is(suggestKey('cluster.tick_time', keys), 'node.tick_time')
  assert.is(suggestKey('node.ssl', keys), 'node.ssl.enable')
  assert.is(suggestKey('test.seed', keys), 'test.seeds')
  assert.is(suggestKey('completely.different.thing', keys), undefined)
})

// ---------------------------------------------------------------- file syntax

test('file syntax: comments (# and ;), blank lines, CRLF, BOM, = in values, # inside a value, quoted values', () => {
  const f = confFile('\uFEFF# tekka.conf\r\n; ini-style comment\r\n\r\n   node.cookie = a=b#c  \r\n  # indented comment\r\ncluster.name=x\r\nnode.data_dir = " spaced dir "\r\n')
  const c = load({ file: f })
  assert.is(tv(c, 'node.cookie'), 'a=b#c')
  assert.is(tv(load({ file: confFile('node.cookie = " with blanks\\u0020"') }), 'node.cookie'), ' with blanks ')
  assert.is(tv(c, 'cluster.name'), 'x')
  assert.is(tv(c, 'node.data_dir'), resolve(CWD, ' spaced dir '))
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
  const entries = parseConfigText('# c\nnode.name = n1@h\n\ntest.flag = maybe\n', 'my.conf', new ConfigSchema(SECTIONS))
  assert.equal(entries, [
    { key: 'node.name', value: 'n1@h', quoted: false, file: 'my.conf', line: 2 },
    { key: 'test.flag', value: 'maybe', quoted: false, file: 'my.conf', line: 4 }
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
  assert.is(tv(c, 'cluster.name'), 'rel')
  assert.is(tv(c, 'node.data_dir'), join(dir, 'data'))
})

// ---------------------------------------------------------------- derived and cross-key rules

test('node.listen_host: the node\'s IP, 127.0.0.1 for localhost, else 0.0.0.0; an explicit one wins', () => {
  assert.is(tv(load({ overrides: { 'node.name': 'n1@127.0.0.2' } }), 'node.listen_host'), '127.0.0.2')
  assert.is(tv(load({ overrides: { 'node.name': 'n1@::1' } }), 'node.listen_host'), '::1')
  assert.is(tv(load({ overrides: { 'node.name': 'n1@host.example.com' } }), 'node.listen_host'), '0.0.0.0')
  assert.is(tv(load({ overrides: { 'node.name': 'n1@localhost' } }), 'node.listen_host'), '127.0.0.1')
  assert.is(tv(load({ overrides: { 'node.name': 'n1@127.0.0.2', 'node.listen_host': '0.0.0.0' } }), 'node.listen_host'), '0.0.0.0')
})

test('derived defaults: node.send_timeout is 4 × node.tick_time unless set; a section\'s derive sets its own', () => {
  assert.is(tv(load({ overrides: { 'node.tick_time': '2s' } }), 'node.send_timeout'), 8000, 'send_timeout follows tick_time')
  assert.is(tv(load({ overrides: { 'node.tick_time': '2s', 'node.send_timeout': '1m' } }), 'node.send_timeout'), 60_000)
  assert.is(tv(loadT({ overrides: { 'test.lease': '10s' } }), 'test.lease_check'), 20_000)
  assert.is(tv(loadT({ overrides: { 'test.lease': 'off' } }), 'test.lease_check'), 15_000)
  assert.is(tv(loadT({ overrides: { 'test.lease': '10s', 'test.lease_check': '1s' } }), 'test.lease_check'), 1000)
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
  assert.equal((ok.node as { ssl: unknown }).ssl, { enable: true, keyfile: key, certfile: cert, cacertfile: ca })
  // Only checked when TLS is on: off with dangling paths is fine.
  assert.is(tv(load({ overrides: { 'node.ssl.keyfile': '/nope' } }), 'node.ssl.keyfile'), '/nope')
  chmodSync(ca, 0o644)
})

test('a section\'s check: keys that go together, and files that must be readable, reported on the key to change', () => {
  const e = configError(() => loadT({ overrides: { 'test.ssl.keyfile': '/k.pem' } }))
  assert.is(e.message, 'test.ssl.certfile: test.ssl.keyfile and test.ssl.certfile go together')
  const e2 = configError(() => loadT({ overrides: { 'test.mode': 'b', 'test.ssl.cacertfile': '/nope/ca.pem' } }))
  assert.match(e2.message, /^test\.ssl\.cacertfile: cannot read "\/nope\/ca\.pem" \(ENOENT\)/)
  assert.is(tv(loadT({ overrides: { 'test.ssl.cacertfile': '/nope/ca.pem' } }), 'test.ssl.cacertfile'), '/nope/ca.pem')
})

// ---------------------------------------------------------------- result

test('the result is deeply frozen', () => {
  const c = loadT({ overrides: { 'test.seeds': 'a@h' } })
  const node = c.node as { name: string, ssl: object }
  assert.ok(Object.isFrozen(c) && Object.isFrozen(node) && Object.isFrozen(node.ssl) && Object.isFrozen(tv(c, 'test.seeds')))
  assert.throws(() => { node.name = 'x@y' }, TypeError)
  assert.throws(() => { (tv(c, 'test.seeds') as string[]).push('b@h') }, TypeError)
})

test('configValue: by dotted key; keys of no loaded section refused', () => {
  const c = loadT()
  assert.is(configValue(c, 'test.group.name'), 'default')
  assert.is(configValue(c, 'node.ssl.enable'), false)
  const e = configError(() => configValue(c, 'test.group.nope'))
  assert.is(e.key, 'test.group.nope')
  configError(() => configValue(load(), 'test.flag'))
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
  const keys = SECTIONS.flatMap((s) => s.keys)
  const md = renderConfigTable(keys)
  const rows = md.trim().split('\n')
  assert.is(rows.length, keys.length + 2)
  assert.match(md, '| `test.flag` | `TEKKA_TEST__FLAG` | bool | on | on \\| off \\| true \\| false |')
  assert.match(md, '| `node.tick_time` | `TEKKA_NODE__TICK_TIME` | duration | 8s |')
  assert.match(md, '| `node.send_timeout` | `TEKKA_NODE__SEND_TIMEOUT` | duration | 4 × node.tick_time |')
  assert.match(md, '| `test.seeds` | `TEKKA_TEST__SEEDS` | list of string | empty |')
  assert.match(md, '| `test.lease_check` | `TEKKA_TEST__LEASE_CHECK` | duration | 2 × test.lease |')
  assert.is(formatDefault(keys.find((s) => s.key === 'test.servers') as ConfigKeySpec), 'http://127.0.0.1:2379')
  for (const s of keys) assert.match(md, `| \`${s.key}\` |`)
})

test.run()
