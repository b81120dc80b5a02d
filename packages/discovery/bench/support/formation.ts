/**
 * The measurements of bench/cluster-form.ts, apart from the bench so a test
 * (test/cluster-form-bench.test.ts) can run them at a small size: form a
 * cluster of real `tekka` processes, each on its own loopback address
 * (t@127.0.0.2, t@127.0.0.3, ...; all on the same dist port and the same
 * management port), then measure every node at rest. It lives under
 * bench/support/ because scripts/bench.mjs runs every top-level file of
 * build/bench/ as a benchmark.
 *
 * ```ts
 * const run = await formCluster({ nodes: 16, discovery: staticSeeds })
 * // { nodes: 16, formS: 4.2, listeningS: 2.9, rssMB: [...16], cpuPct: [...16], bytesPerS: [...16], ... }
 * formLine('cluster.form.16', [run], { goalS: 20 })   // prints the JSON line
 * nodeLines([run])                                      // node.rss.16, node.cpu.16, node.hb.16
 * ```
 *
 * How each figure is read, so the measuring loads the nodes as little as it can:
 * - Formation: from the spawn of the first process until every node's
 *   management endpoint (`GET /metrics`) shows n members up and n-1 peer
 *   links. Plain HTTP, no dist link (a probe node would be one more peer on
 *   every node, with its ticks); only nodes that listen are asked, a round
 *   every max(250 ms, 16 ms per node), and a node that has shown it once is
 *   not asked again until one last pass checks all of them still do.
 * - Launch: at most `concurrency` nodes starting at a time (a slot takes the
 *   next node once its node printed `listening on`), so 64 starts at once do
 *   not thrash two cores; `listeningS` is when the last one listened.
 * - At rest (after `settleMs`, with `management.rtt_interval = off`, so only
 *   ticks and whatever the plugins send at rest cross the links), over
 *   `restMs`: CPU % per node from /proc/<pid>/stat (utime + stime), link
 *   bytes sent per second per node from `tekka_dist_bytes_sent_total`
 *   (scraped before and after the window, outside it), then RSS per node
 *   from /proc/<pid>/status (VmRSS).
 *
 * Every child is a procs.spawnNode process: killed here on every path, by
 * the exit hooks if this process ends early, by its orphan guard if this
 * process dies by SIGKILL.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { BenchError, BenchTimeoutError, emit, round } from '@tekka/testing/bench'
import * as procs from '@tekka/testing/procs'
import * as ports from '@tekka/testing/ports'

/** Defaults, in one place. */
export const FORM_DEFAULTS = {
  interval: '500ms',
  tickTime: '8s',
  concurrency: 4,
  /** Node's small-heap flags for each child. */
  nodeArgs: ['--max-semi-space-size=1', '--max-old-space-size=96', '--optimize-for-size'] as readonly string[],
  settleMs: 3000,
  restMs: 10_000,
  /** Pause between poll rounds: at least this, and 16 ms per node (1 s at 64), so the polling does not load a large cluster. */
  pollMs: 250,
  pollMsPerNode: 16,
  deadlineMs: 180_000,
  /** HTTP requests to the nodes in flight at once while polling. */
  pollConcurrency: 8
} as const

/** The discovery lines of every node's tekka.conf (the same for all), given every node's name. */
export type Discovery = (names: readonly string[]) => string[]

export interface FormOptions {
  nodes: number
  discovery: Discovery
  /** cluster.autocluster_interval. */
  interval?: string
  /** node.tick_time. */
  tickTime?: string
  /** Nodes starting at once. */
  concurrency?: number
  /** Arguments to node before the entry (heap flags). */
  nodeArgs?: readonly string[]
  settleMs?: number
  restMs?: number
  deadlineMs?: number
  /** TEKKA_LOG of the nodes (default error). */
  logLevel?: string
  /** Write each node's output there as <label>-<node>.log. */
  logDir?: string
  label?: string
}

export interface FormRun {
  nodes: number
  /** Seconds from the first spawn until every node showed n members up and n-1 links. */
  formS: number
  /** Seconds from the first spawn until the last node listened. */
  listeningS: number
  /** Per node, at rest. */
  rssMB: number[]
  cpuPct: number[]
  bytesPerS: number[]
  /** The machine's 1-minute load before the launch. */
  loadBefore: number
  /** What the run used (the options, defaults filled in). */
  restMs: number
  interval: string
  tickTime: string
  concurrency: number
  nodeArgs: readonly string[]
}

// ---- /proc --------------------------------------------------------------------------

/** Resident set of process `pid` in bytes (VmRSS of /proc/<pid>/status). */
export function readRss (pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new BenchError(`/proc/${pid}/status has no VmRSS line`)
  return Number(m[1]) * 1024
}

/** CPU time process `pid` has used, user + system, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function readCpuTicks (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11]); const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new BenchError(`/proc/${pid}/stat: cannot read utime and stime`)
  return utime + stime
}

let clkTck: number | undefined
/** Clock ticks per second (getconf CLK_TCK; 100 on Linux when getconf is missing). */
export function clockTicks (): number {
  if (clkTck === undefined) {
    try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) } catch { clkTck = 100 }
    if (!Number.isFinite(clkTck) || clkTck <= 0) clkTck = 100
  }
  return clkTck
}

// ---- the management endpoint -----------------------------------------------------------

/** What formation and the heartbeat figure need from one node's /metrics. */
export interface NodeMetrics {
  membersUp: number
  /** Peers with a link (rows of tekka_dist_bytes_sent_total). */
  links: number
  bytesSent: number
}

/** Reads the text exposition of /metrics; a body without tekka_cluster_members is refused. */
export function parseMetrics (text: string): NodeMetrics {
  const up = /^tekka_cluster_members\{status="up"\} (\d+)$/m.exec(text)
  if (up === null) throw new BenchError(`not a tekka /metrics body: ${JSON.stringify(text.slice(0, 80))}`)
  let links = 0
  let bytesSent = 0
  for (const m of text.matchAll(/^tekka_dist_bytes_sent_total\{peer="[^"]*"\} (\d+)$/gm)) {
    links++
    bytesSent += Number(m[1])
  }
  return { membersUp: Number(up[1]), links, bytesSent }
}

/** GET http://host:port/metrics, parsed; rejects on a connection error, a non-200 answer or after `timeoutMs`. */
export function scrape (host: string, port: number, timeoutMs = 5000): Promise<NodeMetrics> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/metrics', agent: false, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => {
        if (res.statusCode !== 200) { reject(new BenchError(`${host}:${port}/metrics answered ${res.statusCode}`)); return }
        try { resolve(parseMetrics(body)) } catch (err) { reject(err) }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new BenchTimeoutError(`${host}:${port}/metrics: no answer within ${timeoutMs} ms`)) })
    req.on('error', reject)
  })
}

/** `f` over `items`, at most `limit` at once; results in order. */
async function pool<T, R> (items: readonly T[], limit: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// ---- one cluster ------------------------------------------------------------------------

/** The loopback address of node i (0-based): 127.0.0.2 onwards. */
function hostOf (i: number): string {
  return `127.0.0.${i + 2}`
}

/** Forms a cluster of `nodes` real processes, measures it at rest, and kills it. */
export async function formCluster (o: FormOptions): Promise<FormRun> {
  const n = o.nodes
  if (!Number.isInteger(n) || n < 2 || n > 250) throw new BenchError(`nodes must be an integer 2..250, got ${n}`)
  const interval = o.interval ?? FORM_DEFAULTS.interval
  const tickTime = o.tickTime ?? FORM_DEFAULTS.tickTime
  const concurrency = Math.max(1, o.concurrency ?? FORM_DEFAULTS.concurrency)
  const settleMs = o.settleMs ?? FORM_DEFAULTS.settleMs
  const restMs = o.restMs ?? FORM_DEFAULTS.restMs
  const deadlineMs = o.deadlineMs ?? FORM_DEFAULTS.deadlineMs
  const label = o.label ?? `form${n}`
  const nodeArgs = o.nodeArgs ?? FORM_DEFAULTS.nodeArgs
  const hosts = Array.from({ length: n }, (_, i) => hostOf(i))
  // One dist port and one management port, free on every node's address.
  const distPort = await ports.freePortRange(2, hosts)
  const httpPort = distPort + 1
  const dir = mkdtempSync(join(tmpdir(), 'tekka-bench-form-'))
  const cookie = `bench-${randomBytes(6).toString('hex')}`
  const names = hosts.map((h) => `t@${h}`)
  const lines = o.discovery(names)
  const confs = names.map((name, i) => {
    const file = join(dir, `t${i}.conf`)
    mkdirSync(join(dir, `data${i}`))
    writeFileSync(file, [
      `node.name = ${name}`, `node.cookie = ${cookie}`, `node.dist_base_port = ${distPort}`, `node.data_dir = ${join(dir, `data${i}`)}`,
      `node.tick_time = ${tickTime}`, `management.host = ${hosts[i]}`, `management.port = ${httpPort}`, 'management.rtt_interval = off',
      ...lines, `cluster.autocluster_interval = ${interval}`
    ].join('\n') + '\n')
    return file
  })
  const children: procs.NodeProcess[] = []
  // Set when the run ends early: the launch then starts no more nodes.
  let aborted = false
  let launched: Promise<void> = Promise.resolve()
  const loadBefore = round(loadavg()[0], 3)
  try {
    const t0 = performance.now()
    const elapsed = (): number => performance.now() - t0
    const overdue = (what: string): void => {
      if (elapsed() > deadlineMs) throw new BenchTimeoutError(`${label}: ${what} within ${deadlineMs} ms`)
    }
    // The launch, `concurrency` at a time; formation is polled meanwhile (the first nodes join while the last start).
    let listeningMs = Number.NaN
    const listens = new Set<string>()
    let launchError: Error | undefined
    launched = pool(confs, concurrency, async (file, i) => {
      if (aborted) return
      const c = procs.spawnNode({
        entry: procs.TEKKA_BIN, args: ['--config', file], nodeArgs, name: names[i],
        env: { TEKKA_NODE__DATA_DIR: undefined, TEKKA_LOG: o.logLevel ?? 'error' }
      })
      children.push(c)
      void c.waitForLine(/listening on/, deadlineMs + 10_000).then(() => { listens.add(c.name) }, () => {})
      // Past the deadline, the poll below fails the run first, naming what was missing.
      await c.waitForLine(/listening on/, deadlineMs + 10_000)
    }).then(() => { listeningMs = elapsed() }, (err: Error) => { launchError = err })
    const pending = new Set(names.map((_, i) => i))
    // What each node showed last, for the error of a run past its deadline.
    const last = new Map<number, NodeMetrics>()
    const progress = (): string => {
      const shown = [...pending].map((i) => last.get(i))
      const answered = shown.filter((m) => m !== undefined)
      const fewest = answered.length === 0 ? 'none answered yet' : `fewest ${Math.min(...answered.map((m) => m.membersUp))} members up, ${Math.min(...answered.map((m) => m.links))} links`
      return `${n - pending.size} nodes complete, ${listens.size} of ${n} listening; of the others ${fewest}`
    }
    for (;;) {
      if (launchError !== undefined) throw launchError
      // Only nodes that listen already (their endpoint starts with them); one that does not answer is asked again next round.
      const ask = [...pending].filter((i) => listens.has(names[i]))
      const seen = await pool(ask, FORM_DEFAULTS.pollConcurrency, async (i) => await scrape(hosts[i], httpPort).catch(() => undefined))
      ask.forEach((i, k) => {
        const m = seen[k]
        if (m === undefined) return
        last.set(i, m)
        if (m.membersUp === n && m.links === n - 1) pending.delete(i)
      })
      if (pending.size === 0) {
        const all = await pool(hosts, FORM_DEFAULTS.pollConcurrency, async (h) => await scrape(h, httpPort))
        if (all.every((m) => m.membersUp === n && m.links === n - 1)) break
        all.forEach((m, i) => { if (m.membersUp !== n || m.links !== n - 1) pending.add(i) })
      }
      if (elapsed() > deadlineMs) overdue(`no full mesh of ${n} (${progress()})`)
      await sleep(Math.max(FORM_DEFAULTS.pollMs, FORM_DEFAULTS.pollMsPerNode * n))
    }
    const formMs = elapsed()
    await launched
    const dead = children.filter((c) => !c.running)
    if (dead.length > 0) throw new BenchError(`${label}: ${dead.map((c) => c.name).join(', ')} exited during formation\n${dead[0].output()}`)

    // At rest.
    await sleep(settleMs)
    const before = await pool(hosts, FORM_DEFAULTS.pollConcurrency, async (h) => await scrape(h, httpPort))
    const cpu0 = children.map((c) => readCpuTicks(c.pid))
    const w0 = performance.now()
    await sleep(restMs)
    const cpu1 = children.map((c) => readCpuTicks(c.pid))
    const windowS = (performance.now() - w0) / 1000
    const after = await pool(hosts, FORM_DEFAULTS.pollConcurrency, async (h) => await scrape(h, httpPort))
    const rssMB = children.map((c) => round(readRss(c.pid) / 2 ** 20, 3))
    const cpuPct = children.map((_, k) => round((cpu1[k] - cpu0[k]) / clockTicks() / windowS * 100, 3))
    // children are in spawn order, hosts in name order: match them by name.
    const byName = new Map(children.map((c, k) => [c.name, k]))
    const order = names.map((name) => byName.get(name) ?? -1)
    const bytesPerS = hosts.map((_, i) => round((after[i].bytesSent - before[i].bytesSent) / windowS, 4))
    return {
      nodes: n,
      formS: formMs / 1000,
      listeningS: listeningMs / 1000,
      rssMB: order.map((k) => rssMB[k]),
      cpuPct: order.map((k) => cpuPct[k]),
      bytesPerS,
      loadBefore,
      restMs,
      interval,
      tickTime,
      concurrency,
      nodeArgs
    }
  } finally {
    aborted = true
    await Promise.all(children.map(async (c) => await c.stop('SIGKILL')))
    // A slot waiting for its node's line is freed by that node's end; none spawns after `aborted`.
    await launched
    if (o.logDir !== undefined) {
      mkdirSync(o.logDir, { recursive: true })
      for (const c of children) writeFileSync(join(o.logDir, `${label}-${c.name.replace(/@/, '-')}.log`), c.output() + '\n')
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- growth and output --------------------------------------------------------------------

/** The exponent k of t = a * n^k fitted by least squares on log t against log n; needs two sizes at least. */
export function growthExponent (points: ReadonlyArray<{ nodes: number, seconds: number }>): number {
  const ps = points.filter((p) => p.nodes > 0 && p.seconds > 0)
  if (new Set(ps.map((p) => p.nodes)).size < 2) throw new BenchError('a growth exponent needs at least two sizes with positive times')
  const xs = ps.map((p) => Math.log(p.nodes)); const ys = ps.map((p) => Math.log(p.seconds))
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length; const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let sxy = 0; let sxx = 0
  for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2 }
  return sxy / sxx
}

/** Goals of issue 17 (2-core machine, tick_time 8 s). */
export const GOALS = { formS: 20, rssMB: 60, cpuPct: 1 } as const

const median = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2 }
const spread = (xs: readonly number[]): { median: number, max: number } => ({ median: round(median(xs)), max: round(Math.max(...xs)) })

export interface FormLineMeta {
  /** The strategy, as cluster.discovery names it (default static). */
  discovery?: string
  /** Default GOALS.formS. */
  goalS?: number
}

/** Prints (and returns) the formation line of runs of one size (and settings): seconds, next to the time until all listened, with the rest figures. */
export function formLine (bench: string, runs: readonly FormRun[], meta: FormLineMeta = {}): Record<string, unknown> {
  if (runs.length === 0) throw new BenchError(`${bench}: no runs`)
  const n = runs[0].nodes
  const all = (pick: (r: FormRun) => number[]): number[] => runs.flatMap(pick)
  return emit(bench, 's', runs.map((r) => r.formS), {
    baseline: { name: `${n} nodes listening`, xs: runs.map((r) => r.listeningS).filter(Number.isFinite) },
    extra: {
      nodes: n,
      discovery: meta.discovery ?? 'static',
      goal: meta.goalS ?? GOALS.formS,
      rssMB: spread(all((r) => r.rssMB)),
      cpuPct: spread(all((r) => r.cpuPct)),
      heartbeatBytesPerS: spread(all((r) => r.bytesPerS)),
      restS: runs[0].restMs / 1000,
      interval: runs[0].interval,
      tickTime: runs[0].tickTime,
      concurrency: runs[0].concurrency,
      nodeArgs: runs[0].nodeArgs.join(' '),
      loadBefore: runs.map((r) => r.loadBefore)
    }
  })
}

/** Prints (and returns) node.rss.<n>, node.cpu.<n> and node.hb.<n>: one sample per node of every run, at rest. */
export function nodeLines (runs: readonly FormRun[], prefix = 'node'): Array<Record<string, unknown>> {
  if (runs.length === 0) throw new BenchError('node lines: no runs')
  const n = runs[0].nodes
  const extra = { nodes: n, samples: 'one per node per run, at rest' }
  return [
    emit(`${prefix}.rss.${n}`, 'MB', runs.flatMap((r) => r.rssMB), { extra: { ...extra, goal: GOALS.rssMB, from: '/proc/<pid>/status VmRSS' } }),
    emit(`${prefix}.cpu.${n}`, '%', runs.flatMap((r) => r.cpuPct), { extra: { ...extra, goal: GOALS.cpuPct, windowS: runs[0].restMs / 1000, from: '/proc/<pid>/stat utime+stime' } }),
    emit(`${prefix}.hb.${n}`, 'B/s', runs.flatMap((r) => r.bytesPerS), { extra: { ...extra, goal: 'none: reported', windowS: runs[0].restMs / 1000, from: 'tekka_dist_bytes_sent_total, summed over peers: every byte sent at rest (ticks, membership anti-entropy, plugins)' } })
  ]
}

/** Prints (and returns) the fitted exponent of formation time over the sizes measured (median run of each). */
export function exponentLine (bench: string, bySize: ReadonlyArray<{ nodes: number, runs: readonly FormRun[] }>): Record<string, unknown> {
  const points = bySize.map((s) => ({ nodes: s.nodes, seconds: median(s.runs.map((r) => r.formS)) }))
  const k = growthExponent(points)
  return emit(bench, 'exponent', [k], {
    extra: { fit: 'least squares of log(formation s) on log(nodes)', sizes: points.map((p) => p.nodes), seconds: points.map((p) => round(p.seconds)), goal: 'none: reported (1 is linear)' }
  })
}
