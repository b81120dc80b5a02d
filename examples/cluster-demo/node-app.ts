/**
 * The app module every node of the cluster demo runs (`tekka --name
 * demo1@127.0.0.1 ... node-app.js`; the `tekka` command has already started
 * discovery, heal and the lock service):
 *
 * - the jobs service (../jobs/jobs.ts): a supervised worker and a producer
 *   that spreads jobs over every member and monitors the workers it uses;
 * - a lock loop: every DEMO_LOCK_EVERY ms (jittered) a short-lived process
 *   takes the `leader` lock `demo/leader-task` (kept in the leader's table)
 *   and then the `quorum` lock `demo/quorum-task` (a majority of its replica
 *   set on the hash ring), holds each DEMO_LOCK_HOLD ms and releases it;
 * - reporting: RPC `demo.subscribe(pid)` makes this node send that pid a
 *   `demo_event` for each event of the node's stream worth a line (one
 *   subscription: links, membership, partitions, supervisors, locks,
 *   autoheal and discovery as the node's parts publish them, the jobs
 *   service's `jobs.*` and the lock loop's `demo.lock`; see
 *   node-events.ts) and a `demo_stats` snapshot every 500 ms (see
 *   protocol.ts);
 * - with DEMO_LINK_FAULTS=1 (the controller's `--partition inject`): RPC
 *   `demo.cut(peers)` and `demo.restore()`, which switch this node's link
 *   fault injector (`node.kernel.faults`): its links to those peers fall
 *   silent and die of their ticks, as under iptables DROP rules.
 *
 * Autoheal may stop and start this app (a minority node's reboot): `start`
 * sets everything up again and the function it returns undoes it all.
 */
import { formatReason, isDownMessage, type DownMessage, type Pid, type ProcessContext } from '@tekka/actors'
import type { DistNode } from '@tekka/dist'
import { acquire, release, type LockType } from '@tekka/lock'
import { startJobs } from '../jobs/jobs.js'
import { envNumber } from '../lib/env.js'
import { demoLine } from './node-events.js'
import { RPC_CUT, RPC_RESTORE, RPC_SUBSCRIBE, isPid, type DemoEvent, type DemoStats, type HeldLockInfo, type LockCounts, type SubscribeReply } from './protocol.js'

/** Subscribers outlive an app restart by autoheal: the controller need not subscribe again. */
const subscribers = new Map<string, Pid>()
/**
 * Lines from before anyone subscribed (the app starts, and its first jobs
 * run, before the controller has dialled in), for the first subscriber:
 * the controller sees the node's story from its start. Bounded.
 */
const backlog: DemoEvent[] = []
const BACKLOG_MAX = 500

export async function start (node: DistNode): Promise<() => Promise<void>> {
  const lockEvery = envNumber('DEMO_LOCK_EVERY', 2500)
  const lockHold = envNumber('DEMO_LOCK_HOLD', 800)

  // ---- reporting: the node's event stream, forwarded ----------------------------------
  const offEvents = node.events.subscribe((e) => {
    // The controller's hidden node went away: nobody to send to there any more.
    if (e.type === 'dist.nodedown' && e.hidden) {
      for (const [k, pid] of subscribers) if (pid.node === e.peer) subscribers.delete(k)
    }
    const line = demoLine(e, node.name)
    if (line === undefined) return
    const m: DemoEvent = { t: 'demo_event', node: node.name, creation: node.creation, at: Date.now(), ...line }
    if (subscribers.size === 0) {
      backlog.push(m)
      if (backlog.length > BACKLOG_MAX) backlog.shift()
    }
    for (const pid of subscribers.values()) node.send(pid, m)
  })

  const jobs = await startJobs(node.components, {
    interval: envNumber('DEMO_JOB_INTERVAL', 200),
    size: envNumber('DEMO_JOB_SIZE', 20_000),
    poisonEvery: envNumber('DEMO_POISON_EVERY', 25)
  }).catch((err: unknown) => { offEvents(); throw err })

  const counts: Record<'leader' | 'quorum', LockCounts> = { leader: { taken: 0, refused: 0, lost: 0 }, quorum: { taken: 0, refused: 0, lost: 0 } }
  const held = new Map<LockType, HeldLockInfo>()

  // ---- the lock loop -------------------------------------------------------------------
  const holder = (type: 'leader' | 'quorum') => async (ctx: ProcessContext): Promise<void> => {
    const resource = `demo/${type}-task`
    const r = await acquire(ctx, resource, type, undefined, { timeout: 2000 })
    if (!r.ok) {
      counts[type].refused++
      // Contention is the normal case (debug: not a line); other refusals are worth one.
      node.events.publish('demo.lock', { action: 'refused', lockType: type, resource, reason: r.reason ?? '?', nodes: [...r.nodes] }, r.reason === 'held' ? 'debug' : 'warn')
      return
    }
    counts[type].taken++
    const token = r.token ?? 0
    held.set(type, { type, resource, owner: String(ctx.self), token, nodes: [...r.nodes] })
    node.events.publish('demo.lock', { action: 'taken', lockType: type, resource, holder: String(ctx.self), token, nodes: [...r.nodes] })
    try {
      await ctx.sleep(lockHold)
    } finally {
      held.delete(type)
    }
    await release(ctx, resource, type, { timeout: 2000 })
  }
  let current: Pid | undefined
  const lockLoop = node.spawn(async (ctx) => {
    for (;;) {
      await ctx.sleep(lockEvery * (0.75 + Math.random() / 2))
      for (const type of ['leader', 'quorum'] as const) {
        // A process per attempt: the lock service kills an owner whose lock is lost, and that must not end the loop.
        const { pid, ref } = ctx.spawnMonitor(holder(type))
        current = pid
        const down = await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref), { timeout: 10_000 })
        held.delete(type)
        if (typeof down === 'object' && down.reason !== 'normal') {
          counts[type].lost++
          node.events.publish('demo.lock', { action: 'holder_down', lockType: type, resource: `demo/${type}-task`, reason: formatReason(down.reason) }, 'warn')
        }
      }
    }
  }, { name: 'demo_locks' })

  // ---- stats ------------------------------------------------------------------------
  // Counters per peer; a new link (after a reconnect) starts again from zero.
  const seen = new Map<string, number>()
  let lastAt = Date.now()
  let rate = 0
  const sample = (): void => {
    const now = Date.now()
    let delta = 0
    for (const peer of node.nodes()) {
      const s = node.linkStats(peer)
      if (s === undefined) continue
      const total = s.messagesIn + s.messagesOut
      const before = seen.get(peer) ?? 0
      delta += total >= before ? total - before : total
      seen.set(peer, total)
    }
    rate = now > lastAt ? delta * 1000 / (now - lastAt) : 0
    lastAt = now
    const stats: DemoStats = {
      t: 'demo_stats',
      node: node.name,
      creation: node.creation,
      osPid: process.pid,
      at: now,
      msgsPerSec: Math.round(rate),
      jobs: jobs.stats(),
      locks: [...held.values()],
      lockCounts: { leader: { ...counts.leader }, quorum: { ...counts.quorum } },
      status: node.membership.status()
    }
    for (const pid of subscribers.values()) node.send(pid, stats)
  }
  const timer = setInterval(sample, 500)

  node.register(RPC_SUBSCRIBE, (pid: unknown): SubscribeReply => {
    if (!isPid(pid)) throw new TypeError(`${RPC_SUBSCRIBE} needs a pid, got ${typeof pid}`)
    subscribers.set(String(pid), pid)
    // Before any later line: a link delivers in order.
    for (const m of backlog.splice(0)) node.send(pid, m)
    return { node: node.name, creation: node.creation, osPid: process.pid }
  })

  // The controller's `--partition inject`: this node's link fault injector, switched by RPC. Off unless asked for.
  if (process.env.DEMO_LINK_FAULTS === '1') {
    node.register(RPC_CUT, (peers: unknown): string[] => {
      if (!Array.isArray(peers) || !peers.every((p) => typeof p === 'string')) throw new TypeError(`${RPC_CUT} needs a list of node names, got ${JSON.stringify(peers)}`)
      return node.kernel.faults.cut(peers)
    })
    node.register(RPC_RESTORE, (): string[] => node.kernel.faults.restore())
  }

  return async () => {
    clearInterval(timer)
    for (const pid of [lockLoop, current]) if (pid !== undefined && node.runtime.isAlive(pid)) node.runtime.exit(pid, 'kill')
    await jobs.stop()
    offEvents()
  }
}
