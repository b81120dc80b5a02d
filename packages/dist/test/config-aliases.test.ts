// ekka's names of keys (ConfigKeySpec.ekka) in the loader: another name sets
// the key it names, from a HOCON or a `key = value` file, the environment
// and overrides; both names in one source are refused with both places; a
// bad value is reported under the name it was written with; an enum's
// refused values say why; an ekka name that is another key, or the name of
// two keys, is refused when the schema is built; a key another system has
// and this one does not is refused with why; renderEkkaTable lists every
// name and those keys. The plugins' real ekka names are tested in
// packages/tekka/test/ekka-config.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ConfigError, ConfigSchema, configValue, distConfig, loadConfig, parseConfigText, renderEkkaTable,
  type ConfigSection, type LoadConfigOptions
} from '../src/index.js'

const section: ConfigSection = {
  owner: 'test-plugin',
  keys: [
    { key: 'test.mode', type: 'enum', default: 'a', values: ['a', 'b'], refused: { z: 'z is another system\'s; use b' }, doc: 'A choice.', ekka: [{ key: 'test.mode', note: 'ekka 4' }, { key: 'test.strategy', note: 'EMQX 5' }] },
    { key: 'test.seeds', type: 'list', items: 'nodeName', default: [], doc: 'Some names.', ekka: [{ key: 'test.seeds' }] },
    { key: 'test.ttl', type: 'duration', default: 1000, min: 10, doc: 'A time.', ekka: [{ key: 'test.time_to_live' }] }
  ],
  unsupported: { 'test.mcast.*': 'mcast is another system\'s', 'test.role': 'no roles here' },
  read: () => ({})
}
const SECTIONS = [distConfig as ConfigSection, section]
const dir = mkdtempSync(join(tmpdir(), 'tekka-aliases-'))
let n = 0
const file = (text: string, ext = 'conf'): string => {
  const f = join(dir, `t${n++}.${ext}`)
  writeFileSync(f, text)
  return f
}
const load = (o: LoadConfigOptions): ReturnType<typeof loadConfig> => loadConfig({ sections: SECTIONS, env: {}, ...o })

function configError (fn: () => unknown): ConfigError {
  try { fn() } catch (err) {
    assert.instance(err, ConfigError)
    return err as ConfigError
  }
  assert.unreachable('accepted')
  throw new Error('unreachable')
}

test('an ekka name sets the key it names: from a HOCON file, a key = value file, the environment and overrides', () => {
  const hocon = load({ file: file('test {\n  strategy = b\n  seeds = ["n1@h", "n2@h"]\n  time_to_live = 5m\n}\n') })
  assert.is(configValue(hocon, 'test.mode'), 'b')
  assert.equal(configValue(hocon, 'test.seeds'), ['n1@h', 'n2@h'])
  assert.is(configValue(hocon, 'test.ttl'), 300_000)
  const flat = load({ file: file('test.strategy = b\ntest.seeds = n1@h,n2@h\ntest.time_to_live = 15s\n') })
  assert.is(configValue(flat, 'test.mode'), 'b')
  assert.equal(configValue(flat, 'test.seeds'), ['n1@h', 'n2@h'])
  assert.is(configValue(flat, 'test.ttl'), 15_000)
  assert.is(configValue(load({ env: { TEKKA_TEST__STRATEGY: 'b' } }), 'test.mode'), 'b')
  assert.is(configValue(load({ overrides: { 'test.strategy': 'b' } }), 'test.mode'), 'b')
  assert.is(configValue(load({ overrides: { test: { time_to_live: 20 } } }), 'test.ttl'), 20)
  // A later source under the other name wins, as for any key.
  assert.is(configValue(load({ file: file('test.strategy = b\n'), env: { TEKKA_TEST__MODE: 'a' } }), 'test.mode'), 'a')
  // parseConfigText says which name was written.
  const [e] = parseConfigText('test.strategy = b', 'x.conf', new ConfigSchema(SECTIONS))
  assert.equal({ key: e.key, as: e.as }, { key: 'test.mode', as: 'test.strategy' })
})

test('a key and its ekka name in one source are refused, naming both places', () => {
  const f = file('test.mode = a\n# comment\ntest.strategy = b\n')
  const e = configError(() => load({ file: f }))
  assert.is(e.message, `${f}:3: test.strategy and test.mode (line 1) both set test.mode: keep one of them`)
  assert.is(e.key, 'test.mode')
  assert.is(e.source, `${f}:3`)
  const h = file('test { strategy = b }\ntest.mode = a\n')
  assert.match(configError(() => load({ file: h })).message, `${h}:2: test.mode and test.strategy (line 1) both set test.mode`)
  const twice = file('test.mode = a\ntest { mode = b }\n')
  assert.match(configError(() => load({ file: twice })).message, `${twice}:2: test.mode is already set on line 1`)
  const env = configError(() => load({ env: { TEKKA_TEST__MODE: 'a', TEKKA_TEST__STRATEGY: 'b' } }))
  assert.match(env.message, /env TEKKA_TEST__STRATEGY and env TEKKA_TEST__MODE both set test\.mode: keep one of them/)
  const code = configError(() => load({ overrides: { 'test.mode': 'a', 'test.strategy': 'b' } }))
  assert.match(code.message, /override test\.strategy and override both set test\.mode/)
})

test('a bad value is reported under the name written, with the key it names and the place', () => {
  const f = file('test {\n  time_to_live = soon\n}\n')
  const e = configError(() => load({ file: f }))
  assert.match(e.message, `test.time_to_live (tekka's test.ttl): "soon" is not allowed (a duration of at least 10ms`)
  assert.match(e.message, `[${f}:2]`)
  assert.is(e.key, 'test.ttl')
  // An array where a key takes one value.
  assert.match(configError(() => load({ file: file('test.strategy = [a, b]') })).message, /test\.strategy \(tekka's test\.mode\): \["a","b"\] is not allowed \(a \| b\)/)
  // A list item that is not what the list takes.
  assert.match(configError(() => load({ file: file('test.seeds = ["n1@h", "nope"]') })).message, /test\.seeds: "nope" is not allowed \(name@host/)
})

test('an enum\'s refused value says why, under either name; an unknown value still lists what is allowed', () => {
  const f = file('test.strategy = z\n')
  assert.match(configError(() => load({ file: f })).message, `test.strategy (tekka's test.mode): "z" is not supported: z is another system's; use b [${f}:1]`)
  assert.match(configError(() => load({ overrides: { 'test.mode': 'Z' } })).message, /test\.mode: "Z" is not supported: z is another/)
  assert.match(configError(() => load({ overrides: { 'test.mode': 'y' } })).message, /test\.mode: "y" is not allowed \(a \| b\)/)
})

test('an unknown key is refused with its name, file and line, in a HOCON file too', () => {
  const f = file('test {\n  strategy = b\n  mcast.addr = "239.192.0.1"\n}\n')
  const e = configError(() => load({ file: f }))
  assert.match(e.message, `${f}:3: unknown key "test.mcast.addr"`)
  assert.is(e.key, 'test.mcast.addr')
  const g = file('test.strateg = b\n')
  assert.is(configError(() => load({ file: g })).message, `${g}:1: unknown key "test.strateg" (did you mean test.strategy?)`)
})

test('a key another system has and this one does not (ConfigSection.unsupported) is refused with why, a group covering the keys under it', () => {
  const f = file('test {\n  mcast.addr = "239.192.0.1"\n}\n')
  assert.is(configError(() => load({ file: f })).message, `${f}:2: unknown key "test.mcast.addr": mcast is another system's`)
  assert.is(configError(() => load({ env: { TEKKA_TEST__ROLE: 'core' } })).message, 'TEKKA_TEST__ROLE: unknown key "test.role": no roles here')
  assert.is(configError(() => load({ overrides: { 'test.role': 'core' } })).message, 'unknown key "test.role": no roles here')
  // Only the key itself, or what is under a group: not every key that starts alike.
  assert.not.match(configError(() => load({ overrides: { 'test.roles': 'x' } })).message, /no roles here/)
  assert.not.match(configError(() => load({ overrides: { 'test.mcastx': 'x' } })).message, /another system/)
})

test('an ekka name that is another key, or names two keys, is refused when the schema is built', () => {
  const clash: ConfigSection = { owner: 'other', keys: [{ key: 'other.x', type: 'bool', default: true, doc: 'x', ekka: [{ key: 'test.ttl' }] }], read: () => ({}) }
  assert.match(configError(() => new ConfigSchema([section, clash])).message, /test\.ttl, an ekka name of other\.x, is already the key test\.ttl/)
  const twice: ConfigSection = { owner: 'other', keys: [{ key: 'other.x', type: 'bool', default: true, doc: 'x', ekka: [{ key: 'test.strategy' }] }], read: () => ({}) }
  assert.match(configError(() => new ConfigSchema([section, twice])).message, /test\.strategy, an ekka name of other\.x, is already an ekka name of test\.mode/)
})

test('renderEkkaTable: one row per ekka name with the key it sets, its note, and the key\'s refused values; then the unsupported keys', () => {
  assert.is(renderEkkaTable(section.keys, section.unsupported), [
    '| ekka / EMQX key | tekka key | notes |',
    '|---|---|---|',
    '| `test.mode` | `test.mode` | ekka 4. `z` is refused: z is another system\'s; use b |',
    '| `test.strategy` | `test.mode` | EMQX 5. `z` is refused: z is another system\'s; use b |',
    '| `test.seeds` | `test.seeds` | the same key |',
    '| `test.time_to_live` | `test.ttl` | another name of test.ttl |',
    '| `test.mcast.*` | none | refused: mcast is another system\'s |',
    '| `test.role` | none | refused: no roles here |',
    ''
  ].join('\n'))
})

test.run()
