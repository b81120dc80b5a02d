/**
 * Lock clients for the benchmarks: `clients` processes on `node`, each
 * acquiring and releasing its own resources (16 each, in turn) until the
 * time is up, so the numbers measure the lock service, not contention.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import type { DistNode } from '@tekka/dist'
import { acquire, release, type LockType } from '../../src/index.js'

export interface ClientRun { pairs: number, failed: number, cpuMs: number, messagesOut?: number, bytesOut?: number }

function traffic (node: DistNode): { messagesOut: number, bytesOut: number } {
  let messagesOut = 0
  let bytesOut = 0
  for (const n of node.nodes()) {
    const s = node.linkStats(n)
    if (s !== undefined) { messagesOut += s.messagesOut; bytesOut += s.bytesOut }
  }
  return { messagesOut, bytesOut }
}

/** With TEKKA_BENCH_RUN_PROF set to a directory, each run is CPU-profiled there (the run only, not the set-up). */
async function profiled<T> (name: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env.TEKKA_BENCH_RUN_PROF
  if (dir === undefined) return await fn()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
}

export async function runClients (node: DistNode, type: LockType, clients: number, ms: number, tag: string): Promise<ClientRun> {
  return await profiled(`${tag}-${node.name}`, async () => await run(node, type, clients, ms, tag))
}

async function run (node: DistNode, type: LockType, clients: number, ms: number, tag: string): Promise<ClientRun> {
  const deadline = performance.now() + ms
  const cpu0 = process.cpuUsage()
  const t0 = traffic(node)
  // A node without clients still serves the others for the whole run: its CPU counts.
  if (clients === 0) await new Promise((resolve) => setTimeout(resolve, ms))
  const each = await Promise.all(Array.from({ length: clients }, async (_, c) => await node.run(async (ctx) => {
    let pairs = 0
    let failed = 0
    for (let i = 0; performance.now() < deadline; i++) {
      const resource = `${tag}-${c}-${i & 15}`
      const r = await acquire(ctx, resource, type)
      if (!r.ok) {
        failed++
        continue
      }
      await release(ctx, resource, type)
      pairs++
    }
    return { pairs, failed }
  })))
  const cpu = process.cpuUsage(cpu0)
  const t1 = traffic(node)
  return {
    pairs: each.reduce((a, r) => a + r.pairs, 0),
    failed: each.reduce((a, r) => a + r.failed, 0),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    messagesOut: t1.messagesOut - t0.messagesOut,
    bytesOut: t1.bytesOut - t0.bytesOut
  }
}
