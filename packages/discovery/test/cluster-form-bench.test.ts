// The measurements of bench/cluster-form.ts (bench/support/formation.ts) at
// a small size, so the bench cannot rot unseen: four real `tekka` processes
// on 127.0.0.2-5 form a full mesh, the at-rest figures are read from /proc
// and /metrics, and the JSON lines the bench prints have their shape and
// sane numbers. Also the parts that can go wrong: a body that is not
// /metrics, an endpoint nobody serves, a run past its deadline (every node
// it started is gone after it), a size out of range; and the log-log fit.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as procs from '@tekka/testing/procs'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'
import { BenchError, BenchTimeoutError } from '@tekka/testing/bench'
import {
  exponentLine, formCluster, formLine, growthExponent, nodeLines, parseMetrics, readCpuTicks, readRss, scrape,
  type Discovery, type FormRun
} from '../bench/support/formation.js'

const staticSeeds: Discovery = (names) => ['cluster.discovery = static', `cluster.static.seeds = ${names.join(',')}`]

test.after(async () => { await procs.stopAll('SIGKILL') })

let run: FormRun | undefined

test('four real nodes form a full mesh; formation, RSS, CPU and link bytes at rest are measured per node', async () => {
  // tick_time 2 s: a tick every 500 ms on each idle link, so the 2 s window sees several.
  run = await formCluster({
    nodes: 4, discovery: staticSeeds, tickTime: '2s', settleMs: 500, restMs: 2000, deadlineMs: 60_000, label: 'test4', concurrency: 2, nodeArgs: ['--max-old-space-size=64']
  })
  assert.is(run.nodes, 4)
  assert.ok(run.formS > 0 && run.formS < 60, `formation ${run.formS} s`)
  assert.ok(run.listeningS > 0 && Number.isFinite(run.listeningS), `listening ${run.listeningS} s`)
  for (const k of ['rssMB', 'cpuPct', 'bytesPerS'] as const) assert.is(run[k].length, 4, k)
  for (const mb of run.rssMB) assert.ok(mb > 10 && mb < 1000, `RSS ${mb} MB`)
  for (const pct of run.cpuPct) assert.ok(pct >= 0 && pct < 200, `CPU ${pct} %`)
  // Three links per node, each ticking: some bytes go out on every node.
  for (const b of run.bytesPerS) assert.ok(b > 0 && b < 1e6, `link bytes ${b}/s`)
  assert.equal(procs.liveProcesses(), [], 'every node is stopped after the run')
})

test('the lines the bench prints: cluster.form.<n>, node.rss/cpu/hb.<n>, the exponent', () => {
  assert.ok(run !== undefined, 'needs the run of the first test')
  const line = formLine('cluster.form.4', [run], { discovery: 'static' })
  assert.is(line.bench, 'cluster.form.4')
  assert.is(line.unit, 's')
  assert.is(line.runs, 1)
  assert.ok(typeof line.value === 'number' && line.value > 0)
  assert.is((line.baseline as { name: string }).name, '4 nodes listening')
  assert.is(line.goal, 20)
  assert.is(line.nodes, 4)
  assert.is(line.discovery, 'static')
  assert.is(line.nodeArgs, '--max-old-space-size=64')
  assert.is(line.concurrency, 2)
  assert.is(line.tickTime, '2s', 'what the run used')
  assert.is(line.restS, 2)
  const rss = line.rssMB as { median: number, max: number }
  assert.ok(rss.median > 10 && rss.max >= rss.median, JSON.stringify(rss))
  assert.ok((line.heartbeatBytesPerS as { median: number }).median > 0)
  // A JSON line indeed: what scripts/bench.mjs reads back.
  assert.equal(JSON.parse(JSON.stringify(line)), line)

  const [rssLine, cpuLine, hbLine] = nodeLines([run])
  assert.is(rssLine.bench, 'node.rss.4')
  assert.is(rssLine.unit, 'MB')
  assert.is(rssLine.runs, 4, 'one sample per node')
  assert.is(rssLine.goal, 60)
  assert.ok((rssLine.min as number) > 10)
  assert.is(cpuLine.bench, 'node.cpu.4')
  assert.is(cpuLine.goal, 1)
  assert.is(hbLine.bench, 'node.hb.4')
  assert.ok((hbLine.value as number) > 0)
  assert.is(nodeLines([run], 'node.etcd')[0].bench, 'node.etcd.rss.4')

  const twice = { ...run, nodes: 8, formS: run.formS * 2 }
  const e = exponentLine('cluster.form.exponent', [{ nodes: 4, runs: [run] }, { nodes: 8, runs: [twice] }])
  assert.is(e.bench, 'cluster.form.exponent')
  assert.ok(Math.abs((e.value as number) - 1) < 1e-3, `doubling time with doubling size is exponent 1, got ${String(e.value)}`)
  assert.equal(e.sizes, [4, 8])
})

test('growthExponent: least squares on log-log; one size is refused', () => {
  assert.ok(Math.abs(growthExponent([{ nodes: 16, seconds: 2 }, { nodes: 32, seconds: 4 }, { nodes: 64, seconds: 8 }]) - 1) < 1e-9)
  assert.ok(Math.abs(growthExponent([{ nodes: 16, seconds: 1 }, { nodes: 32, seconds: 4 }, { nodes: 64, seconds: 16 }]) - 2) < 1e-9)
  // Not on a line: the fit lies between.
  const k = growthExponent([{ nodes: 16, seconds: 1 }, { nodes: 32, seconds: 3 }, { nodes: 64, seconds: 4 }])
  assert.ok(k > 0.5 && k < 1.5, String(k))
  assert.throws(() => growthExponent([{ nodes: 16, seconds: 1 }, { nodes: 16, seconds: 2 }]), (e: Error) => e instanceof BenchError && /two sizes/.test(e.message))
})

test('/proc readers: this process has an RSS over 10 MB and a growing CPU time', () => {
  assert.ok(readRss(process.pid) > 10 * 2 ** 20)
  const t0 = readCpuTicks(process.pid)
  const end = Date.now() + 50
  let x = 0
  while (Date.now() < end) x++
  assert.ok(x > 0 && readCpuTicks(process.pid) >= t0)
  assert.throws(() => readRss(2 ** 30), /ENOENT/)
})

test('parseMetrics refuses a body that is not tekka /metrics; scrape of an endpoint nobody serves rejects', async () => {
  assert.throws(() => parseMetrics('<html>hello</html>'), (e: Error) => e instanceof BenchError && /not a tekka \/metrics body/.test(e.message))
  const m = parseMetrics('tekka_cluster_members{status="up"} 3\ntekka_dist_bytes_sent_total{peer="a@h"} 10\ntekka_dist_bytes_sent_total{peer="b@h"} 5\n')
  assert.equal(m, { membersUp: 3, links: 2, bytesSent: 15 })
  const port = await ports.freePort()
  await wait.rejects(scrape('127.0.0.1', port), Error, /ECONNREFUSED/)
})

test('a run past its deadline fails with BenchTimeoutError naming it, and leaves no node behind', async () => {
  const err = await wait.rejects(formCluster({ nodes: 3, discovery: staticSeeds, deadlineMs: 300, label: 'late' }), BenchTimeoutError, /late: no full mesh of 3/)
  assert.ok(err.message.includes('within 300 ms'))
  assert.match(err.message, /0 nodes complete, \d of 3 listening; of the others /, 'says how far the run got')
  assert.equal(procs.liveProcesses(), [], 'every node it started is stopped')
})

test('a size out of range is refused before anything starts', async () => {
  await wait.rejects(formCluster({ nodes: 1, discovery: staticSeeds }), BenchError, /nodes must be an integer 2\.\.250, got 1/)
  await wait.rejects(formCluster({ nodes: 251, discovery: staticSeeds }), BenchError, /got 251/)
})

test.run()
