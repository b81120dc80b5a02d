/**
 * cluster.form: how long 16 nodes, started at once as separate OS processes
 * (`tekka --config FILE`, static discovery, every node given all 16 names as
 * seeds, a short autocluster interval), take until every node reports the
 * same 16 members, all up, with the same guids and the same leader.
 *
 * Timed from the spawn of the first process to the first poll that sees the
 * cluster agreed (a hidden client asks every node its member status every
 * 100 ms). The baseline, measured in the same runs, is the time until all 16
 * processes are listening: what forming the cluster adds is the difference.
 * Goal: under 10 s.
 *
 * cluster.form.etcd: the same with etcd discovery (`cluster.etcd.*`), against
 * a real etcd started by this benchmark on loopback (one member, a fresh key
 * prefix per run): nodes register, discover each other in etcd and join one
 * at a time under the etcd lock. Same goal.
 *
 * Output: one JSON line per bench (format: @tekka/testing/bench), e.g.
 *   {"bench":"cluster.form","value":3.1,"unit":"s","min":...,"max":...,"runs":3,
 *    "baseline":{"name":"16 nodes listening","value":1.9,...},"ratio":1.6,"goal":10}
 *
 * Environment:
 *   TEKKA_BENCH_RUNS          runs (default 3)
 *   TEKKA_BENCH_NODES         nodes (default 16)
 *   TEKKA_BENCH_INTERVAL      cluster.autocluster_interval (default 500ms)
 *   TEKKA_BENCH_ONLY          comma-separated bench names (or prefixes) to run (default all)
 *   TEKKA_BENCH_LOG_DIR       a directory: each node's output (at TEKKA_LOG, default
 *                             info) is written there as run<N>-<node>.log, to see why
 *                             a run was slow
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { silentLogger } from '@tekka/actors'
import { benchEnv, emit } from '@tekka/testing/bench'
import { startNode, type ClusterStatus, type DistNode } from '@tekka/dist'
import * as procs from '@tekka/testing/procs'
import * as ports from '@tekka/testing/ports'
import { TEKKA_BIN as BIN } from '@tekka/testing/procs'
import { EtcdServer } from '@tekka/testing/etcd-server'


// A bench's own name selects it alone (cluster.form is also a prefix of cluster.form.etcd); any other string, by prefix
// (or as a row of a bench: cluster.form.static selects cluster.form).
const BENCHES = ['cluster.form', 'cluster.form.etcd']
const { runs: RUNS, wanted } = benchEnv({ runs: 3, benches: BENCHES })
const NODES = Math.max(2, Number(process.env.TEKKA_BENCH_NODES ?? 16))
const INTERVAL = process.env.TEKKA_BENCH_INTERVAL ?? '500ms'
const LOG_DIR = process.env.TEKKA_BENCH_LOG_DIR
const LOG_LEVEL = LOG_DIR !== undefined ? process.env.TEKKA_LOG ?? 'info' : 'error'
const DEADLINE_MS = 60_000
const GOAL_S = 10

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The view every node must agree on; undefined until this node has all `n` members up. */
function viewOf (s: ClusterStatus | undefined, n: number): string | undefined {
  if (s === undefined || s.members.length !== n || s.members.some((m) => m.status !== 'up')) return undefined
  return JSON.stringify({ m: s.members.map((m) => [m.node, m.guid]), l: s.leader })
}

async function agreed (client: DistNode, names: string[]): Promise<boolean> {
  const rs = await client.multicall<ClusterStatus>(names, 'tekka.membership.status', [], { timeout: 2000 })
  const vs = rs.map((r) => r.ok ? viewOf(r.value, names.length) : undefined)
  return vs.every((v) => v !== undefined && v === vs[0])
}

/** The discovery lines of every node's tekka.conf in run `run` (the same for all), given all node names. */
type Discovery = (names: string[], run: number) => string[]

async function once (bench: string, run: number, discovery: Discovery): Promise<{ form: number, listening: number }> {
  const base = await ports.freePortRange(NODES + 1)
  const dir = mkdtempSync(join(tmpdir(), 'tekka-bench-form-'))
  const cookie = `bench-${randomBytes(6).toString('hex')}`
  const names = Array.from({ length: NODES }, (_, i) => `c${i + 1}@127.0.0.1`)
  const lines = discovery(names, run)
  const confs = names.map((name, i) => {
    const file = join(dir, `c${i + 1}.conf`)
    mkdirSync(join(dir, `data${i + 1}`))
    writeFileSync(file, [
      `node.name = ${name}`, `node.cookie = ${cookie}`, `node.dist_base_port = ${base}`, `node.data_dir = ${join(dir, `data${i + 1}`)}`,
      ...lines, `cluster.autocluster_interval = ${INTERVAL}`
    ].join('\n') + '\n')
    return file
  })
  const client = await startNode({ name: `bench-probe-${run}@127.0.0.1`, cookie, hidden: true, listen: false, basePort: base, logger: silentLogger() })
  const children: procs.NodeProcess[] = []
  try {
    const t0 = performance.now()
    for (const [i, file] of confs.entries()) {
      children.push(procs.spawnNode({ entry: BIN, args: ['--config', file], name: names[i], env: { TEKKA_NODE__DATA_DIR: undefined, TEKKA_LOG: LOG_LEVEL } }))
    }
    let listening = Number.NaN
    void Promise.all(children.map(async (c) => await c.waitForLine(/listening on/, DEADLINE_MS))).then(() => { listening = performance.now() - t0 }, () => {})
    for (;;) {
      if (await agreed(client, names)) break
      if (performance.now() - t0 > DEADLINE_MS) throw new Error(`${bench} run ${run}: no agreed cluster of ${NODES} within ${DEADLINE_MS} ms`)
      await sleep(100)
    }
    const form = performance.now() - t0
    return { form: form / 1000, listening: listening / 1000 }
  } finally {
    await client.stop()
    await Promise.all(children.map(async (c) => await c.stop('SIGKILL')))
    if (LOG_DIR !== undefined) {
      mkdirSync(LOG_DIR, { recursive: true })
      for (const c of children) writeFileSync(join(LOG_DIR, `${bench}-run${run}-${c.name.replace(/@.*/, '')}.log`), c.output() + '\n')
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measure (bench: string, discovery: Discovery): Promise<void> {
  const forms: number[] = []
  const listens: number[] = []
  // The machine's 1-minute load before each run: other work on it shows here, not in the nodes.
  const loads: number[] = []
  for (let i = 1; i <= RUNS; i++) {
    loads.push(Number(loadavg()[0].toFixed(2)))
    const r = await once(bench, i, discovery)
    forms.push(r.form)
    listens.push(r.listening)
    process.stderr.write(`${bench} run ${i}: ${r.form.toFixed(2)} s (all listening after ${r.listening.toFixed(2)} s, load before ${loads[i - 1]})\n`)
  }
  emit(bench, 's', forms, {
    baseline: { name: `${NODES} nodes listening`, xs: listens },
    extra: { nodes: NODES, interval: INTERVAL, loadBefore: loads, goal: GOAL_S }
  })
}

if (wanted('cluster.form')) {
  await measure('cluster.form', (names) => ['cluster.discovery = static', `cluster.static.seeds = ${names.join(',')}`])
}

if (wanted('cluster.form.etcd')) {
  const etcd = await EtcdServer.start()
  try {
    await measure('cluster.form.etcd', (_names, run) => [
      'cluster.discovery = etcd', `cluster.etcd.server = ${etcd.url}`, `cluster.etcd.prefix = bench-${run}-${randomBytes(3).toString('hex')}`, 'cluster.etcd.node_ttl = 10s'
    ])
  } finally {
    await etcd.destroy()
  }
}
