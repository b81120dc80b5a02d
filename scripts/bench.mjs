// Runs every compiled benchmark (packages/*/build/bench/*.js), each in its own
// Node process with --expose-gc, collects the JSON lines they print
// (`{"bench":"local.oneway","value":123,"unit":"msg/s",...}`) and prints a
// table at the end, with the machine it ran on.
// Usage: node scripts/bench.mjs [substring ...] [--out results.json]
//   substrings filter bench files by path; --out also writes every result as JSON.
// Environment is passed through (TEKKA_BENCH_RUNS, TEKKA_BENCH_SCALE, TEKKA_BENCH_ONLY).
//
// When `erl` is on PATH, the same local and remote workloads also run on
// Erlang/OTP (bench/erlang/: tekka_bench.erl, run by run.mjs) right after
// local.js and remote.js, as rows named erlang.<bench>; the table then shows
// each Erlang figure next to tekka's, with tekka / Erlang. Without erl (or
// with TEKKA_BENCH_ERLANG=0) one line says the side-by-side was skipped and why.
import { spawn } from 'node:child_process'
import { readdirSync, existsSync, writeFileSync } from 'node:fs'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem, platform, arch } from 'node:os'
import { ERLANG_SOURCE, GROUPS, openErlangBench, skipLine } from '../bench/erlang/run.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const FILE_TIMEOUT_MS = Number(process.env.TEKKA_BENCH_FILE_TIMEOUT ?? 30 * 60_000)

const args = process.argv.slice(2)
let out
const filters = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i]
  else filters.push(args[i])
}

const files = readdirSync(join(root, 'packages'))
  .map((p) => join(root, 'packages', p, 'build', 'bench'))
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.js')).map((f) => join(d, f)))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))

const cpuList = cpus()
const machine = {
  cpu: cpuList[0]?.model?.trim() ?? 'unknown',
  cores: cpuList.length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${platform()}-${arch()}`
}

/** Collects the result lines of one bench file (or the Erlang program) and echoes each. */
function collector (file) {
  const results = []
  const onLine = (line) => {
    if (line.trim() === '') return
    let r
    try { r = JSON.parse(line) } catch { r = undefined }
    if (r !== undefined && typeof r === 'object' && r !== null && typeof r.bench === 'string') {
      r.file = file
      results.push(r)
      console.log(`  ${r.bench}: ${fmt(r.value)} ${r.unit ?? ''} (min ${fmt(r.min)}, max ${fmt(r.max)})`)
    } else {
      console.log(`  | ${line}`)
    }
  }
  return { results, onLine }
}

function runFile (file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const { results, onLine } = collector(relative(root, file))
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', file], {
      cwd: root,
      env: { ...process.env, TEKKA_LOG: process.env.TEKKA_LOG ?? 'error' },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1) }
    })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, FILE_TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (buf !== '') onLine(buf)
      resolve({ file: relative(root, file), results, code, signal, seconds: (Date.now() - started) / 1000 })
    })
  })
}

function fmt (v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v ?? '')
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`
  if (a >= 100) return v.toFixed(0)
  if (a >= 1) return v.toFixed(2)
  return v.toPrecision(3)
}

console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}`)
if (files.length === 0) {
  console.log('no benchmark files found (build first: tsc -b)')
  process.exitCode = 1
}

// The Erlang side-by-side, for the selected files that have one.
const groupOf = new Map(Object.entries(GROUPS).map(([group, file]) => [join(root, file), group]))
let erlang
if (files.some((f) => groupOf.has(f))) {
  erlang = await openErlangBench({ timeoutMs: FILE_TIMEOUT_MS })
  if (erlang.skipped !== undefined) {
    console.log(skipLine(erlang.skipped))
    machine.erlang = { skipped: erlang.skipped }
  } else if (erlang.failed !== undefined) {
    console.log(`erlang side-by-side failed: ${erlang.failed}`)
    machine.erlang = { failed: erlang.failed }
    process.exitCode = 1
  } else {
    const { otp, erts, schedulers } = erlang.info
    machine.erlang = { otp, erts, schedulers }
    console.log(`erlang: OTP ${otp} (erts ${erts}), ${schedulers} schedulers; side-by-side after ${[...groupOf.keys()].filter((f) => files.includes(f)).map((f) => relative(root, f)).join(' and ')}`)
  }
}

const runs = []
try {
  for (const f of files) {
    console.log(`${relative(root, f)}`)
    const r = await runFile(f)
    if (r.code !== 0) console.log(`  exited with ${r.code ?? r.signal} after ${r.seconds.toFixed(1)} s`)
    runs.push(r)
    const group = groupOf.get(f)
    if (group !== undefined && erlang?.run !== undefined) {
      console.log(`${ERLANG_SOURCE} (${group}, Erlang/OTP ${erlang.info.otp})`)
      const { results, onLine } = collector(ERLANG_SOURCE)
      const e = await erlang.run(group, onLine)
      if (e.code !== 0) console.log(`  exited with ${e.code ?? e.signal ?? 'an error'} after ${e.seconds.toFixed(1)} s`)
      runs.push({ file: ERLANG_SOURCE, group, results, code: e.code, signal: e.signal, seconds: e.seconds })
    }
  }
} finally {
  erlang?.close?.()
}

const rows = runs.flatMap((r) => r.results)
// An Erlang row goes next to the tekka row of the same name; one with no such row keeps a row of its own.
const erlangRows = new Map(rows.filter((r) => r.bench.startsWith('erlang.')).map((r) => [r.bench, r]))
const paired = new Set(rows.filter((r) => erlangRows.has(`erlang.${r.bench}`)).map((r) => `erlang.${r.bench}`))
const withErlang = erlangRows.size > 0
const table = [['bench', 'median', 'unit', 'min', 'max', 'runs', 'baseline', 'ratio', ...(withErlang ? ['erlang', 'tekka/erlang'] : [])]]
for (const r of rows) {
  if (paired.has(r.bench)) continue
  const e = erlangRows.get(`erlang.${r.bench}`)
  table.push([r.bench, fmt(r.value), r.unit ?? '', fmt(r.min), fmt(r.max), String(r.runs ?? ''),
    r.baseline ? `${fmt(r.baseline.value)} (${r.baseline.name})` : '', r.ratio !== undefined ? r.ratio.toFixed(2) : '',
    ...(withErlang ? [e !== undefined ? fmt(e.value) : '', e !== undefined && e.value !== 0 ? `${(r.value / e.value).toFixed(2)}x` : ''] : [])])
}
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
const line = (row) => row.map((cell, c) => (c === 0 || c === 2 || c === 6 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
console.log('')
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}${machine.erlang?.otp !== undefined ? `, Erlang/OTP ${machine.erlang.otp} (${machine.erlang.schedulers} schedulers)` : ''}`)
console.log(line(table[0]))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const row of table.slice(1)) console.log(line(row))
if (withErlang) console.log('tekka/erlang: tekka\'s median over Erlang\'s; above 1 is faster for rates, slower for times, µs and bytes')
if (out !== undefined) writeFileSync(out, JSON.stringify({ machine, date: new Date().toISOString(), results: rows }, null, 2) + '\n')
if (runs.some((r) => r.code !== 0)) process.exitCode = 1
