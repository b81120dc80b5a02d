// The HOCON subset of emqx.conf (config/hocon.ts): what EMQX users write
// (objects in braces, dotted and quoted keys, `=` or `:`, arrays over one or
// several lines, quoted and unquoted values, `#` and `//` comments, commas
// between fields, a file in braces) read into dotted leaves with the line of
// each key; what it does not accept (unbalanced braces, substitutions,
// include, +=, triple quotes, nested arrays, junk after a value) refused with
// the file and line; and which files are HOCON rather than tekka's
// `key = value` lines.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, isHoconText, parseHocon, type HoconEntry } from '../src/index.js'

const leaves = (text: string): Record<string, unknown> => Object.fromEntries(parseHocon(text, 'emqx.conf').map((e) => [e.key, e.value]))

function refused (text: string, line: number, why: RegExp): ConfigError {
  try {
    parseHocon(text, 'emqx.conf')
  } catch (err) {
    assert.instance(err, ConfigError, `${JSON.stringify(text)}: a ConfigError`)
    const e = err as ConfigError
    assert.ok(e.message.startsWith(`emqx.conf:${line}: `), `${JSON.stringify(text)}: at line ${line}, got: ${e.message}`)
    assert.match(e.message, why)
    assert.is(e.source, `emqx.conf:${line}`)
    return e
  }
  assert.unreachable(`${JSON.stringify(text)} was accepted`)
  throw new Error('unreachable')
}

test('an emqx.conf fragment: nested objects, dotted keys, = and :, arrays, quoted and unquoted values, comments; each leaf with its key\'s line', () => {
  const text = [
    '## EMQX 5 style',
    'node {',
    '  name = "emqx@127.0.0.1"      # quoted',
    '  cookie: emqxsecretcookie',
    '}',
    '',
    'cluster {',
    '  discovery_strategy = static  // a comment',
    '  static {',
    '    seeds = ["emqx1@127.0.0.1", "emqx2@127.0.0.1"]',
    '  }',
    '  dns.record_type = srv',
    '  etcd = { server = "http://127.0.0.1:2379", node_ttl = 1m }',
    '  k8s {apiserver = http://10.0.0.1:8080, namespace: default}',
    '}',
    'cluster.autoclean = 5m'
  ].join('\n')
  const entries = parseHocon(text, 'emqx.conf')
  const at = (key: string): HoconEntry | undefined => entries.find((e) => e.key === key)
  assert.equal(leaves(text), {
    'node.name': 'emqx@127.0.0.1',
    'node.cookie': 'emqxsecretcookie',
    'cluster.discovery_strategy': 'static',
    'cluster.static.seeds': ['emqx1@127.0.0.1', 'emqx2@127.0.0.1'],
    'cluster.dns.record_type': 'srv',
    'cluster.etcd.server': 'http://127.0.0.1:2379',
    'cluster.etcd.node_ttl': '1m',
    'cluster.k8s.apiserver': 'http://10.0.0.1:8080',
    'cluster.k8s.namespace': 'default',
    'cluster.autoclean': '5m'
  })
  assert.is(at('node.name')?.line, 3)
  assert.is(at('node.name')?.quoted, true)
  assert.is(at('node.cookie')?.quoted, false)
  assert.is(at('cluster.static.seeds')?.line, 10)
  assert.is(at('cluster.k8s.namespace')?.line, 14)
  assert.is(at('cluster.autoclean')?.line, 16)
})

test('arrays over several lines with trailing commas and comments; empty arrays and objects; a file in braces; quoted keys and escapes', () => {
  assert.equal(leaves('seeds = [\n  "a@h",  # first\n  b@h\n  "c@h",\n]\nempty = []\nnothing {}\n'), { seeds: ['a@h', 'b@h', 'c@h'], empty: [] })
  assert.equal(leaves('{\n  "node".name = "n1@h"\n  "a b" = " x\\ty "\n}\n'), { 'node.name': 'n1@h', 'a b': ' x\ty ' })
  assert.equal(leaves('a = 1, b = two words , c = true'), { a: '1', b: 'two words', c: 'true' })
  assert.equal(leaves(''), {})
  assert.equal(leaves('# only comments\n// and more\n'), {})
})

test('a key set twice is left to the loader (it refuses it); parsing keeps both with their lines', () => {
  const e = parseHocon('cluster.name = a\ncluster { name = b }', 'x.conf')
  assert.equal(e.map((x) => [x.key, x.line]), [['cluster.name', 1], ['cluster.name', 2]])
})

test('bad input is refused with the file and line and what was wrong', () => {
  refused('node {\n  name = "n1@h"\n', 3, /missing "}" for the object opened on line 1/)
  refused('a = 1\n}\n', 2, /"}" without an object to close/)
  refused('a = [1, 2\n', 2, /missing "]" for the array of a opened on line 1/)
  refused('a {\n  b = ${c}\n}', 2, /b: substitutions \(\$\{\.\.\.\}\) are not supported/)
  refused('\ninclude "other.conf"\n', 2, /include is not supported/)
  refused('a.b += x', 1, /a\.b \+=: appending to arrays is not supported/)
  refused('a = """x"""', 1, /triple-quoted strings are not supported/)
  refused('a = [[1]]', 1, /arrays of arrays or objects are not supported/)
  refused('a = [{b = 1}]', 1, /arrays of arrays or objects are not supported/)
  refused('a = "x" y', 1, /a: unexpected "y" after a quoted value/)
  refused('\n\na = "unterminated\n', 3, /unterminated quoted string/)
  refused('a = "bad \\q escape"', 1, /bad quoted string/)
  refused('a\n', 1, /expected "=", ":" or "\{" after the key a, got end of line/)
  refused('a =\n', 1, /a: missing value/)
  refused('a = 1 }', 1, /"}" without an object to close/)
  refused('x { a = 1 } b', 1, /unexpected "b" after a value/)
  refused('= 1', 1, /expected a key, got "="/)
  refused('a. = 1', 1, /expected a key after "a\.", got " "/)
  refused('a = x, , b = 1', 1, /a field is missing before it/)
  refused('a = [1,,2]', 1, /an array item is missing before ","/)
  refused('a = [1 }', 1, /unexpected "}" in an array/)
  refused('a = ["x" "y"]', 1, /a: unexpected "\\"" after a quoted value/)
  refused('a = b[1]', 1, /unexpected "\[" inside an unquoted value \(quote the value\)/)
  refused('{ a = 1 }\nb = 2', 2, /unexpected "b" after the end of the top-level object/)
})

test('isHoconText: .hocon and .json names, braces, arrays and ":" make a file HOCON; tekka.conf lines and comments do not', () => {
  assert.ok(isHoconText('a = 1', 'emqx.hocon'))
  assert.ok(isHoconText('{}', 'x.JSON'))
  assert.ok(isHoconText('node {\n name = x\n}'))
  assert.ok(isHoconText('cluster.static.seeds = ["a@h"]'))
  assert.ok(isHoconText('node.name: "n1@h"'))
  assert.ok(isHoconText('node = { name = x }'))
  assert.ok(isHoconText('node { name = x }'))
  assert.not.ok(isHoconText('# node {\nnode.name = n1@h\ncluster.static.seeds = a@h,b@h\n', 'tekka.conf'))
  assert.not.ok(isHoconText('node.cookie = a:b{c\n// cluster {\n; x {\n'))
  assert.not.ok(isHoconText(''))
})

test.run()
