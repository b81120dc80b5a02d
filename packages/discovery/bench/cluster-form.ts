/**
 * cluster.form.<n>: how long n real `tekka` processes (each its own OS
 * process on its own loopback address, 127.0.0.2 onwards; static discovery,
 * every node given all n names as seeds, a short autocluster interval) take
 * until every node sees n-1 peers: n members up and n-1 links, read from each
 * node's management endpoint (/metrics, plain HTTP: no probe node on the
 * links). Timed from the spawn of the first process; the nodes start at most
 * TEKKA_BENCH_CONCURRENCY at a time. The baseline, measured in the same runs,
 * is the time until the last node listened. The same line gives, per node at
 * rest (full mesh, ticks running, tick_time 8 s), RSS (median, max), CPU %
 * over a 10 s window and link bytes sent per second.
 * Sizes 16, 32 and 64, so the growth shows; cluster.form.exponent is the
 * exponent of formation time fitted over them (least squares on log-log).
 *
 * node.rss.<n>, node.cpu.<n>, node.hb.<n>: the at-rest figures of those runs
 * as lines of their own, one sample per node.
 *
 * cluster.form.etcd.<n> (and node.etcd.rss.<n>, ...): the same with etcd
 * discovery (`cluster.etcd.*`), against a real etcd started by this
 * benchmark on loopback (one member, a fresh key prefix per run).
 *
 * Goals (issue 17, a 2-core machine): formation under 20 s at 64 nodes, RSS
 * under 60 MB per node, idle CPU under 1 % per node. Each line prints its goal.
 * The measurements are in support/formation.ts.
 *
 * Output: JSON lines (format: @tekka/testing/bench), e.g.
 *   {"bench":"cluster.form.64","value":14.2,"unit":"s","min":...,"max":...,"runs":1,
 *    "baseline":{"name":"64 nodes listening",...},"ratio":1.3,"nodes":64,"discovery":"static","goal":20,
 *    "rssMB":{"median":48,"max":51},"cpuPct":{...},"heartbeatBytesPerS":{...},...,"nodeArgs":"--max-semi-space-size=1 ..."}
 *
 * Environment:
 *   TEKKA_BENCH_RUNS          runs per size (default 1)
 *   TEKKA_BENCH_SIZES         node counts, static discovery (default 16,32,64)
 *   TEKKA_BENCH_ETCD_SIZES    node counts, etcd discovery (default 64)
 *   TEKKA_BENCH_INTERVAL      cluster.autocluster_interval (default 500ms)
 *   TEKKA_BENCH_CONCURRENCY   nodes starting at once (default 4)
 *   TEKKA_BENCH_DEADLINE_S    seconds a run may take to form its full mesh (default 180);
 *                             a size past it prints its error, and the larger sizes are skipped
 *   TEKKA_BENCH_NODE_ARGS     node's flags for each child, space-separated (default
 *                             --max-semi-space-size=1 --max-old-space-size=96 --optimize-for-size; '' for none)
 *   TEKKA_BENCH_ONLY          comma-separated bench names (or prefixes) to run (default all):
 *                             cluster.form.etcd for etcd alone, cluster.form.64 for one size
 *   TEKKA_BENCH_LOG_DIR       a directory: each node's output (at TEKKA_LOG, default
 *                             info) is written there, to see why a run was slow
 */
import { randomBytes } from 'node:crypto'
import { BenchError, benchEnv } from '@tekka/testing/bench'
import { EtcdServer } from '@tekka/testing/etcd-server'
import { exponentLine, formCluster, formLine, FORM_DEFAULTS, nodeLines, type Discovery, type FormRun } from './support/formation.js'

const { runs: RUNS, wanted } = benchEnv({ runs: 1 })
const LOG_DIR = process.env.TEKKA_BENCH_LOG_DIR
const LOG_LEVEL = LOG_DIR !== undefined ? process.env.TEKKA_LOG ?? 'info' : 'error'
const INTERVAL = process.env.TEKKA_BENCH_INTERVAL ?? FORM_DEFAULTS.interval
const CONCURRENCY = Number(process.env.TEKKA_BENCH_CONCURRENCY ?? FORM_DEFAULTS.concurrency)
const DEADLINE_MS = Number(process.env.TEKKA_BENCH_DEADLINE_S ?? FORM_DEFAULTS.deadlineMs / 1000) * 1000
const NODE_ARGS = process.env.TEKKA_BENCH_NODE_ARGS !== undefined
  ? process.env.TEKKA_BENCH_NODE_ARGS.split(' ').filter((s) => s !== '')
  : FORM_DEFAULTS.nodeArgs

function sizes (key: string, fallback: string): number[] {
  const raw = process.env[key] ?? fallback
  const out = raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number)
  if (out.some((n) => !Number.isInteger(n) || n < 2 || n > 250)) throw new BenchError(`${key}=${JSON.stringify(raw)}: expected node counts 2..250, comma-separated`)
  return out
}
if (!Number.isFinite(DEADLINE_MS) || DEADLINE_MS <= 0) throw new BenchError(`TEKKA_BENCH_DEADLINE_S=${JSON.stringify(process.env.TEKKA_BENCH_DEADLINE_S)}: expected seconds > 0`)
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) throw new BenchError(`TEKKA_BENCH_CONCURRENCY=${JSON.stringify(process.env.TEKKA_BENCH_CONCURRENCY)}: expected a positive integer`)

/** Runs every size with one discovery; `bench` is the line prefix (cluster.form or cluster.form.etcd), `node` that of the per-node lines. */
async function sweep (bench: string, node: string, discovery: string, ns: number[], lines: (run: number) => Discovery): Promise<void> {
  const done: Array<{ nodes: number, runs: FormRun[] }> = []
  for (const n of ns) {
    if (!wanted(`${bench}.${n}`) && !wanted(`${node}.rss.${n}`)) continue
    const runs: FormRun[] = []
    try {
      for (let i = 1; i <= RUNS; i++) {
        const r = await formCluster({
          nodes: n, discovery: lines(i), interval: INTERVAL, concurrency: CONCURRENCY, nodeArgs: NODE_ARGS,
          deadlineMs: DEADLINE_MS, logLevel: LOG_LEVEL, logDir: LOG_DIR, label: `${bench}.${n}-run${i}`
        })
        runs.push(r)
        process.stderr.write(`${bench}.${n} run ${i}: ${r.formS.toFixed(2)} s (all listening after ${r.listeningS.toFixed(2)} s, load before ${r.loadBefore})\n`)
      }
    } catch (err) {
      // The sizes done so far keep their lines and their fit; a larger size would fail the same way.
      process.stderr.write(`${bench}.${n}: ${(err as Error).message}\n`)
      process.exitCode = 1
      break
    }
    formLine(`${bench}.${n}`, runs, { discovery })
    nodeLines(runs, node)
    done.push({ nodes: n, runs })
  }
  if (done.length >= 2) exponentLine(`${bench}.exponent`, done)
}

const staticSizes = sizes('TEKKA_BENCH_SIZES', '16,32,64')
const etcdSizes = sizes('TEKKA_BENCH_ETCD_SIZES', '64')

await sweep('cluster.form', 'node', 'static', staticSizes, () => (names) => ['cluster.discovery = static', `cluster.static.seeds = ${names.join(',')}`])

if (etcdSizes.some((n) => wanted(`cluster.form.etcd.${n}`) || wanted(`node.etcd.rss.${n}`))) {
  const etcd = await EtcdServer.start()
  try {
    await sweep('cluster.form.etcd', 'node.etcd', 'etcd', etcdSizes, (run) => () => [
      'cluster.discovery = etcd', `cluster.etcd.server = ${etcd.url}`, `cluster.etcd.prefix = bench-${run}-${randomBytes(3).toString('hex')}`, 'cluster.etcd.node_ttl = 10s'
    ])
  } finally {
    await etcd.destroy()
  }
}
