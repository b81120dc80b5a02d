/**
 * In-process clusters for the lock tests: nodes on 127.0.0.1 with real
 * sockets, joined into one cluster, each with a lock service. Everything is
 * bounded: every wait has a deadline.
 */
import { call, silentLogger, type Clock, type Logger, type Pid, type ProcessContext } from '@tekka/actors'
import { startNode, type DistNode, type NodeOptions } from '@tekka/dist'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, withTimeout } from '@tekka/testing/wait'
import { acquire, createLockService, lockerInfo, release, type LockEvent, type LockResult, type LockService, type LockType, type LockerInfo, type LockerInit, type Piggyback } from '../../src/index.js'

export interface TestNode {
  readonly node: DistNode
  readonly locks: LockService
  /** The lock events of its default locker, from the node's stream. */
  readonly events: LockEvent[]
  readonly name: string
}

export interface ClusterOptions {
  /** Node short names (trailing digits pick ports): default a1, b2, c3. */
  names?: string[]
  lock?: LockerInit
  clock?: Clock
  /** Per-node NodeOptions. */
  node?: Partial<NodeOptions>
  logger?: Logger
}

const fast = { antiEntropy: 300, reconnect: 200 }
const running = new Set<DistNode>()

export async function startTestNode (name: string, base: number, opts: ClusterOptions = {}): Promise<TestNode> {
  const node = await startNode({
    name: `${name}@127.0.0.1`, cookie: 'lock-test', basePort: base, logger: opts.logger ?? silentLogger(),
    membership: fast, tickTime: 2000, ...(opts.clock !== undefined ? { clock: opts.clock } : {}), ...opts.node
  })
  running.add(node)
  const locks = createLockService({ grace: 1000, ...opts.lock })(node.components)
  const events: LockEvent[] = []
  locks.subscribe((e) => { events.push(e) })
  await locks.start()
  return { node, locks, events, name: node.name }
}

/** Starts the nodes, joins them all to the first, waits until every one sees every other up. */
export async function startCluster (opts: ClusterOptions = {}): Promise<TestNode[]> {
  const names = opts.names ?? ['a1', 'b2', 'c3']
  const base = await freePortRange(10)
  const nodes: TestNode[] = []
  for (const n of names) nodes.push(await startTestNode(n, base, opts))
  for (const n of nodes.slice(1)) await n.node.membership.join(nodes[0].name)
  await eventually(() => nodes.every((n) => n.node.membership.nodelist('up').length === nodes.length), { timeout: 10_000, message: 'every member up everywhere' })
  await eventually(() => nodes.every((n) => lockerInfo(n.node)?.ready.quorum === true), { timeout: 10_000, message: 'every locker ready' })
  return nodes
}

export async function stopAll (): Promise<void> {
  const all = [...running]
  running.clear()
  await Promise.all(all.map(async (n) => await n.stop().catch(() => undefined)))
}

/** Stops one node (its links go down at once: peers see `disconnect`). */
export async function stopNode (n: TestNode): Promise<void> {
  running.delete(n.node)
  await n.node.stop()
}

/**
 * A call through the mailbox of `n`'s locker: once it answers, the locker
 * has handled every message it was sent before (DOWNs, node events, its own
 * timers that fired), so a test can assert what those led to, without
 * sleeping. Resolves the locker's info.
 */
export async function lockerSettled (n: TestNode): Promise<LockerInfo> {
  return await n.node.run(async (ctx) => await call<LockerInfo>(ctx, 'tekka_locker', 'info', { timeout: 5000 }))
}

/** Runs `fn` in a new process on `n` with a deadline. */
export async function inProcess<T> (n: TestNode, fn: (ctx: ProcessContext) => Promise<T>, timeout = 15_000): Promise<T> {
  return await withTimeout(n.node.run(fn), timeout, `process on ${n.name}`)
}

/** Acquire from a fresh process that stays alive (holding) until told; returns the controller. */
export interface Owner {
  readonly pid: Pid
  acquire(resource: string, type?: LockType): Promise<LockResult>
  acquireWith(resource: string, type: LockType, piggyback: Piggyback | undefined, timeout?: number): Promise<LockResult>
  release(resource: string, type?: LockType): Promise<LockResult>
  exit(reason?: unknown): Promise<unknown>
  readonly alive: boolean
}

/** An owner process on `n`, driven from the test: each call is one message and one answer, bounded. */
export function owner (n: TestNode): Owner {
  type Cmd = { op: 'acquire' | 'release', resource: string, type: LockType, pb?: Piggyback, timeout?: number, reply: (r: LockResult | Error) => void }
  const inbox: Cmd[] = []
  const pid = n.node.spawn(async (ctx) => {
    for (;;) {
      // Commands come through the mailbox as a nudge; the command list lives here (a test double, not an actor API).
      const m = await ctx.receive((x) => x === 'nudge' || x === 'stop' || x === 'crash')
      if (m === 'stop') return
      if (m === 'crash') throw new Error('owner crashed')
      while (inbox.length > 0) {
        const c = inbox.shift()!
        try {
          const opts = c.timeout !== undefined ? { timeout: c.timeout } : {}
          c.reply(c.op === 'acquire' ? await acquire(ctx, c.resource, c.type, c.pb, opts) : await release(ctx, c.resource, c.type, opts))
        } catch (err) {
          c.reply(err as Error)
        }
      }
    }
  })
  const run = async (op: 'acquire' | 'release', resource: string, type: LockType = 'local', pb?: Piggyback, timeout?: number): Promise<LockResult> => {
    const p = new Promise<LockResult | Error>((resolve) => {
      inbox.push({ op, resource, type, reply: resolve, ...(pb !== undefined ? { pb } : {}), ...(timeout !== undefined ? { timeout } : {}) })
    })
    n.node.send(pid, 'nudge')
    const r = await withTimeout(p, 15_000, `${op} ${resource} (${type}) on ${n.name}`)
    if (r instanceof Error) throw r
    return r
  }
  return {
    pid,
    acquire: async (resource, type) => await run('acquire', resource, type),
    acquireWith: async (resource, type, pb, timeout) => await run('acquire', resource, type, pb, timeout),
    release: async (resource, type) => await run('release', resource, type),
    exit: async (reason: unknown = 'kill') => {
      const done = n.node.runtime.wait(pid)
      // 'normal' ends the process by returning, 'crash' by a throw; anything else is an exit signal.
      if (reason === 'normal') n.node.send(pid, 'stop')
      else if (reason === 'crash') n.node.send(pid, 'crash')
      else n.node.runtime.exit(pid, reason)
      return await withTimeout(done, 5000, 'owner exit')
    },
    get alive () { return n.node.runtime.isAlive(pid) }
  }
}
