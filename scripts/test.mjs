// Runs every compiled uvu test file in its own Node process (two at a time;
// files named *.serial.test.js run alone afterwards), then prints the total as
// the last line: `N passed, N failed` (`, N skipped` when any were skipped).
//
// Usage: node scripts/test.mjs [--unit] [--jobs N] [--list] [substring ...]
//   substring  only files whose path contains one of them
//   --unit     only the unit tier: files whose imports reach no module that
//              needs root or an external server (packages/testing/src/tiers.ts
//              reads that off each file's import graph, so no list drifts);
//              installs nothing, runs as any user; sets TEKKA_TEST_TIER=unit,
//              which runs the randomized tests at a fixed smaller size (25 of
//              each simulation file's 250 seeds, 2,000 of the 10,000 fuzz
//              frames: @tekka/testing's `sized`)
//   --jobs N   files at a time (default 2, 4 with --unit, or TEKKA_TEST_JOBS)
//   --list     print each selected file's tier (and what it needs); run nothing
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cpus } from 'node:os'
import { ensureSystemDeps } from './system-deps.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FILE_TIMEOUT_MS = Number(process.env.TEKKA_TEST_FILE_TIMEOUT ?? 300_000)
const startedAt = Date.now()
const USAGE = 'usage: node scripts/test.mjs [--unit] [--jobs N] [--list] [substring ...]'

const args = process.argv.slice(2)
const flag = (name) => {
  const i = args.indexOf(name)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}
const option = (name) => {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const v = args[i + 1]
  args.splice(i, 2)
  return v
}
const unitOnly = flag('--unit')
const listOnly = flag('--list')
// Unit files mostly wait (timers, sockets, child processes): four at a time
// on two cores finished the unit tier fastest, with no new failures
// (measured: 2 -> ~160 s, 4 -> 88 s, 6 -> 105 s, the heal simulations being
// the CPU-bound part). The full suite keeps two: its cluster tests time ticks.
const jobs = Number(option('--jobs') ?? process.env.TEKKA_TEST_JOBS ?? Math.max(1, Math.min(unitOnly ? 4 : 2, cpus().length * (unitOnly ? 2 : 1))))
if (!Number.isInteger(jobs) || jobs < 1) {
  console.log(`--jobs (or TEKKA_TEST_JOBS) must be a positive integer; ${USAGE}`)
  process.exit(2)
}
const unknown = args.filter((a) => a.startsWith('--'))
if (unknown.length > 0) {
  console.log(`unknown option ${unknown.join(' ')}; ${USAGE}`)
  process.exit(2)
}

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
const filters = args
const compiled = dirs.flatMap((d) => walk(d)).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
// A compiled test whose source was deleted or moved stays in build/ (tsc -b
// never removes outputs): it would run old code. Only files with a source run.
const sourceOf = (f) => f.replace(`${join('build', 'test')}/`, 'test/').replace(/\.js$/, '.ts')
const stale = compiled.filter((f) => !existsSync(sourceOf(f)))
const selected = compiled.filter((f) => existsSync(sourceOf(f)))
if (stale.length > 0) console.log(`not run, their source is gone (stale build output): ${stale.map((f) => relative(root, f)).join(' ')}`)

/** Each selected file's tier, by the test-support package's classifier (built by bootstrap). */
async function classifyAll () {
  const built = join(root, 'packages', 'testing', 'build', 'src', 'tiers.js')
  if (!existsSync(built)) {
    console.log(`${relative(root, built)} is missing: build first (node scripts/bootstrap.mjs; npm run test:unit does)`)
    process.exit(2)
  }
  const { TierClassifier } = await import(pathToFileURL(built).href)
  const classifier = new TierClassifier({ root })
  return new Map(selected.map((f) => [f, classifier.classify(f)]))
}

const tiers = unitOnly || listOnly ? await classifyAll() : undefined
if (listOnly) {
  for (const f of selected) {
    const t = tiers.get(f)
    console.log(`${t.tier.padEnd(6)} ${relative(root, f)}`)
    for (const n of t.needs) console.log(`         needs ${n.why}: ${n.via.join(' -> ')}`)
  }
  const units = selected.filter((f) => tiers.get(f).tier === 'unit').length
  console.log(`${units} unit, ${selected.length - units} system`)
  process.exit(0)
}
const files = unitOnly ? selected.filter((f) => tiers.get(f).tier === 'unit') : selected
if (unitOnly) {
  const left = selected.length - files.length
  console.log(`unit tier: ${files.length} files; ${left} system file${left === 1 ? '' : 's'} left out (they need root or an external server: --list says which and why)`)
} else {
  await ensureSystemDeps()
}

// Each of the `jobs` slots gets its own band of the ports tests take for
// their nodes (@tekka/testing's freePortRange searches only there), so files
// running side by side never pick overlapping ranges.
const PORTS_LO = 20000
const PORTS_SPAN = 10000
const bandOf = (slot) => {
  const width = Math.floor(PORTS_SPAN / jobs)
  return `${PORTS_LO + slot * width}-${PORTS_LO + (slot + 1) * width - 1}`
}

function runFile (file, slot) {
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
      env: { ...process.env, ...(unitOnly ? { TEKKA_TEST_TIER: 'unit' } : {}), NO_COLOR: '1', FORCE_COLOR: '0', TEKKA_LOG: process.env.TEKKA_LOG ?? 'error', TEKKA_LOG__FORMAT: process.env.TEKKA_LOG__FORMAT ?? 'text', TEKKA_NODE__DATA_DIR: dataDir, TMPDIR: tmp, TEKKA_TEST_PORTS: bandOf(slot) },
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
// Slowest first (by the last run's times, kept per user in the temp dir), so
// a long file does not start last and hold up the end of the run.
const TIMES = join(tmpdir(), 'tekka-test-times.json')
let times = {}
try { times = JSON.parse(readFileSync(TIMES, 'utf8')) } catch {}
const queue = [...parallel].sort((a, b) => (times[b] ?? 0) - (times[a] ?? 0))
await Promise.all(Array.from({ length: jobs }, async (_, slot) => {
  while (queue.length > 0) report(await runFile(queue.shift(), slot))
}))
for (const f of serial) report(await runFile(f, 0))
for (const r of results) times[join(root, r.file)] = r.ms
try { writeFileSync(TIMES, JSON.stringify(times)) } catch {}

const sum = (k) => results.reduce((a, r) => a + r[k], 0)
const skipped = sum('skipped')
if (files.length === 0) console.log('no test files found')
console.log(`${files.length} files, ${jobs} at a time, in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
console.log(`${sum('passed')} passed, ${sum('failed') + (files.length === 0 ? 1 : 0)} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exitCode = sum('failed') > 0 || files.length === 0 ? 1 : 0
