/**
 * The plumbing every tekka benchmark shares (packages/<pkg>/bench/*.ts), so that
 * each bench file holds only what it measures. Imported as
 * `@tekka/actors/bench-harness`; it lives under bench/support/ because
 * scripts/bench.mjs runs every top-level file of a package's build/bench/ as a
 * benchmark.
 *
 * Output contract: one JSON line per result on stdout, read by
 * scripts/bench.mjs (and quoted in notes), keys in this order:
 *
 *   {"bench":"local.oneway","value":1.2e7,"unit":"msg/s","min":...,"max":...,"runs":5,
 *    "baseline":{"name":"array queue + await","value":...,"min":...,"max":...},"ratio":0.8,
 *    ...extra}
 *
 * `value` is the median of the runs, `min` / `max` their extremes, all rounded
 * to 4 significant digits unless told otherwise. `baseline` (the same work
 * without tekka, measured in the same run, so the ratio holds on a noisy
 * machine) and `ratio` (value / baseline.value) are there only when a
 * baseline was measured. Anything else a bench wants to say goes after them.
 *
 * Environment, read by {@link benchEnv}:
 *   TEKKA_BENCH_RUNS   measured runs per result (default: the bench's own, 5 unless it says)
 *   TEKKA_BENCH_SCALE  multiplies every count a bench passes through `scaled` (default 1; 0.1 for a quick look)
 *   TEKKA_BENCH_ONLY   comma-separated bench names or prefixes to run (default all); see {@link BenchEnv.wanted}
 *
 * Benchmarks run with --expose-gc (scripts/bench.mjs does) so that {@link gc}
 * can start each run from a collected heap.
 *
 * @example
 *   import { benchEnv, emit, alternate } from '@tekka/actors/bench-harness'
 *   const env = benchEnv()
 *   if (env.wanted('local.oneway')) {
 *     const { xs, base } = await alternate(() => tekkaRun(n), () => plainRun(n), { runs: env.runs })
 *     emit('local.oneway', 'msg/s', xs, { baseline: { name: 'array queue', xs: base }, extra: { messages: n } })
 *   }
 */
import type { ChildProcess } from 'node:child_process'
import { BenchError, BenchTimeoutError } from './errors.js'

/** Defaults, in one place. */
const DEFAULTS = {
  /** Measured runs per result when neither the bench nor TEKKA_BENCH_RUNS says. */
  runs: 5,
  /** Significant digits of every number `emit` prints. */
  precision: 4,
  /** How long `withTimeout` waits before it gives up on a run. */
  timeoutMs: 120_000
} as const

export { BenchError, BenchTimeoutError } from './errors.js'

// ---- environment ------------------------------------------------------------------

export interface BenchEnvOptions {
  /** Runs when TEKKA_BENCH_RUNS is not set (default 5). */
  runs?: number
  /**
   * This file's bench names, needed only where one is a prefix of another
   * (`cluster.form` of `cluster.form.etcd`): such a name, given in full in
   * TEKKA_BENCH_ONLY, then selects that bench alone.
   */
  benches?: readonly string[]
}

export interface BenchEnv {
  /** TEKKA_BENCH_RUNS, at least 1. */
  readonly runs: number
  /** TEKKA_BENCH_SCALE. */
  readonly scale: number
  /** TEKKA_BENCH_ONLY, split on commas; empty: every bench. */
  readonly only: readonly string[]
  /** `n` times the scale, rounded, at least 1. */
  scaled: (n: number) => number
  /**
   * Whether TEKKA_BENCH_ONLY asks for the bench `name`: it is empty, or one of
   * its entries is a prefix of `name` (`local` selects every `local.*`), or
   * names one of its result rows (`lock.quorum.p50` selects `lock.quorum`),
   * except that a name listed in `benches` selects that bench alone.
   */
  wanted: (name: string) => boolean
}

function numberFromEnv (key: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const raw = process.env[key]
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!ok(n)) throw new BenchError(`${key}=${JSON.stringify(raw)}: expected ${what}`)
  return n
}

/** Reads the TEKKA_BENCH_* knobs; a value that is not a number is refused with a BenchError naming it. */
export function benchEnv (options: BenchEnvOptions = {}): BenchEnv {
  const runs = Math.max(1, numberFromEnv('TEKKA_BENCH_RUNS', options.runs ?? DEFAULTS.runs, Number.isFinite, 'a number of runs'))
  const scale = numberFromEnv('TEKKA_BENCH_SCALE', 1, (n) => Number.isFinite(n) && n >= 0, 'a scale factor (a number >= 0)')
  const only = (process.env.TEKKA_BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  const benches = options.benches ?? []
  const selects = (o: string, name: string): boolean =>
    benches.includes(o) ? o === name : name.startsWith(o) || o.startsWith(`${name}.`)
  return {
    runs,
    scale,
    only,
    scaled: (n) => Math.max(1, Math.round(n * scale)),
    wanted: (name) => only.length === 0 || only.some((o) => selects(o, name))
  }
}

// ---- statistics and output ----------------------------------------------------------

export interface Stats { value: number, min: number, max: number }

/** Median, min and max of the samples (not changed); refuses an empty list. */
export function stats (xs: readonly number[]): Stats {
  if (xs.length === 0) throw new BenchError('no samples')
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const value = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
  return { value, min: s[0], max: s[s.length - 1] }
}

/** `n` to `precision` significant digits (default 4), as a number. */
export function round (n: number, precision: number = DEFAULTS.precision): number {
  return Number(n.toPrecision(precision))
}

export interface EmitOptions {
  /** The same work without tekka, measured in the same run; left out when `xs` is empty. */
  baseline?: { name: string, xs: readonly number[] }
  /** More fields, after the standard ones (a key of theirs keeps its place and takes the value given here). */
  extra?: Record<string, unknown>
  /** Significant digits of value, min, max, baseline and ratio (default 4). */
  precision?: number
}

/** Prints one result as a JSON line on stdout (format: see the top of this file) and returns it. */
export function emit (bench: string, unit: string, xs: readonly number[], options: EmitOptions = {}): Record<string, unknown> {
  const { baseline, extra = {}, precision = DEFAULTS.precision } = options
  const r = stats(xs)
  const line: Record<string, unknown> = {
    bench,
    value: round(r.value, precision),
    unit,
    min: round(r.min, precision),
    max: round(r.max, precision),
    runs: xs.length
  }
  if (baseline !== undefined && baseline.xs.length > 0) {
    const b = stats(baseline.xs)
    line.baseline = { name: baseline.name, value: round(b.value, precision), min: round(b.min, precision), max: round(b.max, precision) }
    line.ratio = round(r.value / b.value, precision)
  }
  const out = { ...line, ...extra }
  process.stdout.write(JSON.stringify(out) + '\n')
  return out
}

/** The median and 99th percentile of latency samples in ms, in µs. Sorts `samplesMs` in place. */
export function latencyUs (samplesMs: Float64Array): { p50: number, p99: number } {
  samplesMs.sort()
  const at = (q: number): number => samplesMs[Math.min(samplesMs.length - 1, Math.floor(q * (samplesMs.length - 1)))] * 1000
  return { p50: at(0.5), p99: at(0.99) }
}

// ---- running --------------------------------------------------------------------------

/** A full garbage collection (twice, for what the first one's finalizers free). Needs --expose-gc. */
export function gc (): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g === undefined) throw new BenchError('run with --expose-gc (scripts/bench.mjs does)')
  g()
  g()
}

/** One turn of the event loop (resolves in the check phase, after I/O). */
export function tick (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** `p`, or a BenchTimeoutError naming `what` after `timeoutMs` (default 120 s); the timer is cleared either way. */
export function withTimeout<T> (what: string, p: Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const { timeoutMs = DEFAULTS.timeoutMs } = options
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new BenchTimeoutError(`${what}: no result within ${timeoutMs} ms`)) }, timeoutMs)
  })
  return Promise.race([p, t]).finally(() => { clearTimeout(timer) })
}

/** One warm-up run of `f` (not counted), then `runs` runs, each after a GC. */
export async function repeat<T> (f: () => Promise<T>, options: { runs: number }): Promise<T[]> {
  const out: T[] = []
  await f()
  for (let i = 0; i < options.runs; i++) {
    gc()
    out.push(await f())
  }
  return out
}

/**
 * A warm-up run of each (not counted), then `runs` rounds of `measure` and
 * `baseline` in turn, each after a GC, so that drift on the machine hits both.
 */
export async function alternate (measure: () => Promise<number>, baseline: () => Promise<number>, options: { runs: number }): Promise<{ xs: number[], base: number[] }> {
  const xs: number[] = []
  const base: number[] = []
  await measure()
  await baseline()
  for (let i = 0; i < options.runs; i++) {
    gc(); xs.push(await measure())
    gc(); base.push(await baseline())
  }
  return { xs, base }
}

// ---- child processes --------------------------------------------------------------------

/** Each child still running, with the signal that ends it for good. */
const children = new Map<ChildProcess, NodeJS.Signals>()
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const
let reaping = false

function killChildren (): void {
  for (const [c, signal] of children) {
    try { c.kill(signal) } catch {}
  }
  children.clear()
}

/**
 * Kills `child` (with `signal`, SIGKILL by default: SIGTERM for a child that
 * must take others down with it) should this process exit, or get SIGINT,
 * SIGTERM or SIGHUP (then it exits with 128 + the signal's number), before
 * the child has. Children should also exit by themselves when their stdin
 * closes, for the case where this process dies by SIGKILL.
 */
export function killOnExit (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!reaping) {
    reaping = true
    process.on('exit', killChildren)
    for (const sig of Object.keys(SIGNALS) as Array<keyof typeof SIGNALS>) {
      process.once(sig, () => {
        killChildren()
        process.exit(128 + SIGNALS[sig])
      })
    }
  }
  if (child.exitCode !== null || child.signalCode !== null) return
  children.set(child, signal)
  child.once('exit', () => { children.delete(child) })
}
