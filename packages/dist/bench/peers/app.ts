/**
 * The app of the tekka child in the remote benchmarks:
 * `tekka --name peer1@127.0.0.1 ... peers/app.js`. The bench drives it over RPC:
 * - `bench.sink(n, report)`: a process that takes n messages, then sends
 *   `{ done: n }` to `report` (remote.oneway's receiver); returns its pid;
 * - `bench.ponger()`: a process that answers every pid it receives with
 *   'pong' (remote.pingpong), until it receives 'stop'; returns its pid;
 * - `bench.echo(x)`: returns x (remote.call);
 * - `bench.gc()`: a full GC between runs;
 * - `bench.heap()`: heap in use after a full GC, in bytes (remote.sustain);
 * - `bench.cpu()`: CPU time this process has used, in µs.
 */
import type { Pid } from '@tekka/actors'
import type { DistNode } from '../../src/index.js'
import { exitWithParent } from './parent-guard.js'

export function start (node: DistNode): void {
  // Exit at once on SIGTERM (the profile of a --cpu-prof run is written at exit); nothing here needs a graceful stop.
  exitWithParent({ exitOnSigterm: true })
  node.register('bench.sink', (n: number, report: Pid) => node.spawn(async (ctx) => {
    for (let i = 0; i < n; i++) await ctx.receive()
    ctx.send(report, { done: n })
  }))
  node.register('bench.ponger', () => node.spawn(async (ctx) => {
    for (;;) {
      const from = await ctx.receive()
      if (from === 'stop') return
      ctx.send(from as Pid, 'pong')
    }
  }))
  node.register('bench.echo', (x: unknown) => x)
  node.register('bench.cpu', () => {
    const u = process.cpuUsage()
    return u.user + u.system
  })
  const fullGc = (): boolean => {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc !== undefined) { gc(); gc() }
    return gc !== undefined
  }
  node.register('bench.gc', fullGc)
  node.register('bench.heap', () => {
    fullGc()
    return process.memoryUsage().heapUsed
  })
}
