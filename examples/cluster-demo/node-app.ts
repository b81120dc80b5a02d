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
 *   `demo_event` for each event (nodeup / nodedown, membership and
 *   partition events, monitors that fired, worker restarts, locks) and a
 *   `demo_stats` snapshot every 500 ms (see protocol.ts).
 *
 * Autoheal may stop and start this app (a minority node's reboot): `start`
 * sets everything up again and the function it returns undoes it all.
 */
import { formatReason, isDownMessage, type DownMessage, type Pid, type ProcessContext } from '@tekka/actors'
import type { Connection, DistNode } from '@tekka/dist'
import { acquire, release, subscribeLocks, type LockType } from '@tekka/lock'
import { startJobs, type JobsEvent } from '../jobs/jobs.js'
import { envNumber } from '../lib/env.js'
import { RPC_SUBSCRIBE, isPid, short, type DemoEvent, type DemoEventKind, type DemoStats, type HeldLockInfo, type LockCounts, type SubscribeReply } from './protocol.js'

/** Subscribers outlive an app restart by autoheal: the controller need not subscribe again. */
const subscribers = new Map<string, Pid>()

export async function start (node: DistNode): Promise<() => Promise<void>> {
  const lockEvery = envNumber('DEMO_LOCK_EVERY', 2500)
  const lockHold = envNumber('DEMO_LOCK_HOLD', 800)
  const jobs = await startJobs(node, {
    interval: envNumber('DEMO_JOB_INTERVAL', 200),
    size: envNumber('DEMO_JOB_SIZE', 20_000),
    poisonEvery: envNumber('DEMO_POISON_EVERY', 25)
  })

  const publish = (kind: DemoEventKind, text: string, data: Record<string, unknown> = {}): void => {
    const e: DemoEvent = { t: 'demo_event', node: node.name, creation: node.creation, at: Date.now(), kind, text, data }
    for (const pid of subscribers.values()) node.send(pid, e)
  }

  // ---- jobs events ----------------------------------------------------------------
  jobs.on('event', (e: JobsEvent) => {
    switch (e.type) {
      case 'result':
        if (e.first) publish('job', `first result from ${short(e.worker)}'s worker: job ${e.id} -> ${e.value} primes (${e.ms.toFixed(1)} ms)`, { worker: e.worker, id: e.id })
        return
      case 'worker_started':
        if (e.incarnation > 1) publish('worker', `worker "jobs" crashed (${e.after ?? 'exit'}); jobs_sup restarted it (incarnation ${e.incarnation})`, { incarnation: e.incarnation })
        return
      case 'worker_down':
        // Every producer monitors every worker: a crash is reported once (by the producer whose poison job it was); a lost node by all.
        if (e.reason === 'noconnection' || e.requeued.length > 0 || e.failed.length > 0) {
          publish('monitor', `DOWN from {jobs, ${short(e.worker)}}: ${e.reason} (jobs_producer's monitor; ${e.requeued.length} job${e.requeued.length === 1 ? '' : 's'} requeued${e.failed.length > 0 ? `, poison job ${e.failed.join(', ')} given up` : ''})`,
            { worker: e.worker, reason: e.reason, by: 'producer', requeued: e.requeued.length })
        }
    }
  })

  // ---- node, membership and lock events -------------------------------------------------
  const onNodeUp = (e: { node: string, creation: number, hidden: boolean }): void => {
    if (!e.hidden) publish('nodeup', `link to ${short(e.node)} up (creation ${e.creation})`, { peer: e.node, creation: e.creation })
  }
  const onNodeDown = (e: { node: string, reason: string, hidden: boolean }): void => {
    if (e.hidden) {
      for (const [k, pid] of subscribers) if (pid.node === e.node) subscribers.delete(k)
      return
    }
    publish('nodedown', `saw ${short(e.node)} go down: ${e.reason}`, { peer: e.node, reason: e.reason })
  }
  node.on('nodeup', onNodeUp)
  node.on('nodedown', onNodeDown)
  const offMembership = node.membership.subscribe((e) => {
    // `joining` comes and goes within a join: the member's `up` and `down` tell the story.
    if (e.type === 'membership') {
      if (e.node !== node.name && e.event !== 'joining') publish('member', `member ${short(e.node)} is ${e.event}`, { event: e.event, peer: e.node })
    }
    else publish('partition', `partition ${e.event} with ${short(e.node)}`, { event: e.event, peer: e.node })
  })
  const counts: Record<'leader' | 'quorum', LockCounts> = { leader: { taken: 0, refused: 0, lost: 0 }, quorum: { taken: 0, refused: 0, lost: 0 } }
  const held = new Map<LockType, HeldLockInfo>()
  const offLocks = subscribeLocks(node, (e) => {
    const owner = String(e.owner ?? '?')
    const why = e.reason !== undefined ? ` (${e.reason})` : ''
    const text = e.event === 'lost'
      ? `${e.lockType ?? ''} lock ${e.resource ?? ''} of ${owner} lost too many of its grants${why}: the owner is killed`
      : e.event === 'orphaned'
        ? `lock table: the node of owner ${owner} is gone${why}; its locks here are kept for the grace period, then freed`
        : e.event === 'lease_kill'
          ? `lock ${e.resource ?? ''} of ${owner} outlived its lease: the owner is killed`
          : undefined
    if (text !== undefined) publish('lock', text, { action: e.event, type: e.lockType, resource: e.resource })
  })

  // ---- the lock loop -------------------------------------------------------------------
  const holder = (type: 'leader' | 'quorum') => async (ctx: ProcessContext): Promise<void> => {
    const resource = `demo/${type}-task`
    const r = await acquire(ctx, resource, type, undefined, { timeout: 2000 })
    if (!r.ok) {
      counts[type].refused++
      // Contention is the normal case: only other refusals are worth a line.
      if (r.reason !== 'held') publish('lock', `${type} lock ${resource} refused: ${r.reason ?? '?'}${r.nodes.length > 0 ? ` (${r.nodes.map(short).join(', ')})` : ''}`, { action: 'refused', type, resource, reason: r.reason })
      return
    }
    counts[type].taken++
    const token = r.token ?? 0
    held.set(type, { type, resource, owner: String(ctx.self), token, nodes: [...r.nodes] })
    const where = type === 'leader' ? `in the leader ${short(r.nodes[0] ?? '?')}'s table` : `granted by ${r.nodes.map(short).join(' and ')} (a majority of its replicas)`
    publish('lock', `${type} lock ${resource} taken by ${String(ctx.self)}, ${where}; token ${token}`, { action: 'taken', type, resource, token, nodes: [...r.nodes] })
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
          publish('lock', `${type} lock holder ended: ${formatReason(down.reason)}`, { action: 'holder_down', type, reason: formatReason(down.reason) })
        }
      }
    }
  }, { name: 'demo_locks' })

  // ---- stats ------------------------------------------------------------------------
  const seen = new WeakMap<Connection, number>()
  let lastAt = Date.now()
  let rate = 0
  const sample = (): void => {
    const now = Date.now()
    let delta = 0
    for (const peer of node.nodes()) {
      const conn = node.kernel.peerConnection(peer)
      if (conn === undefined) continue
      const s = conn.stats
      const total = s.messagesIn + s.messagesOut
      delta += total - (seen.get(conn) ?? 0)
      seen.set(conn, total)
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
    return { node: node.name, creation: node.creation, osPid: process.pid }
  })
  publish('app', 'app started: jobs_sup (worker "jobs", jobs_producer) and the lock loop')

  return async () => {
    clearInterval(timer)
    node.off('nodeup', onNodeUp)
    node.off('nodedown', onNodeDown)
    offMembership()
    offLocks()
    for (const pid of [lockLoop, current]) if (pid !== undefined && node.runtime.isAlive(pid)) node.runtime.exit(pid, 'kill')
    await jobs.stop()
  }
}
