/**
 * A cluster of real `tekka` processes on loopback addresses (n2@127.0.0.2,
 * n3@127.0.0.3, ...), joined into one cluster, each running the heal plugin
 * and the fixture app; this process is a hidden node on 127.0.0.1 that
 * drives them over RPC (its links are never partitioned).
 *
 * Nodes are started one after the other, so their ages follow their order
 * (the first is the leader). Everything they run is stopped, and their data
 * dir removed, by `stop()`; the spawn helper kills them on any other exit.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '@tekka/actors'
import { startNode, type ApplicationInfo, type ClusterStatus, type CtlResult, type DistNode } from '@tekka/dist'
import * as ports from '@tekka/testing/ports'
import * as procs from '@tekka/testing/procs'
import * as wait from '@tekka/testing/wait'
import type { NodeProcess } from '@tekka/testing/procs'

const BIN = procs.TEKKA_BIN
const APP = fileURLToPath(new URL('../fixtures/app.js', import.meta.url))
const COOKIE = 'heal-test-cookie'
export const APP_NAME = `app:${APP}`

export interface RealClusterOptions {
  /** Node names, oldest first, e.g. `n2@127.0.0.2`. */
  names: string[]
  /** `node.tick_time`, ms. */
  tickTime: number
  /** `cluster.autoheal_delay`, ms. */
  delay: number
  /** `cluster.autoclean`, e.g. `5m`. */
  autoclean?: string
  /** Node log level (`TEKKA_LOG`, default info: heal decisions and reboots are logged at info). */
  log?: string
  /** Names started later by a test (`spawn`): their ports and addresses are reserved too. */
  spare?: string[]
}

export class RealCluster {
  readonly opts: RealClusterOptions
  readonly procs = new Map<string, NodeProcess>()
  t0: DistNode | undefined
  #dataDir = mkdtempSync(join(tmpdir(), 'tekka-heal-test-'))
  #base = 0

  constructor (opts: RealClusterOptions) {
    this.opts = opts
  }

  get names (): string[] {
    return this.opts.names
  }

  /** The listening ports of this cluster's nodes (t0 included): partitions cut only these. */
  get portRange (): [number, number] {
    const digits = Math.max(...this.#all.map((n) => Number(/(\d+)@/.exec(n)![1])))
    return [this.#base, this.#base + digits]
  }

  node (): DistNode {
    if (this.t0 === undefined) throw new Error('the test node is not started')
    return this.t0
  }

  /** Every name this cluster may run: started ones and spares. */
  get #all (): string[] {
    return [...this.names, ...(this.opts.spare ?? [])]
  }

  async start (): Promise<void> {
    const hosts = ['127.0.0.1', ...this.#all.map((n) => n.split('@')[1])].filter((h, i, all) => all.indexOf(h) === i)
    const digits = Math.max(...this.#all.map((n) => Number(/(\d+)@/.exec(n)![1])))
    this.#base = await ports.freePortRange(digits + 1, hosts)
    this.t0 = await startNode({ name: 't0@127.0.0.1', cookie: COOKIE, basePort: this.#base, hidden: true, tickTime: this.opts.tickTime, logger: silentLogger() })
    for (const name of this.names) await this.spawn(name)
    const [first, ...rest] = this.names
    for (const n of rest) await this.call(n, 'test.join', [first], 20_000)
    await wait.eventually(async () => {
      const why = await this.oneCluster()
      if (why !== undefined) throw new Error(why)
    }, { timeout: 20_000, interval: 200, message: 'the cluster forms' })
  }

  async spawn (name: string): Promise<NodeProcess> {
    const p = procs.spawnNode({
      entry: BIN,
      args: ['--name', name, '--cookie', COOKIE,
        '--set', `node.dist_base_port=${this.#base}`,
        '--set', `node.tick_time=${this.opts.tickTime}ms`,
        '--set', `node.data_dir=${this.#dataDir}`,
        '--set', 'cluster.autoheal=on',
        '--set', `cluster.autoheal_delay=${this.opts.delay}ms`,
        '--set', `cluster.autoclean=${this.opts.autoclean ?? '5m'}`,
        APP],
      env: { TEKKA_LOG: this.opts.log ?? process.env.TEKKA_HEAL_TEST_LOG ?? 'info' },
      name
    })
    this.procs.set(name, p)
    await p.waitForLine(/^tekka: app .* started$/, 20_000)
    return p
  }

  async call<T> (on: string, fn: string, args: unknown[] = [], timeout = 5000): Promise<T> {
    return await this.node().call<T>(on, fn, args, { timeout })
  }

  /** `cluster status` as `tekka ctl cluster status --json` prints it. */
  async status (on: string): Promise<ClusterStatus> {
    const r = await this.call<CtlResult>(on, 'tekka.ctl', [['cluster', 'status'], { json: true }])
    if (!r.ok) throw new Error(`${on}: cluster status failed: ${r.text}`)
    return r.json as ClusterStatus
  }

  async apps (on: string): Promise<ApplicationInfo> {
    const list = await this.call<ApplicationInfo[]>(on, 'test.apps')
    const app = list.find((a) => a.name.startsWith('app:'))
    if (app === undefined) throw new Error(`${on} has no app application: ${JSON.stringify(list)}`)
    return app
  }

  async appStarts (names = this.names): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    for (const n of names) out.set(n, (await this.apps(n)).starts)
    return out
  }

  /**
   * Undefined when `names` form one cluster: the same `cluster status`
   * everywhere (but for who is asked), every member up, no partitions.
   */
  async oneCluster (names = this.names, down: readonly string[] = []): Promise<string | undefined> {
    let first: string | undefined
    for (const n of names) {
      let s: ClusterStatus
      try {
        s = await this.status(n)
      } catch (err) {
        return `${n}: ${(err as Error).message}`
      }
      const members = s.members.map((m) => m.node).sort()
      if (members.join() !== [...names, ...down].sort().join()) return `${n} lists [${members.join(',')}]`
      const off = s.members.filter((m) => (m.status !== 'up') !== down.includes(m.node))
      if (off.length > 0) return `${n} sees ${off.map((m) => `${m.node}:${m.status}`).join(',')}`
      if (s.partitions.length > 0) return `${n} has partitions with ${s.partitions.join(',')}`
      const { node: _node, ...rest } = s
      const text = JSON.stringify(rest)
      if (first === undefined) first = text
      else if (text !== first) return `${n}'s cluster status differs: ${text} vs ${first}`
    }
    return undefined
  }

  /** Lines a node printed that match `re`, since `mark`. */
  lines (name: string, re: RegExp, since = 0): string[] {
    return this.procs.get(name)!.lines.filter((l) => l.index >= since && re.test(l.text)).map((l) => l.text)
  }

  marks (): Map<string, number> {
    return new Map([...this.procs].map(([n, p]) => [n, p.mark()]))
  }

  /** The last lines of every node, for failure messages. */
  tails (n = 25): string {
    return [...this.procs].map(([name, p]) => `--- ${name}:\n${p.lines.slice(-n).map((l) => `  ${l.text}`).join('\n')}`).join('\n')
  }

  async stop (): Promise<void> {
    try {
      await this.t0?.stop()
    } finally {
      await Promise.all([...this.procs.values()].map(async (p) => await p.stop('SIGTERM', 5000)))
      rmSync(this.#dataDir, { recursive: true, force: true })
    }
  }
}
