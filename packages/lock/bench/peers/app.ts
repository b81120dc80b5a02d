/**
 * The app of the child nodes of the lock benchmarks
 * (`tekka --name lockb1@127.0.0.1 ... peers/app.js`; the `tekka` command
 * starts the lock service itself). The bench drives it over RPC:
 * - `lockbench.join(seed)`: joins the cluster of `seed`;
 * - `lockbench.run(type, clients, ms, tag)`: runs lock clients here (see clients.ts);
 * - `lockbench.gc()`: a full GC between runs.
 * It exits when the bench process goes away (its stdin closes).
 */
import type { DistNode } from '@tekka/dist'
import type { LockType } from '../../src/index.js'
import { runClients } from './clients.js'

export function start (node: DistNode): void {
  process.stdin.on('end', () => { process.exit(0) })
  process.stdin.on('error', () => { process.exit(0) })
  process.stdin.resume()
  process.once('SIGTERM', () => { process.exit(0) })
  node.register('lockbench.join', async (seed: string) => await node.membership.join(seed))
  node.register('lockbench.run', async (type: LockType, clients: number, ms: number, tag: string) => await runClients(node, type, clients, ms, tag))
  node.register('lockbench.gc', () => { (globalThis as { gc?: () => void }).gc?.(); return true })
}
