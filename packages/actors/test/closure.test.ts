/**
 * The runtime dependency closure of every workspace package is JavaScript
 * only: no native addon, no WebAssembly, no native build, no install script;
 * and msgpackr's optional native accelerator (msgpackr-extract) is not
 * installed (the root package.json overrides it to "-").
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { walkClosure, workspaceDirs } from './support/closure-walk.js'

function findRoot (): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); dirname(d) !== d; d = dirname(d)) {
    if (existsSync(join(d, 'pnpm-workspace.yaml'))) return d
  }
  throw new Error('no pnpm-workspace.yaml above this test')
}

const root = findRoot()

test('the workspace closure has no .node, .wasm, binding.gyp or install script', () => {
  const r = walkClosure(root)
  const ws = r.packages.filter((p) => p.workspace)
  const ext = r.packages.filter((p) => !p.workspace)
  console.log(`closure: walked ${r.packages.length} packages (${ws.length} workspace, ${ext.length} installed), ${r.files} files`)
  console.log(`  workspace: ${ws.map((p) => p.name).join(', ')}`)
  console.log(`  installed: ${ext.map((p) => `${p.name}@${p.version}`).sort().join(', ')}`)
  if (r.missingOptional.length > 0) console.log(`  optional, not installed: ${r.missingOptional.join(', ')}`)
  assert.equal(r.problems, [], r.problems.join('\n'))
  assert.is(ws.length, workspaceDirs(root).length, 'every workspace package was a root of the walk')
  // The walk must have reached the declared third-party dependencies, or it checked nothing.
  for (const d of workspaceDirs(root)) {
    const pj = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
    for (const [name, spec] of Object.entries(pj.dependencies ?? {})) {
      if (spec.startsWith('workspace:')) continue
      assert.ok(ext.some((p) => p.name === name), `${name} (a dependency of ${d}) is in the walked closure`)
    }
  }
})

test('msgpackr-extract is absent: overridden to "-", not installed, not in the closure', () => {
  const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { pnpm?: { overrides?: Record<string, string> } }
  assert.is(pj.pnpm?.overrides?.['msgpackr-extract'], '-')
  const r = walkClosure(root)
  assert.not.ok(r.packages.some((p) => p.name.includes('msgpackr-extract')), 'not in the closure')
  const store = join(root, 'node_modules', '.pnpm')
  const installed = existsSync(store) ? readdirSync(store).filter((e) => e.includes('msgpackr-extract')) : []
  assert.equal(installed, [], 'no msgpackr-extract in node_modules/.pnpm')
  if (r.packages.some((p) => p.name === 'msgpackr')) {
    assert.ok(r.missingOptional.some((m) => m.startsWith('msgpackr-extract ')), 'the walk saw msgpackr ask for it, and found it absent')
  }
})

/** A fake pnpm workspace with every kind of problem, to show the walk finds them. */
function fakeWorkspace (): string {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-closure-'))
  const write = (p: string, content: unknown): void => {
    mkdirSync(dirname(join(dir, p)), { recursive: true })
    writeFileSync(join(dir, p), typeof content === 'string' ? content : JSON.stringify(content))
  }
  const link = (target: string, at: string): void => {
    mkdirSync(dirname(join(dir, at)), { recursive: true })
    symlinkSync(target, join(dir, at))
  }
  write('package.json', { name: 'root', private: true })
  write('pnpm-workspace.yaml', 'packages:\n  - packages/*\n')
  write('packages/app/package.json', { name: 'app', version: '1.0.0', dependencies: { good: '^1', bad: '^1', lib: 'workspace:*' }, optionalDependencies: { gone: '^1' } })
  write('packages/lib/package.json', { name: 'lib', version: '1.0.0', dependencies: { good: '^1' } })
  write('packages/lib/index.js', '')
  const store = 'node_modules/.pnpm'
  write(`${store}/good@1.0.0/node_modules/good/package.json`, { name: 'good', version: '1.0.0', dependencies: { inner: '^1' } })
  write(`${store}/inner@1.0.0/node_modules/inner/package.json`, { name: 'inner', version: '1.0.0' })
  write(`${store}/inner@1.0.0/node_modules/inner/lib/fast.wasm`, '')
  write(`${store}/bad@1.0.0/node_modules/bad/package.json`, { name: 'bad', version: '1.0.0', scripts: { postinstall: 'node-gyp rebuild' }, dependencies: { missing: '^1' } })
  write(`${store}/bad@1.0.0/node_modules/bad/binding.gyp`, '{}')
  write(`${store}/bad@1.0.0/node_modules/bad/build/Release/addon.node`, '')
  // pnpm's layout: a package's dependencies are symlinks beside it in its store folder
  link('../../inner@1.0.0/node_modules/inner', `${store}/good@1.0.0/node_modules/inner`)
  link('../../../node_modules/.pnpm/good@1.0.0/node_modules/good', 'packages/app/node_modules/good')
  link('../../../node_modules/.pnpm/bad@1.0.0/node_modules/bad', 'packages/app/node_modules/bad')
  link('../../../node_modules/.pnpm/good@1.0.0/node_modules/good', 'packages/lib/node_modules/good')
  return dir
}

test('the walk itself: finds native files, wasm, gyp and install scripts through pnpm symlinks', () => {
  const dir = fakeWorkspace()
  try {
    const r = walkClosure(dir)
    assert.equal(r.packages.map((p) => p.name).sort(), ['app', 'bad', 'good', 'inner', 'lib'])
    const text = r.problems.join('\n')
    assert.match(text, /inner@1\.0\.0: WebAssembly lib\/fast\.wasm/)
    assert.match(text, /bad@1\.0\.0: has an install-time script "postinstall"/)
    assert.match(text, /bad@1\.0\.0: native build file binding\.gyp/)
    assert.match(text, /bad@1\.0\.0: native addon build\/Release\/addon\.node/)
    assert.match(text, /bad@1\.0\.0: dependency missing@\^1 is not installed/)
    assert.is(r.problems.length, 5, text)
    assert.equal(r.missingOptional, ['gone (optional dependency of app@1.0.0)'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
