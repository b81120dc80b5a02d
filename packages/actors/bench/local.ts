/**
 * Local benchmarks of the process runtime: one-way messages, ping-pong round
 * trips, and spawning / stopping a million idle processes. Each is run
 * several times; the JSON line gives the median with min and max, next to a
 * baseline measured in the same run without the runtime (plain queues and
 * promises), so the ratio holds on a noisy machine.
 *
 * Output: one JSON line per result on stdout (support/harness.ts), e.g.
 *   {"bench":"local.oneway","value":1.2e7,"unit":"msg/s","min":...,"max":...,"runs":5,
 *    "baseline":{"name":"array queue + await","value":...,"min":...,"max":...},"ratio":0.8}
 * `ratio` is value / baseline.value. local.call also prints local.call.p50 and
 * local.call.p99 (µs per call, from runs of their own that read the clock
 * around every call), next to the runtime pingpong's round trip.
 *
 * Run with --expose-gc (scripts/bench.mjs does). Environment:
 *   TEKKA_BENCH_RUNS   runs per measurement (default 5)
 *   TEKKA_BENCH_SCALE  multiplies every count (default 1; 0.1 for a quick look)
 *   TEKKA_BENCH_ONLY   comma-separated bench names (or prefixes) to run (default all)
 */
import { createRuntime, silentLogger, startGenServer, call, reply, type Pid, type ProcessContext, type Runtime } from '../src/index.js'
import { alternate, benchEnv, emit, gc, latencyUs, repeat, tick } from '@tekka/testing/bench'

const { runs: RUNS, scaled, wanted } = benchEnv()

const ONEWAY_MESSAGES = scaled(1_000_000)
const PINGPONG_ROUND_TRIPS = scaled(200_000)
const SPAWN_PROCESSES = scaled(1_000_000)
/** The sender yields every this many sends, as a well-behaved producer does. */
const SEND_BATCH = 1000
const PAYLOAD = 'x'.repeat(32)

// ---- helpers ----------------------------------------------------------------------

function newRuntime (): Runtime {
  return createRuntime({ node: 'bench@localhost', logger: silentLogger() })
}

/** Resolves with what `fn` sends to the waiting process, via a temporary process. */
function awaitReply<T> (rt: Runtime, start: (done: Pid) => void): Promise<T> {
  return rt.run(async (ctx) => {
    start(ctx.self)
    return await ctx.receive()
  })
}

// ---- baselines: the same work with no runtime ---------------------------------

/** A single-consumer queue: an array, a head index and one waiting resolver. */
class Channel<T> {
  #q: T[] = []
  #head = 0
  #waiter: ((v: T) => void) | undefined

  push (v: T): void {
    const w = this.#waiter
    if (w !== undefined) {
      this.#waiter = undefined
      w(v)
      return
    }
    this.#q.push(v)
  }

  take (): Promise<T> {
    if (this.#head < this.#q.length) {
      const v = this.#q[this.#head]
      this.#q[this.#head++] = undefined as T
      if (this.#head === this.#q.length) { this.#q = []; this.#head = 0 }
      return Promise.resolve(v)
    }
    return new Promise((resolve) => { this.#waiter = resolve })
  }
}

async function baselineOneway (n: number): Promise<number> {
  const ch = new Channel<{ i: number, data: string }>()
  const t0 = performance.now()
  const consumer = (async () => {
    for (let i = 0; i < n; i++) await ch.take()
  })()
  for (let i = 0; i < n; i++) {
    ch.push({ i, data: PAYLOAD })
    // As the runtime's scheduler does with a sender that spent its slice:
    // let the event loop turn, the consumer drains meanwhile.
    if (i % SEND_BATCH === SEND_BATCH - 1) await tick()
  }
  await consumer
  return n / ((performance.now() - t0) / 1000)
}

async function baselinePingpong (n: number): Promise<number> {
  const a = new Channel<number>()
  const b = new Channel<number>()
  const t0 = performance.now()
  const ponger = (async () => {
    for (let i = 0; i < n; i++) b.push(await a.take())
  })()
  for (let i = 0; i < n; i++) {
    a.push(i)
    await b.take()
  }
  await ponger
  return n / ((performance.now() - t0) / 1000)
}

/** n pending async functions, each awaiting its own promise: the floor of an idle process. */
/** What spawning n idle processes costs: seconds to spawn and to stop them, heap and RSS bytes per process. */
interface SpawnCost { spawn: number, stop: number, heap: number, rss: number }

/** Heap and RSS in use after a full GC, for the per-process figures of a spawn run. */
function memory (): { heap: number, rss: number } {
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

/** Heap and RSS per process since `m0`; the caller's array of n handles (8 bytes each) is not the process's. */
function perProcess (m0: { heap: number, rss: number }, n: number): { heap: number, rss: number } {
  const m = memory()
  return { heap: (m.heap - m0.heap - n * 8) / n, rss: (m.rss - m0.rss - n * 8) / n }
}

async function baselineSpawn (n: number): Promise<SpawnCost> {
  const m0 = memory()
  const t0 = performance.now()
  const wakers: Array<(v: unknown) => void> = new Array(n)
  let started = 0
  let ended = 0
  for (let i = 0; i < n; i++) {
    void (async () => {
      started++
      await new Promise((resolve) => { wakers[i] = resolve })
      ended++
    })()
  }
  while (started < n) await tick()
  const spawn = (performance.now() - t0) / 1000
  const { heap, rss } = perProcess(m0, n)
  const t1 = performance.now()
  for (let i = 0; i < n; i++) wakers[i]('stop')
  while (ended < n) await tick()
  const stop = (performance.now() - t1) / 1000
  return { spawn, stop, heap, rss }
}

// ---- the runtime --------------------------------------------------------------

async function runtimeOneway (n: number): Promise<number> {
  const rt = newRuntime()
  const t0 = performance.now()
  await awaitReply(rt, (done) => {
    const receiver = rt.spawn(async (ctx) => {
      for (let i = 0; i < n; i++) await ctx.receive()
      ctx.send(done, 'done')
    })
    rt.spawn(async (ctx) => {
      for (let i = 0; i < n; i++) {
        ctx.send(receiver, { i, data: PAYLOAD })
        if (i % SEND_BATCH === SEND_BATCH - 1) await ctx.yield()
      }
    })
  })
  return n / ((performance.now() - t0) / 1000)
}

/** Round trips/s; with `lat`, each round trip in ms goes into it (as runtimeCall's). */
async function runtimePingpong (n: number, lat?: Float64Array): Promise<number> {
  const rt = newRuntime()
  const t0 = performance.now()
  await awaitReply(rt, (done) => {
    const ponger = rt.spawn(async (ctx) => {
      for (let i = 0; i < n; i++) {
        const from = await ctx.receive<Pid>()
        ctx.send(from, i)
      }
    })
    rt.spawn(async (ctx) => {
      if (lat === undefined) {
        for (let i = 0; i < n; i++) {
          ctx.send(ponger, ctx.self)
          await ctx.receive()
        }
      } else {
        for (let i = 0; i < n; i++) {
          const s = performance.now()
          ctx.send(ponger, ctx.self)
          await ctx.receive()
          lat[i] = performance.now() - s
        }
      }
      ctx.send(done, 'done')
    })
  })
  return n / ((performance.now() - t0) / 1000)
}

async function runtimeSpawn (n: number): Promise<SpawnCost> {
  const rt = newRuntime()
  const m0 = memory()
  const t0 = performance.now()
  let started = 0
  const pids: Pid[] = new Array(n)
  const idle = async (ctx: ProcessContext): Promise<void> => {
    started++ // the receive below is entered in the same step: counted = waiting
    await ctx.receive()
  }
  for (let i = 0; i < n; i++) pids[i] = rt.spawn(idle)
  while (started < n) await tick()
  const spawn = (performance.now() - t0) / 1000
  const { heap, rss } = perProcess(m0, n)
  const t1 = performance.now()
  for (let i = 0; i < n; i++) rt.send(pids[i], 'stop')
  while (rt.processCount > 0) await tick()
  const stop = (performance.now() - t1) / 1000
  return { spawn, stop, heap, rss }
}

// ---- driver -------------------------------------------------------------------

// Runtime and baseline runs alternate (harness `alternate`) so drift on the machine hits both.

if (wanted('local.oneway')) {
  const { xs, base } = await alternate(() => runtimeOneway(ONEWAY_MESSAGES), () => baselineOneway(ONEWAY_MESSAGES), { runs: RUNS })
  emit('local.oneway', 'msg/s', xs, {
    baseline: { name: 'array queue + await, setImmediate per 1000', xs: base },
    extra: { messages: ONEWAY_MESSAGES, payloadBytes: PAYLOAD.length }
  })
}

if (wanted('local.pingpong')) {
  const { xs, base } = await alternate(() => runtimePingpong(PINGPONG_ROUND_TRIPS), () => baselinePingpong(PINGPONG_ROUND_TRIPS), { runs: RUNS })
  emit('local.pingpong', 'round trips/s', xs, { baseline: { name: 'two channels + await', xs: base }, extra: { roundTrips: PINGPONG_ROUND_TRIPS } })
}

if (wanted('local.spawn')) {
  const rt = await repeat(() => runtimeSpawn(SPAWN_PROCESSES), { runs: RUNS })
  const base = await repeat(() => baselineSpawn(SPAWN_PROCESSES), { runs: RUNS })
  const row = (bench: string, unit: string, k: keyof SpawnCost): void => {
    emit(bench, unit, rt.map((r) => r[k]), { baseline: { name: 'pending async functions', xs: base.map((r) => r[k]) }, extra: { processes: SPAWN_PROCESSES } })
  }
  row('local.spawn', 's to spawn', 'spawn')
  row('local.spawn.stop', 's to stop', 'stop')
  row('local.spawn.heap', 'bytes/process', 'heap')
  row('local.spawn.rss', 'bytes/process', 'rss')
}

// ---- local.call ---------------------------------------------------------------
// GenServer call round trips/s from one caller process to a server that
// replies at once; baseline: the runtime's own pingpong (a bare send and a
// selective-free receive), so the ratio is the cost of the call protocol
// (monitor, tagged reply, demonitor with flush).

const CALLS = scaled(200_000)

/** Calls/s; with `lat`, each call's round trip in ms goes into it (a separate run: reading the clock twice a call would slow the rate run). */
async function runtimeCall (n: number, lat?: Float64Array): Promise<number> {
  const rt = newRuntime()
  const server = await startGenServer(rt, {
    init: () => 0,
    handleCall: (_req: unknown, _from: unknown, state: number) => reply(state, state + 1)
  }, undefined)
  const t0 = performance.now()
  await rt.run(async (ctx) => {
    if (lat === undefined) {
      for (let i = 0; i < n; i++) await call(ctx, server, 'next')
      return
    }
    for (let i = 0; i < n; i++) {
      const s = performance.now()
      await call(ctx, server, 'next')
      lat[i] = performance.now() - s
    }
  })
  return n / ((performance.now() - t0) / 1000)
}

if (wanted('local.call')) {
  const { xs, base } = await alternate(() => runtimeCall(CALLS), () => runtimePingpong(CALLS), { runs: RUNS })
  emit('local.call', 'calls/s', xs, { baseline: { name: 'runtime pingpong (send + receive)', xs: base }, extra: { calls: CALLS } })
  // Latency from runs of their own, so the clock reads do not slow the rate above.
  const p99: number[] = []
  const baseP99: number[] = []
  const lat = new Float64Array(CALLS)
  const { xs: p50, base: baseP50 } = await alternate(async () => {
    await runtimeCall(CALLS, lat)
    const l = latencyUs(lat)
    p99.push(l.p99)
    return l.p50
  }, async () => {
    await runtimePingpong(CALLS, lat)
    const l = latencyUs(lat)
    baseP99.push(l.p99)
    return l.p50
  }, { runs: RUNS })
  // alternate's warm-up runs pushed a p99 each: they are not counted.
  emit('local.call.p50', 'µs', p50, { baseline: { name: 'runtime pingpong p50', xs: baseP50 }, precision: 3 })
  emit('local.call.p99', 'µs', p99.slice(1), { baseline: { name: 'runtime pingpong p99', xs: baseP99.slice(1) }, precision: 3 })
}
