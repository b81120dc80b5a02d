/**
 * Local benchmarks of the process runtime: one-way messages, ping-pong round
 * trips, and spawning / stopping a million idle processes. Each is run
 * several times; the JSON line gives the median with min and max, next to a
 * baseline measured in the same run without the runtime (plain queues and
 * promises), so the ratio holds on a noisy machine.
 *
 * Output: one JSON line per result on stdout, e.g.
 *   {"bench":"local.oneway","value":1.2e7,"unit":"msg/s","min":...,"max":...,"runs":5,
 *    "baseline":{"name":"array queue + await","value":...,"min":...,"max":...},"ratio":0.8}
 * `ratio` is value / baseline.value.
 *
 * Run with --expose-gc (scripts/bench.mjs does). Environment:
 *   TEKKA_BENCH_RUNS   runs per measurement (default 5)
 *   TEKKA_BENCH_SCALE  multiplies every count (default 1; 0.1 for a quick look)
 *   TEKKA_BENCH_ONLY   comma-separated bench names to run (default all)
 */
import { createRuntime, silentLogger, startGenServer, call, reply, type Pid, type ProcessContext, type Runtime } from '../src/index.js'

const RUNS = Math.max(1, Number(process.env.TEKKA_BENCH_RUNS ?? 5))
const SCALE = Number(process.env.TEKKA_BENCH_SCALE ?? 1)
const ONLY = (process.env.TEKKA_BENCH_ONLY ?? '').split(',').filter((s) => s !== '')
const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

const ONEWAY_MESSAGES = scaled(1_000_000)
const PINGPONG_ROUND_TRIPS = scaled(200_000)
const SPAWN_PROCESSES = scaled(1_000_000)
/** The sender yields every this many sends, as a well-behaved producer does. */
const SEND_BATCH = 1000
const PAYLOAD = 'x'.repeat(32)

// ---- measurement helpers ------------------------------------------------------

interface Stats { value: number, min: number, max: number }

function stats (xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const value = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { value, min: s[0]!, max: s[s.length - 1]! }
}

function gc (): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g === undefined) throw new Error('run with --expose-gc (scripts/bench.mjs does)')
  g()
  g()
}

function emit (bench: string, unit: string, xs: number[], baselineName: string, base: number[], extra: Record<string, unknown> = {}): void {
  const r = stats(xs)
  const b = stats(base)
  const round = (n: number): number => Number(n.toPrecision(4))
  process.stdout.write(JSON.stringify({
    bench,
    value: round(r.value),
    unit,
    min: round(r.min),
    max: round(r.max),
    runs: xs.length,
    baseline: { name: baselineName, value: round(b.value), min: round(b.min), max: round(b.max) },
    ratio: round(r.value / b.value),
    ...extra
  }) + '\n')
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function newRuntime (): Runtime {
  return createRuntime({ node: 'bench@localhost', logger: silentLogger() })
}

/** Resolves with what `fn` sends to the waiting process, via a temporary process. */
function awaitReply<T> (rt: Runtime, start: (done: Pid) => void): Promise<T> {
  return rt.run(async (ctx) => {
    start(ctx.self)
    return await ctx.receive() as T
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
      const v = this.#q[this.#head]!
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
async function baselineSpawn (n: number): Promise<{ spawn: number, stop: number, heap: number }> {
  gc()
  const h0 = process.memoryUsage().heapUsed
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
  gc()
  // As for the runtime: the array of handles is the caller's, not the cost of one waiter.
  const heap = (process.memoryUsage().heapUsed - h0 - n * 8) / n
  const t1 = performance.now()
  for (let i = 0; i < n; i++) wakers[i]!('stop')
  while (ended < n) await tick()
  const stop = (performance.now() - t1) / 1000
  return { spawn, stop, heap }
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

async function runtimePingpong (n: number): Promise<number> {
  const rt = newRuntime()
  const t0 = performance.now()
  await awaitReply(rt, (done) => {
    const ponger = rt.spawn(async (ctx) => {
      for (let i = 0; i < n; i++) {
        const from = await ctx.receive() as Pid
        ctx.send(from, i)
      }
    })
    rt.spawn(async (ctx) => {
      for (let i = 0; i < n; i++) {
        ctx.send(ponger, ctx.self)
        await ctx.receive()
      }
      ctx.send(done, 'done')
    })
  })
  return n / ((performance.now() - t0) / 1000)
}

async function runtimeSpawn (n: number): Promise<{ spawn: number, stop: number, heap: number }> {
  const rt = newRuntime()
  gc()
  const h0 = process.memoryUsage().heapUsed
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
  gc()
  // The pids array is the caller's; count the processes, not the handles to them.
  const heap = (process.memoryUsage().heapUsed - h0 - n * 8) / n
  const t1 = performance.now()
  for (let i = 0; i < n; i++) rt.send(pids[i]!, 'stop')
  while (rt.processCount > 0) await tick()
  const stop = (performance.now() - t1) / 1000
  return { spawn, stop, heap }
}

// ---- driver -------------------------------------------------------------------

const want = (name: string): boolean => ONLY.length === 0 || ONLY.some((o) => name.startsWith(o))

async function repeat<T> (f: () => Promise<T>): Promise<T[]> {
  const out: T[] = []
  await f() // warm-up, not counted
  for (let i = 0; i < RUNS; i++) {
    gc()
    out.push(await f())
  }
  return out
}

if (want('local.oneway')) {
  // Alternate runtime and baseline runs so drift on the machine hits both.
  const rt: number[] = []
  const base: number[] = []
  await runtimeOneway(ONEWAY_MESSAGES); await baselineOneway(ONEWAY_MESSAGES)
  for (let i = 0; i < RUNS; i++) {
    gc(); rt.push(await runtimeOneway(ONEWAY_MESSAGES))
    gc(); base.push(await baselineOneway(ONEWAY_MESSAGES))
  }
  emit('local.oneway', 'msg/s', rt, 'array queue + await, setImmediate per 1000', base, { messages: ONEWAY_MESSAGES, payloadBytes: PAYLOAD.length })
}

if (want('local.pingpong')) {
  const rt: number[] = []
  const base: number[] = []
  await runtimePingpong(PINGPONG_ROUND_TRIPS); await baselinePingpong(PINGPONG_ROUND_TRIPS)
  for (let i = 0; i < RUNS; i++) {
    gc(); rt.push(await runtimePingpong(PINGPONG_ROUND_TRIPS))
    gc(); base.push(await baselinePingpong(PINGPONG_ROUND_TRIPS))
  }
  emit('local.pingpong', 'round trips/s', rt, 'two channels + await', base, { roundTrips: PINGPONG_ROUND_TRIPS })
}

if (want('local.spawn')) {
  const rt = await repeat(() => runtimeSpawn(SPAWN_PROCESSES))
  const base = await repeat(() => baselineSpawn(SPAWN_PROCESSES))
  const baseName = 'pending async functions'
  const extra = { processes: SPAWN_PROCESSES }
  emit('local.spawn', 's to spawn', rt.map((r) => r.spawn), baseName, base.map((r) => r.spawn), extra)
  emit('local.spawn.stop', 's to stop', rt.map((r) => r.stop), baseName, base.map((r) => r.stop), extra)
  emit('local.spawn.heap', 'bytes/process', rt.map((r) => r.heap), baseName, base.map((r) => r.heap), extra)
}

// ---- local.call ---------------------------------------------------------------
// ---- local.call ---------------------------------------------------------------
// GenServer call round trips/s from one caller process to a server that
// replies at once; baseline: the runtime's own pingpong (a bare send and a
// selective-free receive), so the ratio is the cost of the call protocol
// (monitor, tagged reply, demonitor with flush).

const CALLS = scaled(200_000)

async function runtimeCall (n: number): Promise<number> {
  const rt = newRuntime()
  const server = await startGenServer(rt, {
    init: () => 0,
    handleCall: (_req: unknown, _from: unknown, state: number) => reply(state, state + 1)
  }, undefined)
  const t0 = performance.now()
  await rt.run(async (ctx) => {
    for (let i = 0; i < n; i++) await call(ctx, server, 'next')
  })
  return n / ((performance.now() - t0) / 1000)
}

if (want('local.call')) {
  const rt: number[] = []
  const base: number[] = []
  await runtimeCall(CALLS); await runtimePingpong(CALLS)
  for (let i = 0; i < RUNS; i++) {
    gc(); rt.push(await runtimeCall(CALLS))
    gc(); base.push(await runtimePingpong(CALLS))
  }
  emit('local.call', 'calls/s', rt, 'runtime pingpong (send + receive)', base, { calls: CALLS })
}
