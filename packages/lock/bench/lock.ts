/**
 * Lock service benchmarks.
 *
 * - lock.local: acquire + release pairs per second of one owner on one node
 *   (the local fast path: the caller works on the table in its own turn).
 *   Baseline: the same pairs on a bare Map (set if absent, delete), so the
 *   ratio holds on a noisy machine. Goal: at least 1,000,000 pairs/s.
 * - lock.quorum, lock.leader: a 3-node cluster on loopback: this process
 *   (`lockb0`) and two `tekka` child processes (`lockb1`, the oldest member
 *   and so the leader, and `lockb2`). pairs/s with 64 concurrent clients,
 *   each locking its own resources, for a fixed time: for quorum spread over
 *   the three nodes (22 / 21 / 21), for leader over the two others (32 / 32,
 *   so that every pair crosses the network); and the latency of one acquire (p50 / p99,
 *   µs, also rows of their own) from a single client on lockb0, for which
 *   the leader is remote and a quorum replica set is remote or half local.
 *   Goal: at least 20,000 pairs/s for quorum.
 *
 * Output: one JSON line per result (format: @tekka/actors/bench-harness).
 * Environment: TEKKA_BENCH_RUNS (default 5), TEKKA_BENCH_SCALE (default 1),
 * TEKKA_BENCH_ONLY (comma-separated bench names or prefixes), TEKKA_BENCH_CPU_PROF
 * (a directory for the children's whole-life CPU profiles), TEKKA_BENCH_RUN_PROF (a
 * directory for CPU profiles of each throughput run on each node),
 * TEKKA_BENCH_VERBOSE=1 (each run's pairs, CPU time and traffic per node, on stderr).
 *
 * Besides pairs/s, each cluster line reports `pairsPerCpuSecond`: pairs over
 * the CPU time of the three processes in the same runs. On a machine shared
 * with other work the wall-clock rate says as much about the others as about
 * the locks; this one much less.
 *
 * The children die with this process: they exit when their stdin (held
 * here) closes, and are killed on exit and on signals.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '@tekka/actors'
import { benchEnv, emit, gc, killOnExit, latencyUs, repeat, round, stats, withTimeout } from '@tekka/testing/bench'
import { TEKKA_BIN } from '@tekka/testing/procs'
import { startNode, type DistNode } from '@tekka/dist'
import { acquire, createLockService, release, type LockType } from '../src/index.js'
import { runClients, type ClientRun } from './peers/clients.js'

const { runs: RUNS, scaled, wanted } = benchEnv()
/** A directory: the children run with --cpu-prof and write their profiles there (run this file with `node --cpu-prof` for this side). */
const PROF_DIR = process.env.TEKKA_BENCH_CPU_PROF

const LOCAL_PAIRS = scaled(2_000_000)
const CLUSTER_MS = scaled(3000)
const LATENCY_ACQUIRES = scaled(3000)
const CLIENTS = 64
const COOKIE = 'tekka-lock-bench'
const BIN = TEKKA_BIN
const APP = fileURLToPath(new URL('./peers/app.js', import.meta.url))

// ---- lock.local ------------------------------------------------------------------

async function benchLocal (): Promise<void> {
  const node = await startNode({ name: 'lockl0@127.0.0.1', cookie: COOKIE, listen: false, logger: silentLogger() })
  const locks = createLockService({})(node.components)
  await locks.start()
  const cpuRates: number[] = []
  const runLocks = async (): Promise<number> => await node.run(async (ctx) => {
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < LOCAL_PAIRS; i++) {
      const r = await acquire(ctx, 'bench/local')
      if (!r.ok) throw new Error('lock.local: acquire refused')
      await release(ctx, 'bench/local')
    }
    const cpu = process.cpuUsage(cpu0)
    cpuRates.push(LOCAL_PAIRS / ((cpu.user + cpu.system) / 1e6))
    return LOCAL_PAIRS / ((performance.now() - t0) / 1000)
  })
  // The baseline: what a bare table costs, with the same awaits per pair.
  const runMap = async (): Promise<number> => await node.run(async () => {
    const table = new Map<string, { owner: object, token: number }>()
    const owner = {}
    let token = 0
    const take = async (r: string): Promise<boolean> => {
      if (table.has(r)) return false
      table.set(r, { owner, token: ++token })
      return true
    }
    const give = async (r: string): Promise<boolean> => table.delete(r)
    const t0 = performance.now()
    for (let i = 0; i < LOCAL_PAIRS; i++) {
      if (!(await take('bench/local'))) throw new Error('baseline refused')
      await give('bench/local')
    }
    return LOCAL_PAIRS / ((performance.now() - t0) / 1000)
  })
  // All lock runs first: running the baseline in between slows later lock
  // runs by several times (type feedback V8 shares between the two loops),
  // which would measure the benchmark, not the locks.
  const xs = await repeat(runLocks, { runs: RUNS })
  const base = await repeat(runMap, { runs: RUNS })
  // pairsPerCpuSecond: the same pairs over the CPU time used (the measured runs, not the warm-up), which a busy machine does not skew.
  emit('lock.local', 'pairs/s', xs, {
    baseline: { name: 'Map set + delete with the same awaits', xs: base },
    extra: { pairs: LOCAL_PAIRS, pairsPerCpuSecond: round(stats(cpuRates.slice(-RUNS)).value), goal: 'value >= 1000000' }
  })
  await locks.stop()
  await node.stop()
}

// ---- the 3-node cluster ------------------------------------------------------------

async function startChild (name: string, base: number): Promise<ChildProcess> {
  const prof = PROF_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []
  const proc = spawn(process.execPath, [...prof, '--expose-gc', BIN, '--name', name, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, APP], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, TEKKA_LOG: process.env.TEKKA_LOG ?? 'error' }
  })
  killOnExit(proc)
  await withTimeout(`${name} start`, new Promise<void>((resolve, reject) => {
    let buf = ''
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (d: string) => {
      buf += d
      if (/tekka: app .* started/.test(buf)) resolve()
    })
    proc.once('exit', (code) => { reject(new Error(`${name} exited (${String(code)}) before starting:\n${buf}`)) })
  }), { timeoutMs: 30_000 })
  return proc
}

/** Three consecutive ports free on 127.0.0.1 (base, base + 1, base + 2). */
async function freeBase (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    const servers = []
    try {
      for (let i = 0; i < 3; i++) {
        const srv = createServer()
        await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen({ host: '127.0.0.1', port: base + i }, resolve) })
        servers.push(srv)
      }
      return base
    } catch {
      // taken: try another
    } finally {
      for (const s of servers) await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
    }
  }
  throw new Error('no three free consecutive ports on 127.0.0.1')
}

interface Cluster { node: DistNode, peers: string[], stop: () => Promise<void> }

async function startCluster (): Promise<Cluster> {
  const base = await freeBase()
  const dataDir = mkdtempSync(join(tmpdir(), 'tekka-lock-bench-'))
  process.env.TEKKA_NODE__DATA_DIR = dataDir
  // lockb1 starts first: the oldest member, so the leader.
  const p1 = await startChild('lockb1@127.0.0.1', base)
  const p2 = await startChild('lockb2@127.0.0.1', base)
  const node = await startNode({ name: 'lockb0@127.0.0.1', cookie: COOKIE, basePort: base, logger: silentLogger() })
  const peers = ['lockb1@127.0.0.1', 'lockb2@127.0.0.1']
  await node.call(peers[1], 'lockbench.join', [peers[0]], { timeout: 15_000 })
  await node.membership.join(peers[0])
  const locks = createLockService({})(node.components)
  await locks.start()
  // Every locker confirms the others before granting leader / quorum locks: wait until they do.
  await withTimeout('cluster ready', (async () => {
    for (;;) {
      const ok = await node.run(async (ctx) => {
        const a = await acquire(ctx, 'bench/ready', 'quorum')
        const b = await acquire(ctx, 'bench/ready-leader', 'leader')
        if (a.ok) await release(ctx, 'bench/ready', 'quorum')
        if (b.ok) await release(ctx, 'bench/ready-leader', 'leader')
        return a.ok && b.ok && node.membership.nodelist('up').length === 3
      })
      if (ok) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })(), { timeoutMs: 60_000 })
  return {
    node,
    peers,
    stop: async () => {
      await locks.stop()
      await node.stop()
      await Promise.all([p1, p2].map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return
        const gone = new Promise<void>((resolve) => { p.once('exit', () => { resolve() }) })
        p.kill('SIGTERM')
        await withTimeout('child exit', gone, { timeoutMs: 10_000 }).catch(() => { p.kill('SIGKILL') })
      }))
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

async function throughput (c: Cluster, type: LockType, run: number): Promise<number> {
  // Quorum: clients everywhere (every node is a replica of some resources).
  // Leader: none on the leader (lockb1), whose own clients would take the
  // local path and starve the rest: every pair measured crosses the network.
  const share = type === 'leader' ? [32, 0, 32] : [22, 21, 21]
  const tag = `${type}-${run}`
  const t0 = performance.now()
  const results = await withTimeout(`${type} throughput`, Promise.all([
    runClients(c.node, type, share[0], CLUSTER_MS, `${tag}-0`),
    c.node.call<ClientRun>(c.peers[0], 'lockbench.run', [type, share[1], CLUSTER_MS, `${tag}-1`], { timeout: CLUSTER_MS + 60_000 }),
    c.node.call<ClientRun>(c.peers[1], 'lockbench.run', [type, share[2], CLUSTER_MS, `${tag}-2`], { timeout: CLUSTER_MS + 60_000 })
  ]))
  if (process.env.TEKKA_BENCH_VERBOSE === '1') process.stderr.write(`${type} run ${run}: ${JSON.stringify(results)}\n`)
  const seconds = (performance.now() - t0) / 1000
  const pairs = results.reduce((a, r) => a + r.pairs, 0)
  const failed = results.reduce((a, r) => a + r.failed, 0)
  const cpuMs = results.reduce((a, r) => a + r.cpuMs, 0)
  if (failed > pairs / 100) throw new Error(`${type}: ${failed} refused acquires in a run of ${pairs} pairs`)
  cpuRate.set(type, [...(cpuRate.get(type) ?? []), pairs / (cpuMs / 1000)])
  return pairs / seconds
}

/** Pairs per CPU-second of the three processes together, per run: what the machine's other load does not skew. */
const cpuRate = new Map<LockType, number[]>()

async function latency (c: Cluster, type: LockType, run: number): Promise<{ p50: number, p99: number }> {
  const lat = new Float64Array(LATENCY_ACQUIRES)
  await c.node.run(async (ctx) => {
    for (let i = 0; i < LATENCY_ACQUIRES; i++) {
      const resource = `lat-${type}-${run}-${i & 63}`
      const t0 = performance.now()
      const r = await acquire(ctx, resource, type)
      lat[i] = performance.now() - t0
      if (!r.ok) throw new Error(`${type} latency: acquire refused (${r.reason ?? '?'})`)
      await release(ctx, resource, type)
    }
  })
  return latencyUs(lat)
}

async function benchCluster (c: Cluster, type: LockType, goal?: string): Promise<void> {
  // Warm up (the JIT, the heap, every owner's monitors) before measuring.
  await throughput(c, type, -2)
  await throughput(c, type, -1)
  cpuRate.delete(type)
  const rates: number[] = []
  const p50s: number[] = []
  const p99s: number[] = []
  for (let run = 0; run < RUNS; run++) {
    gc()
    for (const p of c.peers) await c.node.call(p, 'lockbench.gc', [])
    rates.push(await throughput(c, type, run))
    const l = await latency(c, type, run)
    p50s.push(l.p50)
    p99s.push(l.p99)
  }
  const p50 = stats(p50s).value
  const p99 = stats(p99s).value
  emit(`lock.${type}`, 'pairs/s', rates, {
    extra: {
      clients: CLIENTS, nodes: 3, seconds: CLUSTER_MS / 1000, p50Us: round(p50), p99Us: round(p99),
      pairsPerCpuSecond: round(stats(cpuRate.get(type) ?? [0]).value), ...(goal !== undefined ? { goal } : {})
    }
  })
  emit(`lock.${type}.p50`, 'µs', p50s, { extra: { acquires: LATENCY_ACQUIRES } })
  emit(`lock.${type}.p99`, 'µs', p99s, { extra: { acquires: LATENCY_ACQUIRES } })
}

// ---- main ------------------------------------------------------------------------------

if (wanted('lock.local')) await benchLocal()
if (wanted('lock.quorum') || wanted('lock.leader')) {
  const c = await startCluster()
  try {
    if (wanted('lock.quorum')) await benchCluster(c, 'quorum', 'value >= 20000')
    if (wanted('lock.leader')) await benchCluster(c, 'leader')
  } finally {
    await c.stop()
  }
}
process.exit(0)
