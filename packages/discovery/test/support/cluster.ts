// Nodes as separate OS processes (`tekka --config FILE`), each with its own
// tekka.conf and data dir, and ways to look at them: an in-process hidden
// client for polling (fast), and the real `tekka ctl` for what an operator sees.
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { silentLogger } from '@tekka/actors'
import { startNode, type ClusterStatus, type CtlResult, type DistNode } from '@tekka/dist'
import { TEKKA_BIN as BIN } from '@tekka/testing/procs'
import * as procs from '@tekka/testing/procs'
import * as wait from '@tekka/testing/wait'
import type { NodeProcess, SpawnNodeOptions } from '@tekka/testing/procs'

export interface NodeSpec {
  /** `n1@127.0.0.1`; the trailing digits pick the port (base + digits). */
  name: string
  seeds?: readonly string[]
  discovery?: 'manual' | 'static' | 'dns' | 'etcd' | 'k8s' | 'mdns'
  cluster?: string
  /** Autocluster interval; default 1s. */
  interval?: string
  /** More `key = value` lines. */
  extra?: Record<string, string>
  /**
   * How to start the process (default procs.spawnNode); the mDNS test runs
   * each node in a namespace of its own with `(o) => spawnInNetns(ns, o)`,
   * so only that test reaches @tekka/testing/netns (and needs root).
   */
  launch?: (opts: SpawnNodeOptions) => NodeProcess
  /** TEKKA_LOG of the node (the runner sets error). */
  log?: 'error' | 'warn' | 'info' | 'debug'
  /**
   * The node's config file as a user writes it (an emqx.conf), instead of the
   * tekka.conf made of the fields above: `text` must itself set the cookie
   * (`cookie`), the base port (`base`) and the data dir (`dataDir(name)`).
   */
  file?: { text: string, name: string }
}

/** What `cluster status --json` must agree on between nodes. */
/** What `autocluster status --json` answers (the fields the tests read). */
export interface AutoclusterStatus { strategy: string, enabled: boolean, state: string, last?: { discovered: string[], error?: string } }

export interface View {
  members: Array<{ node: string, guid: string, status: string }>
  leader: string | undefined
  running: string[]
  stopped: string[]
}

export function viewOf (s: ClusterStatus): View {
  return { members: s.members.map((m) => ({ node: m.node, guid: m.guid, status: m.status })), leader: s.leader, running: s.running, stopped: s.stopped }
}

/** A file name for a node: the whole name, since nodes may share a short name on different hosts (`tekka@127.0.0.2`, `tekka@127.0.0.3`). */
function fileStem (name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_')
}

export class ProcCluster {
  readonly base: number
  readonly cookie = `disc-${randomBytes(6).toString('hex')}`
  readonly dir: string
  readonly procs = new Map<string, NodeProcess>()
  #clients = new Map<string, Promise<DistNode>>()

  constructor (base: number) {
    this.base = base
    this.dir = mkdtempSync(join(tmpdir(), 'tekka-discovery-'))
  }

  dataDir (name: string): string {
    return join(this.dir, 'data', fileStem(name))
  }

  /** Writes the node's tekka.conf (or its `file`); returns its path. */
  conf (spec: NodeSpec): string {
    mkdirSync(this.dataDir(spec.name), { recursive: true })
    if (spec.file !== undefined) {
      const given = join(this.dir, `${fileStem(spec.name)}-${spec.file.name}`)
      writeFileSync(given, spec.file.text)
      return given
    }
    const lines = [
      `node.name = ${spec.name}`,
      `node.cookie = ${this.cookie}`,
      `node.dist_base_port = ${this.base}`,
      `node.data_dir = ${this.dataDir(spec.name)}`,
      `cluster.name = ${spec.cluster ?? 'tekka'}`,
      `cluster.discovery = ${spec.discovery ?? 'static'}`,
      `cluster.autocluster_interval = ${spec.interval ?? '1s'}`
    ]
    if (spec.seeds !== undefined && spec.seeds.length > 0) lines.push(`cluster.static.seeds = ${spec.seeds.join(',')}`)
    for (const [k, v] of Object.entries(spec.extra ?? {})) lines.push(`${k} = ${v}`)
    const file = join(this.dir, `${fileStem(spec.name)}.conf`)
    writeFileSync(file, lines.join('\n') + '\n')
    return file
  }

  /** Starts the node; resolves once it listens. */
  async start (spec: NodeSpec): Promise<NodeProcess> {
    const p = this.spawn(spec)
    await p.waitForLine(/listening on/, 60_000)
    return p
  }

  /** Starts the node without waiting. */
  spawn (spec: NodeSpec): NodeProcess {
    const file = this.conf(spec)
    const opts = {
      entry: BIN,
      args: ['--config', file],
      name: spec.name,
      // The file's node.data_dir is the one that counts, not the runner's.
      env: { TEKKA_NODE__DATA_DIR: undefined, TEKKA_LOG: spec.log ?? process.env.TEKKA_LOG ?? 'error' }
    }
    const p = (spec.launch ?? procs.spawnNode)(opts)
    this.procs.set(spec.name, p)
    return p
  }

  /** A hidden, client-only node of `cluster` to ask nodes over RPC. */
  async client (cluster = 'tekka'): Promise<DistNode> {
    let c = this.#clients.get(cluster)
    if (c === undefined) {
      // The promise is kept, so callers at the same time share one client.
      c = startNode({ name: `probe-${randomBytes(4).toString('hex')}@127.0.0.1`, cookie: this.cookie, cluster, hidden: true, listen: false, basePort: this.base, logger: silentLogger() })
      this.#clients.set(cluster, c)
    }
    return await c
  }

  /** `cluster status` of `node`, through the hidden client (undefined if it cannot be asked). */
  async status (node: string, cluster = 'tekka'): Promise<ClusterStatus | undefined> {
    const c = await this.client(cluster)
    try {
      return await c.call<ClusterStatus>(node, 'tekka.membership.status', [], { timeout: 3000 })
    } catch {
      return undefined
    }
  }

  /**
   * What `tekka ctl --node NODE WORDS [--json]` would get, asked through the
   * hidden client with the command's own RPC (`tekka.ctl`): for polling,
   * where a `tekka` process per poll would cost more CPU than the test.
   * Undefined when the node cannot be asked.
   */
  async ctlRpc (node: string, words: readonly string[], opts: { json?: boolean, cluster?: string } = {}): Promise<CtlResult | undefined> {
    const c = await this.client(opts.cluster)
    try {
      return await c.call<CtlResult>(node, 'tekka.ctl', [words, { json: opts.json === true }], { timeout: 3000 })
    } catch {
      return undefined
    }
  }

  /** The JSON `tekka ctl ... --json` would print (ctlRpc), or undefined when the node cannot be asked or refuses. */
  async ctlJson<T> (node: string, words: readonly string[], cluster?: string): Promise<T | undefined> {
    const r = await this.ctlRpc(node, words, { json: true, ...(cluster !== undefined ? { cluster } : {}) })
    return r?.ok === true ? r.json as T : undefined
  }

  /** `autocluster status` of `node` (as `tekka ctl autocluster status --json` prints it), or undefined when it cannot be asked. */
  async autoclusterStatus (node: string): Promise<AutoclusterStatus | undefined> {
    return await this.ctlJson<AutoclusterStatus>(node, ['autocluster', 'status'])
  }

  /** The real `tekka ctl ... ARGS` (as a client of `cluster`): exit code and output. */
  async ctl (node: string, args: readonly string[], cluster = 'tekka'): Promise<{ code: number, out: string, err: string }> {
    return await new Promise((resolve) => {
      execFile(process.execPath, [BIN, 'ctl', '--node', node, '--cookie', this.cookie, '--set', `node.dist_base_port=${this.base}`, '--set', `cluster.name=${cluster}`, ...args],
        { timeout: 20_000, env: { ...process.env, TEKKA_LOG: 'error' } },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
          resolve({ code, out: stdout, err: stderr })
        })
    })
  }

  /** `cluster status --json` of `node` through `tekka ctl`. */
  async ctlStatus (node: string): Promise<ClusterStatus> {
    const r = await this.ctl(node, ['cluster', 'status', '--json'])
    if (r.code !== 0) throw new Error(`tekka ctl --node ${node} cluster status failed (${r.code}): ${r.out}${r.err}`)
    return JSON.parse(r.out) as ClusterStatus
  }

  async stop (): Promise<void> {
    await Promise.all([...this.#clients.values()].map(async (c) => { await (await c).stop() }))
    this.#clients.clear()
    await procs.stopAll('SIGKILL')
    // Nodes in a namespace are not procs.spawnNode's children.
    await Promise.all([...this.procs.values()].map(async (p) => await p.stop('SIGKILL')))
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Views of every node in `names`, or a description of why not all could be read. */
export async function views (c: ProcCluster, names: readonly string[], cluster?: string): Promise<Map<string, View>> {
  const out = new Map<string, View>()
  await Promise.all(names.map(async (n) => {
    const s = await c.status(n, cluster)
    if (s === undefined) throw new Error(`${n} does not answer`)
    out.set(n, viewOf(s))
  }))
  return out
}

/**
 * Throws unless every node in `names` reports the same view, whose members
 * are exactly `names` (plus `down`, shown as down), all of `names` up.
 */
export async function agreed (c: ProcCluster, names: readonly string[], opts: { down?: readonly string[], cluster?: string } = {}): Promise<View> {
  const vs = await views(c, names, opts.cluster)
  const first = vs.get(names[0]) as View
  const want = [...names, ...(opts.down ?? [])].sort()
  const have = first.members.map((m) => m.node).sort()
  if (JSON.stringify(have) !== JSON.stringify(want)) throw new Error(`${names[0]} lists ${have.join(', ')}, not ${want.join(', ')}`)
  if (JSON.stringify(first.running) !== JSON.stringify([...names].sort())) throw new Error(`${names[0]} has running ${first.running.join(', ')}`)
  if (JSON.stringify(first.stopped) !== JSON.stringify([...(opts.down ?? [])].sort())) throw new Error(`${names[0]} has stopped ${first.stopped.join(', ')}`)
  for (const [n, v] of vs) {
    if (JSON.stringify(v) !== JSON.stringify(first)) throw new Error(`${n} sees ${JSON.stringify(v)}, ${names[0]} sees ${JSON.stringify(first)}`)
  }
  return first
}

/**
 * Waits until `names` agree on one cluster (`agreed`: every node's status
 * over RPC), then checks what an operator sees: `tekka ctl cluster status
 * --json` (the real command, on one node: the others answered the same RPC
 * it makes) lists exactly `names`, all up, as every node does. Returns that view.
 */
export async function oneCluster (c: ProcCluster, names: readonly string[], opts: { timeout?: number, interval?: number } = {}): Promise<View> {
  const agreedView = await wait.eventually(async () => await agreed(c, names), { timeout: opts.timeout ?? 60_000, interval: opts.interval ?? 200, message: `${names.length} nodes agree` })
  return await operatorSees(c, names, agreedView)
}

/**
 * `tekka ctl cluster status --json` on one of `names` (the first) shows
 * `view` (what `agreed` found on all of them) with every member of `names` up.
 */
export async function operatorSees (c: ProcCluster, names: readonly string[], view: View): Promise<View> {
  const seen = viewOf(await c.ctlStatus(names[0]))
  assert.equal(seen.members.map((m) => m.node).sort(), [...names].sort())
  assert.ok(seen.members.every((m) => m.status === 'up'), 'every member up')
  assert.equal(seen, view, `tekka ctl on ${names[0]} shows what every node reports`)
  return seen
}

/**
 * Polls `autocluster status` on `node` until its state is `complete` (with
 * `strategy`, when given); returns that status.
 */
export async function autoclusterComplete (c: ProcCluster, node: string, opts: { strategy?: string, timeout?: number } = {}): Promise<AutoclusterStatus> {
  return await wait.eventually(async () => {
    const st = await c.autoclusterStatus(node)
    assert.ok(st !== undefined, `${node} answers`)
    if (opts.strategy !== undefined) assert.is(st.strategy, opts.strategy)
    assert.is(st.state, 'complete')
    return st
  }, { timeout: opts.timeout ?? 30_000, interval: 300, message: `autocluster of ${node} complete` })
}
