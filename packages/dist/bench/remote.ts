/**
 * Remote benchmarks: two OS processes on loopback. This process is one node
 * (`bench0@127.0.0.1`); a child `tekka` command running peers/app.js is the
 * other (`peer1@127.0.0.1`). Each is measured next to a raw baseline in the
 * same run, alternating: plain TCP sockets with the same framing and
 * coalescing and no actors (peers/raw-wire.ts), against a plain child node
 * script (peers/raw-peer.js).
 *
 * - remote.oneway: 1,000,000 messages of a 32-byte string from a process here
 *   to a process on the peer, which reports when all have arrived; msg/s.
 *   Baseline raw.oneway: `[1, null, pid, payload]` frames (msgpackr, the pid
 *   a plain tuple), counted by the peer. Also raw.oneway.codec: the same with
 *   tekka's codec on both ends, the floor for the same wire work
 *   (`ratioToCodecBaseline`: what actors, kernel and connection cost on top).
 * - remote.pingpong: round trips between a process here and one on the peer;
 *   round trips/s, with p50 / p99 latency in µs (also as rows of their own).
 * - remote.call: `node.call` of a function registered on the peer, 64 callers
 *   in flight; calls/s with p50 / p99. Baseline raw.call: request / reply
 *   frames, 64 in flight.
 * - remote.sustain.heap (.peer): the remote.call load held for 60 s (scaled,
 *   10 s at least); the heap after a full GC is read on both sides every
 *   tenth of it. The row is the growth from the first to the last reading in
 *   KB, with the readings and their least-squares slope, and the calls still
 *   pending and Node timers alive afterwards: reply slots or timers that leak
 *   show as growth here.
 *
 * Output: one JSON line per result (format: @tekka/testing/bench), e.g.
 *   {"bench":"remote.oneway","value":5.1e5,"unit":"msg/s","min":...,"max":...,"runs":5,
 *    "baseline":{"name":"raw.oneway","value":...},"ratio":0.72,
 *    "cpuNsPerOp":{"here":...,"peer":...},"baselineCpuNsPerOp":{...},"goal":"..."}
 * `cpuNsPerOp` is the median CPU time (user + system) each process spent per
 * message, round trip or call ("here" is this process, the sender): unlike
 * rates, it barely moves when other work shares the machine.
 *
 * Environment:
 *   TEKKA_BENCH_RUNS      runs per measurement (default 5)
 *   TEKKA_BENCH_SCALE     multiplies every count (default 1; 0.1 for a quick look)
 *   TEKKA_BENCH_ONLY      comma-separated bench names (prefixes) to run (default all)
 *   TEKKA_BENCH_BASELINE  0 skips the raw runs (for profiling the tekka path alone)
 *   TEKKA_BENCH_CPU_PROF  a directory: the children run with --cpu-prof and
 *                         write their profiles there (run this file itself with
 *                         `node --cpu-prof` for this side)
 *
 * The children are started and stopped here and killed whatever happens: on
 * exit, on a signal, and, should this process die by SIGKILL, by themselves
 * when their stdin (held by this process) closes. A run with no result within
 * 120 s (the harness's withTimeout) has lost messages: it fails, not hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { consoleLogger, Pid } from '@tekka/actors'
import { benchEnv, emit, gc, killOnExit, latencyUs, round, stats, tick, withTimeout } from '@tekka/testing/bench'
import { freePort } from '@tekka/testing/ports'
import { TEKKA_BIN } from '@tekka/testing/procs'
import { createCodec, startNode, type DistNode } from '../src/index.js'
import { CTL, RawLink, RPC_CALL, RPC_REPLY, SEND, type PidTuple } from './peers/raw-wire.js'

const { runs: RUNS, scale: SCALE, scaled, wanted } = benchEnv()
const BASELINE = process.env.TEKKA_BENCH_BASELINE !== '0'
const PROF_DIR = process.env.TEKKA_BENCH_CPU_PROF

const ONEWAY_MESSAGES = scaled(1_000_000)
const PINGPONG_ROUND_TRIPS = scaled(20_000)
const CALLS = scaled(100_000)
const CALLERS = 64
const SUSTAIN_MS = Math.max(10_000, Math.round(60_000 * SCALE))
/** Heap readings taken during the sustained run (the first right after its warm-up). */
const SUSTAIN_READINGS = 11
/** The sender yields every this many sends, as a well-behaved producer does (and as local.oneway's does). */
const SEND_BATCH = 1000
const PAYLOAD = 'x'.repeat(32)
/** Raw sender's back-pressure mark: the connection's default highWater. */
const RAW_HIGH_WATER = 8 * 1024 * 1024

const COOKIE = 'tekka-bench'
const SELF = 'bench0@127.0.0.1'
const PEER = 'peer1@127.0.0.1'
/** The `tekka` command (packages/tekka), which runs peers/app.js as a whole node. */
const BIN = TEKKA_BIN
const APP = fileURLToPath(new URL('./peers/app.js', import.meta.url))
const RAW_PEER = fileURLToPath(new URL('./peers/raw-peer.js', import.meta.url))

// ---- measurement ---------------------------------------------------------------

/** One run: operations per second, with p50 / p99 latency in µs where measured. */
interface Result { rate: number, p50?: number, p99?: number }
type Latency = Required<Result>

/** A run with the CPU time each side used, in ns per operation ("here" is this process). */
interface Measured extends Result { cpuHere: number, cpuPeer: number }

function latency (count: number, ms: number, lat: Float64Array): Latency {
  return { rate: count / (ms / 1000), ...latencyUs(lat) }
}

// ---- child processes (killed with this process: harness killOnExit) ----------------------

interface Child {
  proc: ChildProcess
  /** Resolves with the first stdout line matching `re`. */
  line: (re: RegExp, timeoutMs: number) => Promise<RegExpExecArray>
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop: () => Promise<void>
}

function startChild (label: string, args: string[]): Child {
  const prof = PROF_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : []
  const proc = spawn(process.execPath, [...prof, '--expose-gc', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, TEKKA_LOG: process.env.TEKKA_LOG ?? 'error' }
  })
  killOnExit(proc)
  let running = true
  const exited = new Promise<void>((resolve) => { proc.once('exit', () => { running = false; resolve() }) })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let buf = ''
  proc.stdout.setEncoding('utf8')
  proc.stdout.on('data', (d: string) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1) }
    for (const w of waiters) w()
  })
  const line = (re: RegExp, timeoutMs: number): Promise<RegExpExecArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      for (const l of lines) {
        const m = re.exec(l)
        if (m !== null) { done(); resolve(m); return }
      }
    }
    const fail = (why: string) => (): void => { done(); reject(new Error(`${label}: ${why} before a line matching ${String(re)}\n${lines.join('\n')}`)) }
    const onExit = fail('exited')
    const timer = setTimeout(fail(`nothing in ${timeoutMs} ms`), timeoutMs)
    const done = (): void => { clearTimeout(timer); waiters.delete(check); proc.off('exit', onExit) }
    waiters.add(check)
    proc.once('exit', onExit)
    check()
  })
  const stop = async (): Promise<void> => {
    if (!running) return
    proc.kill('SIGTERM')
    const timer = setTimeout(() => { proc.kill('SIGKILL') }, 5000)
    await exited
    clearTimeout(timer)
  }
  return { proc, line, stop }
}

// ---- the tekka side ----------------------------------------------------------------

interface Tekka { node: DistNode, child: Child }

async function startTekka (): Promise<Tekka> {
  const peerPort = await freePort()
  // The peer listens on base + 1 (the trailing digit of `peer1`), the port this node dials.
  const basePort = peerPort - 1
  const child = startChild('peer', [BIN, '--name', PEER, '--cookie', COOKIE, '--set', `node.dist_base_port=${basePort}`, APP])
  await child.line(/^tekka: app .* started/, 20_000)
  const node = await startNode({ name: SELF, cookie: COOKIE, basePort, port: 0, logger: consoleLogger('tekka:bench') })
  if (!(await node.connect(PEER))) throw new Error(`cannot connect to ${PEER} on port ${peerPort}`)
  return { node, child }
}

async function peerCpu (node: DistNode): Promise<number> {
  return await node.call<number>(PEER, 'bench.cpu', [])
}

async function peerGc (node: DistNode): Promise<void> {
  gc()
  await node.call(PEER, 'bench.gc', [], { timeout: 30_000 })
}

async function remoteOneway ({ node }: Tekka, n: number): Promise<Result> {
  return await withTimeout('remote.oneway', node.run(async (ctx) => {
    const sink = await node.call<Pid>(PEER, 'bench.sink', [n, ctx.self])
    const t0 = performance.now()
    node.spawn(async (c) => {
      for (let i = 0; i < n; i++) {
        c.send(sink, PAYLOAD)
        if (i % SEND_BATCH === SEND_BATCH - 1) await c.yield()
      }
    })
    await ctx.receive()
    return { rate: n / ((performance.now() - t0) / 1000) }
  }))
}

async function remotePingpong ({ node }: Tekka, n: number): Promise<Latency> {
  const ponger = await node.call<Pid>(PEER, 'bench.ponger', [])
  const lat = new Float64Array(n)
  const ms = await withTimeout('remote.pingpong', node.run(async (ctx) => {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      const s = performance.now()
      ctx.send(ponger, ctx.self)
      await ctx.receive()
      lat[i] = performance.now() - s
    }
    return performance.now() - t0
  }))
  node.send(ponger, 'stop')
  return latency(n, ms, lat)
}

async function remoteCall ({ node }: Tekka, n: number): Promise<Latency> {
  const lat = new Float64Array(n)
  let next = 0
  const caller = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const s = performance.now()
      await node.call(PEER, 'bench.echo', [i])
      lat[i] = performance.now() - s
    }
  }
  const t0 = performance.now()
  await withTimeout('remote.call', Promise.all(Array.from({ length: CALLERS }, caller)))
  return latency(n, performance.now() - t0, lat)
}

/** Heap in use after a full GC, here and on the peer, in KB. */
async function heapKB (node: DistNode): Promise<{ here: number, peer: number }> {
  gc()
  const here = process.memoryUsage().heapUsed / 1024
  const peer = await node.call<number>(PEER, 'bench.heap', [], { timeout: 30_000 }) / 1024
  return { here, peer }
}

/** Least-squares slope of ys over xs. */
function slope (xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

/** remote.call's load for `ms`, with SUSTAIN_READINGS heap readings on both sides (minute marks in `at`). */
async function remoteSustain (tekka: Tekka, ms: number): Promise<{ at: number[], here: number[], peer: number[], calls: number }> {
  const { node } = tekka
  await remoteCall(tekka, Math.round(CALLS / 4)) // warm-up: code optimized, pools at their size
  let stop = false
  let calls = 0
  const caller = async (): Promise<void> => {
    while (!stop) {
      await node.call(PEER, 'bench.echo', [calls])
      calls++
    }
  }
  const callers = Promise.all(Array.from({ length: CALLERS }, caller))
  const at: number[] = []
  const here: number[] = []
  const peer: number[] = []
  const t0 = performance.now()
  try {
    for (let i = 0; i < SUSTAIN_READINGS; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, t0 + (i * ms) / (SUSTAIN_READINGS - 1) - performance.now()))
      const h = await heapKB(node)
      at.push((performance.now() - t0) / 60_000)
      here.push(h.here)
      peer.push(h.peer)
    }
  } finally {
    stop = true
    await withTimeout('remote.sustain', callers)
  }
  return { at, here, peer, calls }
}

function sustainRows (r: Awaited<ReturnType<typeof remoteSustain>>, ms: number, pending: number, timers: number): void {
  const row = (name: string, side: number[], more: Record<string, unknown>): void => {
    emit(name, 'KB', [side[side.length - 1] - side[0]], {
      extra: { seconds: ms / 1000, calls: r.calls, inFlight: CALLERS, readingsKB: side.map((x) => round(x)), slopeKBPerMin: round(slope(r.at, side)), goal: 'flat: growth within noise, no slope', ...more }
    })
  }
  row('remote.sustain.heap', r.here, { pendingAfter: pending, timersAfter: timers })
  row('remote.sustain.heap.peer', r.peer, {})
}

// ---- the raw side ------------------------------------------------------------------

/** This side of the raw link and the peer's sink: plain tuples, or Pids with tekka's codec. */
const RAW_SELF: PidTuple = [SELF, 1, 1]
const RAW_TARGET: PidTuple = [PEER, 2, 1]
const CODEC_SELF = new Pid(SELF, 1, 1)
const CODEC_TARGET = new Pid(PEER, 2, 1)

interface Raw {
  link: RawLink
  self: unknown
  target: unknown
  /** The next message for RAW_SELF (a 'done' or a 'pong'), or the next control answer (`[what, ...]`). */
  next: () => Promise<unknown>
  calls: Map<number, () => void>
  close: () => void
}

async function startRawPeer (): Promise<{ child: Child, port: number }> {
  const child = startChild('raw-peer', [RAW_PEER, '0'])
  const m = await child.line(/^raw-peer listening (\d+)/, 20_000)
  return { child, port: Number(m[1]) }
}

/** A raw link to the raw peer; with `codec`, one that uses tekka's codec on both ends. */
async function connectRaw (port: number, codec: boolean): Promise<Raw> {
  const socket = connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.on('error', () => {})
  let waiter: ((v: unknown) => void) | undefined
  const calls = new Map<number, () => void>()
  const link = new RawLink(socket, (msg) => {
    if (msg[0] === RPC_REPLY) {
      const id = msg[1] as number
      const done = calls.get(id)
      calls.delete(id)
      done?.()
      return
    }
    const w = waiter
    waiter = undefined
    w?.(msg[0] === CTL ? msg.slice(1) : msg[3])
  })
  const next = (): Promise<unknown> => new Promise((resolve) => { waiter = resolve })
  if (codec) {
    link.send([CTL, 'codec'])
    link.useCodec(createCodec())
  }
  return { link, self: codec ? CODEC_SELF : RAW_SELF, target: codec ? CODEC_TARGET : RAW_TARGET, next, calls, close: () => { socket.destroy() } }
}

async function rawCpu (raw: Raw): Promise<number> {
  const answer = raw.next()
  raw.link.send([CTL, 'cpu'])
  return (await answer as [string, number])[1]
}

async function rawGc (raw: Raw): Promise<void> {
  gc()
  const ack = raw.next()
  raw.link.send([CTL, 'gc'])
  await ack
}

async function rawOneway (raw: Raw, n: number): Promise<Result> {
  const { link } = raw
  const done = withTimeout('raw.oneway', raw.next())
  link.send([CTL, 'sink', n, raw.self])
  const t0 = performance.now()
  const target = raw.target
  for (let i = 0; i < n; i++) {
    link.send([SEND, null, target, PAYLOAD])
    if (i % SEND_BATCH === SEND_BATCH - 1) {
      await tick()
      if (link.queuedBytes > RAW_HIGH_WATER) await link.drained()
    }
  }
  await done
  return { rate: n / ((performance.now() - t0) / 1000) }
}

async function rawPingpong (raw: Raw, n: number): Promise<Latency> {
  const lat = new Float64Array(n)
  const t0 = performance.now()
  await withTimeout('raw.pingpong', (async () => {
    for (let i = 0; i < n; i++) {
      const s = performance.now()
      const pong = raw.next()
      raw.link.send([SEND, null, raw.target, raw.self])
      await pong
      lat[i] = performance.now() - s
    }
  })())
  return latency(n, performance.now() - t0, lat)
}

async function rawCall (raw: Raw, n: number): Promise<Latency> {
  const lat = new Float64Array(n)
  let next = 0
  const caller = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const s = performance.now()
      await new Promise<void>((resolve) => {
        raw.calls.set(i, resolve)
        raw.link.send([RPC_CALL, i, 'bench.echo', [i]])
      })
      lat[i] = performance.now() - s
    }
  }
  const t0 = performance.now()
  await withTimeout('raw.call', Promise.all(Array.from({ length: CALLERS }, caller)))
  return latency(n, performance.now() - t0, lat)
}

// ---- driver -------------------------------------------------------------------------

const want = (name: string): boolean => wanted(`remote.${name}`) || wanted(`raw.${name}`)

async function measure (n: number, peer: () => Promise<number>, run: () => Promise<Result>): Promise<Measured> {
  const p0 = await peer()
  const h0 = process.cpuUsage()
  const r = await run()
  const h = process.cpuUsage(h0)
  const p1 = await peer()
  return { ...r, cpuHere: (h.user + h.system) * 1000 / n, cpuPeer: (p1 - p0) * 1000 / n }
}

/**
 * Warm-up (not counted), then RUNS rounds of a tekka run and a run on each
 * raw link, alternating so drift on the machine hits all, with a GC on both
 * sides before each.
 */
async function alternate (tekka: Tekka, raws: Raw[], warmN: number, n: number,
  t: (k: Tekka, n: number) => Promise<Result>, r: (raw: Raw, n: number) => Promise<Result>): Promise<{ tekka: Measured[], raw: Measured[][] }> {
  await t(tekka, warmN)
  for (const raw of raws) await r(raw, warmN)
  const out: { tekka: Measured[], raw: Measured[][] } = { tekka: [], raw: raws.map(() => []) }
  for (let i = 0; i < RUNS; i++) {
    await peerGc(tekka.node)
    out.tekka.push(await measure(n, () => peerCpu(tekka.node), () => t(tekka, n)))
    for (let k = 0; k < raws.length; k++) {
      const raw = raws[k]
      await rawGc(raw)
      out.raw[k].push(await measure(n, () => rawCpu(raw), () => r(raw, n)))
    }
  }
  return out
}

const median = (xs: number[]): number | undefined => xs.length > 0 ? round(stats(xs).value) : undefined

/** Median CPU time per operation on each side, in ns: where the cost is, whatever the machine's load. */
function cpu (xs: Measured[]): { here?: number, peer?: number } {
  return { here: median(xs.map((x) => x.cpuHere)), peer: median(xs.map((x) => x.cpuPeer)) }
}

function rateRows (name: string, unit: string, rt: Measured[], base: Measured[], baseName: string, extra: Record<string, unknown>, goal: string, more: Record<string, unknown> = {}): void {
  emit(name, unit, rt.map((x) => x.rate), {
    baseline: { name: baseName, xs: base.map((x) => x.rate) },
    extra: { ...extra, cpuNsPerOp: cpu(rt), ...(base.length > 0 ? { baselineCpuNsPerOp: cpu(base) } : {}), ...more, goal }
  })
  if (base.length > 0) emit(baseName, unit, base.map((x) => x.rate), { extra: { ...extra, cpuNsPerOp: cpu(base) } })
}

function latencyRows (name: string, unit: string, rt: Measured[], base: Measured[], baseName: string, extra: Record<string, unknown>, p50Goal?: number): void {
  const p = (xs: Measured[], k: 'p50' | 'p99'): number[] => xs.map((x) => x[k] ?? NaN)
  const lat = { p50Us: median(p(rt, 'p50')), p99Us: median(p(rt, 'p99')), baselineP50Us: median(p(base, 'p50')), baselineP99Us: median(p(base, 'p99')) }
  emit(name, unit, rt.map((x) => x.rate), {
    baseline: { name: baseName, xs: base.map((x) => x.rate) },
    extra: { ...extra, ...lat, cpuNsPerOp: cpu(rt), ...(base.length > 0 ? { baselineCpuNsPerOp: cpu(base) } : {}) }
  })
  emit(`${name}.p50`, 'µs', p(rt, 'p50'), {
    baseline: { name: `${baseName} p50`, xs: p(base, 'p50') },
    extra: p50Goal !== undefined ? { goal: `ratio <= ${p50Goal}` } : {}
  })
  emit(`${name}.p99`, 'µs', p(rt, 'p99'), { baseline: { name: `${baseName} p99`, xs: p(base, 'p99') } })
  if (base.length > 0) emit(baseName, unit, base.map((x) => x.rate), { extra: { ...extra, p50Us: lat.baselineP50Us, p99Us: lat.baselineP99Us, cpuNsPerOp: cpu(base) } })
}

const tekka = await startTekka()
const rawPeer = BASELINE ? await startRawPeer() : undefined
const raw = rawPeer !== undefined ? await connectRaw(rawPeer.port, false) : undefined
const rawCodec = rawPeer !== undefined ? await connectRaw(rawPeer.port, true) : undefined
try {
  if (want('oneway')) {
    const r = await alternate(tekka, [raw, rawCodec].filter((x) => x !== undefined), Math.round(ONEWAY_MESSAGES / 4), ONEWAY_MESSAGES, remoteOneway, rawOneway)
    const extra = { messages: ONEWAY_MESSAGES, payloadBytes: PAYLOAD.length }
    const [plain = [], codec = []] = r.raw
    rateRows('remote.oneway', 'msg/s', r.tekka, plain, 'raw.oneway', extra, 'ratio >= 0.7 and value >= 500000',
      codec.length > 0 ? { ratioToCodecBaseline: round(stats(r.tekka.map((x) => x.rate)).value / stats(codec.map((x) => x.rate)).value) } : {})
    if (codec.length > 0) {
      emit('raw.oneway.codec', 'msg/s', codec.map((x) => x.rate),
        { extra: { ...extra, cpuNsPerOp: cpu(codec), what: 'raw.oneway with tekka\'s codec on both ends: the floor for the same wire work' } })
    }
  }
  if (want('pingpong')) {
    const r = await alternate(tekka, raw !== undefined ? [raw] : [], Math.round(PINGPONG_ROUND_TRIPS / 4), PINGPONG_ROUND_TRIPS, remotePingpong, rawPingpong)
    latencyRows('remote.pingpong', 'round trips/s', r.tekka, r.raw[0] ?? [], 'raw.pingpong', { roundTrips: PINGPONG_ROUND_TRIPS }, 1.3)
  }
  if (want('call')) {
    const r = await alternate(tekka, raw !== undefined ? [raw] : [], Math.round(CALLS / 4), CALLS, remoteCall, rawCall)
    latencyRows('remote.call', 'calls/s', r.tekka, r.raw[0] ?? [], 'raw.call', { calls: CALLS, inFlight: CALLERS })
  }
  if (wanted('remote.sustain')) {
    const r = await remoteSustain(tekka, SUSTAIN_MS)
    const timers = process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length
    sustainRows(r, SUSTAIN_MS, tekka.node.rpc.pendingCalls, timers)
  }
} finally {
  raw?.close()
  rawCodec?.close()
  await tekka.node.stop()
  await Promise.all([tekka.child.stop(), rawPeer?.child.stop()])
}
