// The tier classifier behind `node scripts/test.mjs --unit`: a test file is
// a system test when its import graph reaches a module that needs root or
// an external server, a unit test otherwise. Tested on a made-up tree of
// compiled files, then on this repository's own.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SYSTEM_MODULES, TierClassifier, importSpecifiers } from '../src/tiers.js'

const tree = mkdtempSync(join(tmpdir(), 'tekka-tiers-'))
test.after(() => { rmSync(tree, { recursive: true, force: true }) })

function file (path: string, text: string): void {
  mkdirSync(dirname(join(tree, path)), { recursive: true })
  writeFileSync(join(tree, path), text)
}

const T = 'packages/foo/build/test'
file('packages/testing/build/src/iptables.js', "import { onExit } from './exit-hooks.js';\nexport const partition = 1;\n")
file('packages/testing/build/src/netns.js', "import * as procs from './procs.js';\n")
file('packages/testing/build/src/etcd-server.js', 'export {};\n')
file('packages/testing/build/src/dnsmasq.js', 'export {};\n')
file('packages/testing/build/src/procs.js', "import { onExit } from './exit-hooks.js';\n")
file('packages/testing/build/src/exit-hooks.js', 'export const onExit = 1;\n')
file('packages/testing/build/src/reexport.js', "export * from './iptables.js';\n")
file(`${T}/support/cluster.js`, "import { spawnInNetns } from '@tekka/testing/netns';\nimport * as procs from '@tekka/testing/procs';\n")
file(`${T}/through-support.test.js`, "import { test } from 'uvu';\nimport { Cluster } from './support/cluster.js';\n")
file(`${T}/plain.test.js`, [
  '/**',
  " * import { partition } from '@tekka/testing/iptables'   (an example in a doc comment)",
  ' */',
  "// import '@tekka/testing/netns'",
  "import { test } from 'uvu';",
  "import { spawnNode } from '@tekka/testing/procs';",
  "import { x } from '../src/x.js';",
  "import { createServer } from 'node:net';",
  "export const note = 'from';",
  "const s = \"import('@tekka/testing/etcd-server')\".length;",
  ''
].join('\n'))
file(`${T}/multiline.test.js`, "import {\n  partition,\n  heal\n} from '../../../testing/build/src/iptables.js';\n")
file(`${T}/dynamic.test.js`, "const { EtcdServer } = await import('@tekka/testing/etcd-server');\n")
file(`${T}/cycle-a.test.js`, "import './cycle-b.js';\n")
file(`${T}/cycle-b.js`, "import { a } from './cycle-a.test.js';\nexport { Dnsmasq } from '@tekka/testing/dnsmasq';\n")
file(`${T}/reexport.test.js`, "export * from './support/cluster.js';\n")
file(`${T}/via-testing.test.js`, "import { partition } from '@tekka/testing/reexport';\n")
file(`${T}/outside-build.test.js`, "import { raw } from '../../src/raw.js';\n")
file('packages/foo/src/raw.js', "import '@tekka/testing/iptables';\n")
file(`${T}/missing-import.test.js`, "import './support/not-built-yet.js';\n")

const c = new TierClassifier({ root: tree })
const tierOf = (name: string): string => c.classify(`${T}/${name}`).tier

test('importSpecifiers: static, bare and re-export statements; not dynamic imports, nor text in comments, strings or regexes', () => {
  assert.equal(importSpecifiers("import { a } from './a.js';\nimport * as b from \"b\";\nimport './c.js';\nexport * from './d.js';\nexport { e } from './e.js';\n"), ['./a.js', 'b', './d.js', './e.js', './c.js'])
  assert.equal(importSpecifiers("import {\n  x,\n  y\n} from './multi.js';\n"), ['./multi.js'])
  assert.equal(importSpecifiers("  const m = await import('./lazy.js');\n"), [])
  assert.equal(importSpecifiers("/**\n * import { p } from './doc.js'\n */\nexport const from = 'x';\nconst s = 'import z from \"./str.js\"';\n"), [])
  assert.equal(importSpecifiers("const t = `\nimport q from './template.js'\n`;\nconst r = /'/;\nimport { real } from './real.js';\n"), ['./real.js'])
})

test('a file whose imports reach no system module is a unit test', () => {
  assert.equal(c.classify(`${T}/plain.test.js`), { tier: 'unit', needs: [] })
})

test('reaching netns through a support module is a system test; the chain says how', () => {
  assert.equal(c.classify(`${T}/through-support.test.js`), {
    tier: 'system',
    needs: [{
      module: 'netns',
      why: SYSTEM_MODULES.netns,
      via: [`${T}/through-support.test.js`, `${T}/support/cluster.js`, 'packages/testing/build/src/netns.js']
    }]
  })
})

test('multi-line imports, re-exports and test-support modules that re-export count; a dynamic import does not', () => {
  assert.is(tierOf('multiline.test.js'), 'system')
  assert.is(tierOf('dynamic.test.js'), 'unit')
  assert.equal(c.classify(`${T}/reexport.test.js`).needs.map((n) => n.module), ['netns'])
  assert.equal(c.classify(`${T}/via-testing.test.js`).needs.map((n) => n.via), [[`${T}/via-testing.test.js`, 'packages/testing/build/src/reexport.js', 'packages/testing/build/src/iptables.js']])
})

test('import cycles end; both files of a cycle see what either reaches', () => {
  assert.equal(c.classify(`${T}/cycle-a.test.js`).needs.map((n) => n.via), [[`${T}/cycle-a.test.js`, `${T}/cycle-b.js`, 'packages/testing/build/src/dnsmasq.js']])
  assert.equal(c.classify(`${T}/cycle-b.js`).needs.map((n) => n.module), ['dnsmasq'])
})

test('only files inside build/ are followed; an import of a file not built yet is a leaf', () => {
  assert.is(tierOf('outside-build.test.js'), 'unit')
  assert.is(tierOf('missing-import.test.js'), 'unit')
})

test('this repository: the testing package\'s own files land where they belong', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
  const real = new TierClassifier({ root })
  const built = join(root, 'packages', 'testing', 'build', 'test')
  const tiers = Object.fromEntries(readdirSync(built).filter((f) => f.endsWith('.test.js')).sort()
    .map((f) => [f, real.classify(join(built, f)).needs.map((n) => n.module).join(',') || 'unit']))
  assert.equal(tiers, {
    'bench-erlang.test.js': 'unit',
    'erlang.test.js': 'erlang',
    'iptables.serial.test.js': 'iptables',
    'netns.test.js': 'netns',
    'ports.test.js': 'unit',
    'procs.test.js': 'unit',
    'scale.test.js': 'unit',
    'system.test.js': 'unit',
    'tiers.test.js': 'unit',
    'wait.test.js': 'unit'
  })
})

test.run()
