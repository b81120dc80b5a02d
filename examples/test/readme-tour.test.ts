/**
 * The root README's five-minute tour "runs as is": every ```ts snippet of
 * that section is type-checked against the packages (the compiler options
 * of the workspace, strict) and run with node, as a reader would paste it
 * into a file of this repository. A snippet that makes its own runtime or
 * node (`createRuntime(`, `startNode(`) starts a program; one that does not
 * continues the program before it (the tour's Join and Lock use the nodes
 * of Two nodes). Each program must exit 0 by itself, print nothing on
 * stderr, and print the plain values its comments promise (`// 15`,
 * `// HELLO`); comments with a placeholder (`…`, `<`) or a value that
 * changes from run to run (a token, a pid), and prose (`// ... and`), are
 * not compared.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import * as procs from '@tekka/testing/procs'
import { withTimeout } from '@tekka/testing/wait'

const README = fileURLToPath(new URL('../../../README.md', import.meta.url))
// Inside examples/, so '@tekka/*' resolve as they do for the examples.
const DIR = fileURLToPath(new URL('../readme-tour/', import.meta.url))

/** The ```ts blocks of the README's section `heading`. */
function snippets (text: string, heading: string): string[] {
  const from = text.indexOf(`\n## ${heading}\n`)
  assert.ok(from >= 0, `README.md has a section "## ${heading}"`)
  const next = text.indexOf('\n## ', from + 1)
  const section = text.slice(from, next < 0 ? undefined : next)
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
}

/** Snippets joined into programs: one that makes no runtime or node continues the one before. */
function programs (blocks: string[]): string[] {
  const out: string[] = []
  for (const b of blocks) {
    if (out.length === 0 || /\b(createRuntime|startNode)\(/.test(b)) out.push(b)
    else out[out.length - 1] += `\n${b}`
  }
  return out
}

/** The values `console.log(...) // value` promises, where they are the same on every run. */
function promised (program: string): string[] {
  const out: string[] = []
  for (const m of program.matchAll(/console\.log\(.*\)\s*\/\/\s*(.+)$/gm)) {
    const v = m[1].trim()
    if (/[…<]|token|\(/.test(v) || v.startsWith('...')) continue
    out.push(v)
  }
  return out
}

const blocks = snippets(readFileSync(README, 'utf8'), 'A five-minute tour')
const progs = programs(blocks)

test('the tour has its eight snippets, as six programs', () => {
  assert.is(blocks.length, 8)
  assert.is(progs.length, 6)
})

test('every tour program type-checks (strict) against the packages', () => {
  rmSync(DIR, { recursive: true, force: true })
  mkdirSync(DIR, { recursive: true })
  const files = progs.map((p, i) => { const f = join(DIR, `tour-${i + 1}.ts`); writeFileSync(f, p); return f })
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: DIR
  })
  const diagnostics = ts.getPreEmitDiagnostics(program)
  const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => DIR, getNewLine: () => '\n' })
  assert.is(text, '', `the tour does not type-check:\n${text}`)
  const emitted = program.emit()
  assert.is(emitted.emitSkipped, false)
})

for (let i = 0; i < progs.length; i++) {
  test(`tour program ${i + 1} runs: exit 0, nothing on stderr, the values its comments promise`, async () => {
    const p = procs.spawnNode({ entry: join(DIR, `tour-${i + 1}.js`), args: [], name: `tour-${i + 1}`, env: { FORCE_COLOR: '0', NO_COLOR: '1' } })
    // 'close' comes once its output streams ended: all of its lines are in.
    const closed = new Promise((resolve) => p.child.once('close', resolve))
    const exit = await withTimeout(p.exited, 60_000, `tour program ${i + 1} to exit by itself`)
    await withTimeout(closed, 10_000, `tour program ${i + 1}'s output to end`)
    const stdout = p.output('stdout')
    const stderr = p.output('stderr')
    assert.is(exit.code, 0, `exit code\n${stdout}\n${stderr}`)
    assert.is(stderr, '', 'nothing on stderr')
    for (const v of promised(progs[i])) assert.ok(stdout.includes(v), `prints ${v}\n--- stdout:\n${stdout}`)
  })
}

test.run()
