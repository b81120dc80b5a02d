// The Erlang/OTP side-by-side of `npm run bench` (bench/erlang/run.mjs and
// tekka_bench.erl, called by scripts/bench.mjs): without erl on PATH one line
// says it was skipped and the bench carries on; with erl, the Erlang
// program's lines parse as the harness's, and the table puts each Erlang
// figure next to tekka's. The runs use tiny counts (TEKKA_BENCH_SCALE).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findCommand } from '../src/system.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const BENCH = join(ROOT, 'scripts', 'bench.mjs')
const ERLANG_RUN = join(ROOT, 'bench', 'erlang', 'run.mjs')
const HAVE_ERL = findCommand('erl') !== undefined && findCommand('erlc') !== undefined

/** Every row the Erlang program prints with every workload selected, in order, with its unit. */
const ERLANG_ROWS: ReadonlyArray<[string, string]> = [
  ['erlang.local.oneway', 'msg/s'],
  ['erlang.local.pingpong', 'round trips/s'],
  ['erlang.local.spawn', 's to spawn'],
  ['erlang.local.spawn.stop', 's to stop'],
  ['erlang.local.spawn.heap', 'bytes/process'],
  ['erlang.local.call', 'calls/s'],
  ['erlang.remote.oneway', 'msg/s'],
  ['erlang.remote.pingpong', 'round trips/s'],
  ['erlang.remote.pingpong.p50', 'µs'],
  ['erlang.remote.pingpong.p99', 'µs']
]

function run (script: string, args: string[], env: Record<string, string | undefined>): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, TEKKA_BENCH_ERLANG: undefined, ...env },
    encoding: 'utf8',
    timeout: 180_000
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('without erl on PATH: one line says the side-by-side was skipped and why, and the bench carries on', () => {
  const empty = mkdtempSync(join(tmpdir(), 'tekka-no-erl-'))
  try {
    // TEKKA_BENCH_ONLY matching nothing: local.js runs and measures nothing.
    const r = run(BENCH, ['local'], { PATH: empty, TEKKA_BENCH_ONLY: 'no.such.bench' })
    assert.is(r.status, 0, r.stdout + r.stderr)
    const lines = r.stdout.split('\n')
    const skips = lines.filter((l) => l.startsWith('erlang side-by-side skipped'))
    assert.equal(skips, ['erlang side-by-side skipped: erl is not on PATH; install Erlang/OTP to compare (Debian: apt-get install erlang-base)'])
    assert.ok(lines.indexOf(skips[0]) < lines.indexOf('packages/actors/build/bench/local.js'), 'said before the benches run, which still do')
    assert.not.match(r.stdout, 'tekka_bench.erl')
    assert.not.match(r.stdout, 'tekka/erlang')
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
  const off = run(ERLANG_RUN, [], { TEKKA_BENCH_ERLANG: '0' })
  assert.is(off.status, 0)
  assert.is(off.stdout, 'erlang side-by-side skipped: TEKKA_BENCH_ERLANG=0\n')
})

const withErl = HAVE_ERL ? test : test.skip

withErl('the Erlang program prints one harness line per result, every workload there, median within min and max', () => {
  const r = run(ERLANG_RUN, ['local', 'remote'], { TEKKA_BENCH_SCALE: '0.001', TEKKA_BENCH_RUNS: '2', TEKKA_BENCH_ONLY: '' })
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.split('\n').filter((l) => l !== '')
  const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(rows.map((x) => [x.bench, x.unit]), ERLANG_ROWS)
  for (const x of rows) {
    assert.equal(Object.keys(x).slice(0, 6), ['bench', 'value', 'unit', 'min', 'max', 'runs'], String(x.bench))
    const [value, min, max] = [x.value, x.min, x.max] as number[]
    for (const v of [value, min, max]) assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${String(x.bench)}: ${String(v)}`)
    assert.ok(min <= value && value <= max, `${String(x.bench)}: ${min} <= ${value} <= ${max}`)
    assert.is(x.runs, 2)
    assert.type(x.otp, 'string')
  }
  const counts = Object.fromEntries(rows.map((x) => [x.bench, x.messages ?? x.roundTrips ?? x.processes ?? x.calls]))
  // The tekka benches' counts at this scale: 1M messages, 200k round trips, 1M processes, 200k calls; remote 1M and 20k.
  assert.equal([counts['erlang.local.oneway'], counts['erlang.local.pingpong'], counts['erlang.local.spawn'], counts['erlang.local.call'],
    counts['erlang.remote.oneway'], counts['erlang.remote.pingpong']], [1000, 200, 1000, 200, 1000, 20])
})

withErl('scripts/bench.mjs puts the Erlang figure and tekka / Erlang next to tekka\'s row, and in --out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tekka-bench-out-'))
  try {
    const out = join(dir, 'results.json')
    const r = run(BENCH, ['local', '--out', out], { TEKKA_BENCH_SCALE: '0.001', TEKKA_BENCH_RUNS: '1', TEKKA_BENCH_ONLY: 'local.oneway' })
    assert.is(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /^erlang: OTP \d+ \(erts [\d.]+\), \d+ schedulers; side-by-side after packages\/actors\/build\/bench\/local\.js$/m)
    const header = r.stdout.split('\n').find((l) => l.startsWith('bench '))
    assert.ok(header?.trimEnd().endsWith('erlang  tekka/erlang'), header)
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { machine: { erlang?: { otp?: string } }, results: Array<{ bench: string, value: number, file: string }> }
    const tekka = saved.results.find((x) => x.bench === 'local.oneway')
    const erlang = saved.results.find((x) => x.bench === 'erlang.local.oneway')
    assert.ok(tekka !== undefined && erlang !== undefined, JSON.stringify(saved.results))
    assert.is(erlang.file, 'bench/erlang/tekka_bench.erl')
    assert.type(saved.machine.erlang?.otp, 'string')
    const row = r.stdout.split('\n').find((l) => l.startsWith('local.oneway '))
    assert.ok(row !== undefined && row.trimEnd().endsWith(`${(tekka.value / erlang.value).toFixed(2)}x`), row)
    assert.not.ok(r.stdout.split('\n').some((l) => l.startsWith('erlang.local.oneway ')), 'no row of its own once paired')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
