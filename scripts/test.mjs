// Runs every compiled uvu test file in its own Node process (two at a time;
// files named *.serial.test.js run alone afterwards), then prints the total as
// the last line: `N passed, N failed` (`, N skipped` when any were skipped).
// Usage: node scripts/test.mjs [substring ...]   (only files whose path contains one)
import { spawn } from 'node:child_process'
import { readdirSync, statSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { ensureSystemDeps } from './system-deps.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FILE_TIMEOUT_MS = Number(process.env.TEKKA_TEST_FILE_TIMEOUT ?? 300_000)

function walk (dir, out = []) {
  if (!existsSync(dir)) return out
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (e.endsWith('.test.js')) out.push(p)
  }
  return out
}

const dirs = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'build', 'test')),
  join(root, 'examples', 'build', 'test')
]
const filters = process.argv.slice(2)
const files = dirs.flatMap((d) => walk(d)).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))

await ensureSystemDeps()

function runFile (file) {
  return new Promise((resolve) => {
    const started = Date.now()
    // Each file gets a temporary directory of its own (TMPDIR: whatever it
    // makes with mkdtemp lands there) and its nodes a data dir inside it;
    // both are removed afterwards, so a file that forgets to clean up leaves
    // nothing behind.
    const tmp = mkdtempSync(join(tmpdir(), 'tekka-test-'))
    const dataDir = join(tmp, 'data')
    mkdirSync(dataDir)
    const child = spawn(process.execPath, ['--expose-gc', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TEKKA_LOG: process.env.TEKKA_LOG ?? 'error', TEKKA_NODE__DATA_DIR: dataDir, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
    }, FILE_TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // Leave nothing behind: node processes a test started in its group, then its files.
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
      rmSync(tmp, { recursive: true, force: true })
      const num = (label) => {
        const m = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(out)
        return m ? Number(m[1]) : undefined
      }
      const total = num('Total'); const passed = num('Passed'); const skipped = num('Skipped') ?? 0
      let r
      if (total === undefined || passed === undefined) {
        r = { passed: 0, failed: 1, skipped: 0, note: timedOut ? `timed out after ${FILE_TIMEOUT_MS} ms` : `no uvu summary (exit ${code ?? signal})` }
      } else {
        // uvu's Total leaves skipped tests out.
        const failed = total - passed + (code !== 0 && total === passed ? 1 : 0)
        r = { passed, failed, skipped, note: code !== 0 ? `exit ${code ?? signal}` : '' }
      }
      r.file = relative(root, file); r.out = out; r.ms = Date.now() - started
      resolve(r)
    })
  })
}

const serial = files.filter((f) => f.includes('.serial.'))
const parallel = files.filter((f) => !f.includes('.serial.'))
const results = []
const report = (r) => {
  results.push(r)
  const status = r.failed > 0 ? 'FAIL' : 'ok  '
  console.log(`${status} ${r.file}  ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}  (${(r.ms / 1000).toFixed(1)} s) ${r.note}`)
  if (r.failed > 0 || process.env.TEKKA_TEST_VERBOSE) console.log(r.out.split('\n').map((l) => '    ' + l).join('\n'))
}
const queue = [...parallel]
const width = Math.max(1, Math.min(2, cpus().length))
await Promise.all(Array.from({ length: width }, async () => {
  while (queue.length > 0) report(await runFile(queue.shift()))
}))
for (const f of serial) report(await runFile(f))

const sum = (k) => results.reduce((a, r) => a + r[k], 0)
const skipped = sum('skipped')
if (files.length === 0) console.log('no test files found')
console.log(`${sum('passed')} passed, ${sum('failed') + (files.length === 0 ? 1 : 0)} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = sum('failed') > 0 || files.length === 0 ? 1 : 0
